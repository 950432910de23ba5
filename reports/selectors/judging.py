"""An LLM judge's validation against the experts on an evaluation run's rated items
(reports.judge_validation), and its failures."""

from __future__ import annotations

from dataclasses import dataclass

from annotation.rubric import SCALE_KEYS, SCALE_MAXIMUM
from generation.models import System
from judging.models import Verdict
from judging.prompt import PROMPT_VERSION
from reports.judge_validation import (
    DimensionValidation,
    ExpertScore,
    JudgeScore,
    dimension_validation,
)
from reports.models import EvalRun
from reports.selectors.ratings import RunRatings, run_ratings
from reports.selectors.runs import run_responses


@dataclass(frozen=True)
class JudgeValidation:
    judge: str
    prompt_version: str
    verdicts: int  # on the run's responses, every pass
    failed: int
    dimensions: list[DimensionValidation]
    note: str  # what it reads

    @property
    def failure_rate(self) -> float | None:
        return None if not self.verdicts else self.failed / self.verdicts


def run_judge_validation(
    *, run: EvalRun, judge: System, rated: RunRatings | None = None
) -> JudgeValidation:
    """The judge against the experts' ratings after exclusions (gold items left out), an
    item being one system's answer to one sample."""
    rated = rated if rated is not None else run_ratings(run=run)
    verdicts = Verdict.objects.filter(
        judge=judge,
        prompt_version=PROMPT_VERSION,
        response__in=run_responses(run=run),
    ).exclude(status=Verdict.Status.PENDING)
    rows = list(
        verdicts.values_list(
            "response__sample_id", "response__system_id", "response__system__name",
            "judge_pass", "status", "scores",
        )
    )  # fmt: skip
    judged = [
        JudgeScore(f"{sample}:{system}", key, scores[key], judge_pass)
        for sample, system, _, judge_pass, status, scores in rows
        if status == Verdict.Status.SCORED
        for key in SCALE_KEYS
    ]
    experts = [
        ExpertScore(f"{row.sample_id}:{row.system_id}", str(row.annotator_id), key, score)
        for row in rated.view(include_excluded=False)
        for key, score in zip(SCALE_KEYS, row.scores, strict=True)
    ]
    systems = {f"{sample}:{system}": name for sample, system, name, *_ in rows}
    return JudgeValidation(
        judge=judge.name,
        prompt_version=PROMPT_VERSION,
        verdicts=len(rows),
        failed=sum(row[4] == Verdict.Status.FAILED for row in rows),
        dimensions=[
            dimension_validation(key, SCALE_MAXIMUM[key], experts, judged, systems)
            for key in SCALE_KEYS
        ],
        note="the experts' ratings after exclusions; gold items left out",
    )
