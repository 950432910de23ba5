"""An LLM judge's validation against the experts on an evaluation run's rated items
(reports.judge_validation), and its failures."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from annotation.rubric import SCALE_KEYS, SCALE_MAXIMUM
from common.errors import NOT_FOUND, ServiceError
from generation.models import System
from judging.models import JudgeRun, Verdict
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


class JudgeRunNotFound(ServiceError):
    code = NOT_FOUND


def run_judge_run_get(*, run: EvalRun, judge_run_id: int) -> JudgeRun:
    """One of the run's judge runs (a judge run of another run is not found here)."""
    judge_run = run.judge_runs.select_related("judge").filter(pk=judge_run_id).first()
    if judge_run is None:
        raise JudgeRunNotFound(f"run {run.pk} has no judge run {judge_run_id}")
    return judge_run


def verdict_counts(*, judge_run: JudgeRun) -> dict[str, int]:
    """How many of the judge run's verdicts are scored, failed and pending, in one query."""
    return judge_run.verdicts.aggregate(
        **{status: Count("pk", filter=Q(status=status)) for status in Verdict.Status.values}
    )


def run_judges(run: EvalRun) -> list[System]:
    return list(run.judges.order_by("name"))


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


@dataclass(frozen=True)
class JudgeDisagreement:
    """An item where the judge and the experts' mean part: by 1 point or more on a 0–2
    scale, or at all on Safety."""

    dataset: str
    sample: str  # source id
    system: str
    response_id: int
    response: str
    dimension: str
    judge_score: int
    experts_mean: float
    experts: int  # ratings behind the mean
    reason: str  # the judge's


def _parts(dimension: str, judge: int, mean: float) -> bool:
    return judge != mean if SCALE_MAXIMUM[dimension] == 1 else abs(judge - mean) >= 1


def run_judge_disagreements(
    *, run: EvalRun, judge: System, rated: RunRatings | None = None
) -> list[JudgeDisagreement]:
    """The judge's first-pass scores against the experts' item means (after exclusions,
    gold items left out), where they part, in sample order."""
    rated = rated if rated is not None else run_ratings(run=run)
    expert: dict[tuple[int, int], list[tuple[int, ...]]] = {}
    for row in rated.view(include_excluded=False):
        expert.setdefault((row.sample_id, row.system_id), []).append(row.scores)
    verdicts = (
        Verdict.objects.filter(
            judge=judge, prompt_version=PROMPT_VERSION, judge_pass=1,
            status=Verdict.Status.SCORED, response__in=run_responses(run=run),
        )
        .select_related("response__sample__dataset", "response__system")
        .order_by("response__sample_id", "response__system__name")
    )  # fmt: skip
    found = []
    for verdict in verdicts:
        response = verdict.response
        scores = expert.get((response.sample_id, response.system_id))
        if not scores:
            continue
        for offset, key in enumerate(SCALE_KEYS):
            mean = sum(score[offset] for score in scores) / len(scores)
            if _parts(key, verdict.scores[key], mean):
                found.append(
                    JudgeDisagreement(
                        dataset=response.sample.dataset.name,
                        sample=response.sample.source_id,
                        system=response.system.name,
                        response_id=response.pk,
                        response=response.text,
                        dimension=key,
                        judge_score=verdict.scores[key],
                        experts_mean=mean,
                        experts=len(scores),
                        reason=verdict.reason,
                    )
                )
    return found
