"""An evaluation run's responses judged by an LLM system (judging.JudgeRun): every
response of the run's automatic sample, or the first N, under the project's CEHS judge
prompt."""

from __future__ import annotations

from annotation.models import Study
from annotation.rubric import SCALE_MAXIMUM, SCALES
from annotation.services import StudySettings, study_create
from generation.models import Response, System
from judging.models import JudgeRun
from judging.prompt import (
    PAIR_PROMPT_VERSION,
    PROMPT_VERSION,
    pair_system_message,
    system_message,
)
from judging.services import JudgeRequest, JudgeRunInvalid, judge_run_create
from reports.models import EvalRun
from reports.selectors.judging import run_judge_disagreements
from reports.selectors.runs import run_responses


def run_judge_start(
    *, run: EvalRun, judge_name: str, limit: int | None = None, passes: int = 1
) -> JudgeRun:
    """Queue the judge over the run's responses (in sample order, each system's answer);
    what this judge already gave under this prompt version is not asked again."""
    judge = System.objects.filter(name=judge_name).first()
    if judge is None:
        raise JudgeRunInvalid(f"no system named {judge_name!r}: register the judge first")
    if limit is not None and limit < 1:
        raise JudgeRunInvalid("--limit must be at least 1")
    responses = list(run_responses(run=run).order_by("sample_id", "system_id"))
    if limit is not None:
        samples = sorted({response.sample_id for response in responses})[:limit]
        responses = [response for response in responses if response.sample_id in set(samples)]
    judge_run = judge_run_create(
        request=JudgeRequest(
            judge=judge,
            responses=responses,
            system_prompt=system_message(SCALES),
            prompt_version=PROMPT_VERSION,
            scales=SCALE_MAXIMUM,
            passes=passes,
        )
    )
    # The run's Table 1 shows the judge's columns and its dashboard the validation.
    run.judges.add(judge)
    run.judge_runs.add(judge_run)
    return judge_run


def run_pair_judge_start(*, run: EvalRun, judge_name: str) -> JudgeRun:
    """Queue the judge over the pairs of the run's pairwise study, each asked in both
    orders (a verdict that flips with the order counts as a tie); what it already gave
    under this prompt version is not asked again."""
    judge = System.objects.filter(name=judge_name).first()
    if judge is None:
        raise JudgeRunInvalid(f"no system named {judge_name!r}: register the judge first")
    if run.pair_study is None:
        raise JudgeRunInvalid(
            f"run {run.pk} has no pairwise study to judge: run_eval … --pairwise adds one"
        )
    items = run.pair_study.items.select_related("response", "other_response").order_by("pk")
    judge_run = judge_run_create(
        request=JudgeRequest(
            judge=judge,
            responses=[],
            pairs=[(item.response, item.other_response) for item in items if item.other_response],
            system_prompt=pair_system_message(SCALES),
            prompt_version=PAIR_PROMPT_VERSION,
            scales={},
        )
    )
    run.judge_runs.add(judge_run)
    return judge_run


def run_judge_followup_study(*, run: EvalRun, judge: System) -> Study:
    """A draft study of the responses where the judge and the experts part, for more
    expert ratings (its items are new: whoever rated them before may be handed them
    again, so an admin chooses who is invited)."""
    response_ids = sorted(
        {row.response_id for row in run_judge_disagreements(run=run, judge=judge)}
    )
    if not response_ids:
        raise JudgeRunInvalid(f"{judge.name} and the experts do not part on any item")
    stem = f"eval-run-{run.pk}-{judge.name}-disagreements"
    name, number = stem, 1
    while Study.objects.filter(name=name).exists():
        number += 1
        name = f"{stem}-{number}"
    return study_create(
        name=name,
        responses=Response.objects.filter(pk__in=response_ids).order_by("sample_id", "system_id"),
        settings=StudySettings(raters_per_item=run.raters_per_item),
    )
