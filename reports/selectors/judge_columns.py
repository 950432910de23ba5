"""Table 1's LLM-judge columns: per judge of the run, its mean CEHS scores (first pass)
over the automatic sample, headed with the judge's name and prompt version."""

from __future__ import annotations

from collections import defaultdict

from annotation.rubric import SCALE_KEYS
from judging.models import Verdict
from judging.prompt import PROMPT_VERSION
from reports.models import EvalRun
from reports.selectors.ratings import HUMAN_LABELS
from reports.selectors.runs import run_responses
from reports.selectors.table import Column

JUDGE = "judge"


def judge_column_key(judge_id: int, scale: str) -> str:
    return f"judge-{judge_id}-{scale}"


def run_judge_columns(*, run: EvalRun) -> list[Column]:
    return [
        Column(
            judge_column_key(judge.pk, key),
            f"J-{HUMAN_LABELS[key].rstrip('.')} ({judge.name}, {PROMPT_VERSION})",
            JUDGE,
        )
        for judge in run.judges.order_by("name")
        for key in SCALE_KEYS
    ]


def run_judge_scores(*, run: EvalRun) -> dict[tuple[int, int], dict[str, list[float]]]:
    """(dataset id, system id) → judge column key → the scores its verdicts gave (first
    pass, scored ones: a failed verdict is no score, and its count is the gap in n)."""
    grouped: dict[tuple[int, int], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    rows = Verdict.objects.filter(
        judge__in=run.judges.all(),
        prompt_version=PROMPT_VERSION,
        judge_pass=1,
        status=Verdict.Status.SCORED,
        response__in=run_responses(run=run),
    ).values_list("response__sample__dataset_id", "response__system_id", "judge_id", "scores")
    for dataset_id, system_id, judge_id, scores in rows.iterator(chunk_size=5000):
        for key in SCALE_KEYS:
            grouped[(dataset_id, system_id)][judge_column_key(judge_id, key)].append(scores[key])
    return grouped
