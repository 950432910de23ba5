"""A run and how far it has come: generation, scoring, the study's ratings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, QuerySet

from annotation.models import Study
from annotation.selectors import StudyProgress, study_progress
from common.errors import NOT_FOUND, ServiceError
from generation.models import Response, System
from reports.models import EvalRun, EvalSample


class RunNotFound(ServiceError):
    code = NOT_FOUND


def run_get(*, run_id: int) -> EvalRun:
    run = EvalRun.objects.filter(pk=run_id).select_related("study").first()
    if run is None:
        raise RunNotFound(f"no evaluation run {run_id}")
    return run


@dataclass(frozen=True)
class SystemProgress:
    system: str
    answered: int
    expected: int
    job_status: str  # of its latest job in this run, "" when none


@dataclass(frozen=True)
class ResponseCounts:
    """One system's responses to the run's samples and their automatic scores, with the
    last id of each: as both tables only grow (a response per sample and system, a score
    per response, neither ever rewritten) and ids are never reused, these four numbers
    change whenever the set of either does."""

    system_id: int
    answered: int
    last_response: int | None
    scored: int
    last_score: int | None


@dataclass(frozen=True)
class RunProgress:
    status: str
    error: str
    systems: list[SystemProgress]
    answered: int
    expected: int
    scored: int
    # Responses that get automatic scores: the human reference's are never scored.
    to_score: int
    study: StudyProgress | None
    study_status: str
    awaiting_study: bool  # the run has a human sample and its study is not open yet
    failed: bool
    responses: tuple[ResponseCounts, ...]

    @property
    def settled(self) -> bool:
        """Nothing more happens without people: every response scored and the study
        open, or the run failed."""
        return self.failed or (self.scored >= self.to_score and not self.awaiting_study)

    @property
    def generation_percent(self) -> float:
        return 100.0 * self.answered / self.expected if self.expected else 100.0

    @property
    def scoring_percent(self) -> float:
        return 100.0 * self.scored / self.to_score if self.to_score else 100.0

    @property
    def rating_percent(self) -> float:
        if self.study is None or not self.study.slots:
            return 0.0
        return 100.0 * self.study.submitted / self.study.slots


def _run_samples(run: EvalRun) -> QuerySet[EvalSample, Any]:
    return EvalSample.objects.filter(run=run).values("sample_id")


def run_responses(*, run: EvalRun) -> QuerySet[Response]:
    return Response.objects.filter(sample_id__in=_run_samples(run), system__in=run.systems.all())


def run_response_counts(*, run: EvalRun) -> tuple[ResponseCounts, ...]:
    """Per system, in one pass over the run's responses: what progress shows, and what
    tells the dashboard's figures that its automatic inputs changed."""
    rows = (
        run_responses(run=run)
        .values_list("system_id")
        .annotate(
            answered=Count("pk"),
            last_response=Max("pk"),
            scored=Count("automatic_scores"),
            last_score=Max("automatic_scores__pk"),
        )
        .order_by("system_id")
    )
    return tuple(ResponseCounts(*row) for row in rows)


def run_progress(*, run: EvalRun) -> RunProgress:
    samples = EvalSample.objects.filter(run=run).count()
    counts = run_response_counts(run=run)
    answered = {row.system_id: row.answered for row in counts}
    latest_jobs = {}
    for job in run.generation_jobs.order_by("pk"):
        latest_jobs[job.system_id] = job.status
    systems = [
        SystemProgress(
            system=system.name,
            answered=answered.get(system.pk, 0),
            expected=samples,
            job_status=latest_jobs.get(system.pk, ""),
        )
        for system in run.systems.order_by("name")
    ]
    study = Study.objects.filter(pk=run.study_id).first() if run.study_id is not None else None
    return RunProgress(
        status=run.get_status_display(),
        error=run.error,
        systems=systems,
        answered=sum(row.answered for row in systems),
        expected=samples * len(systems),
        to_score=samples * sum(1 for s in run.systems.all() if s.kind != System.Kind.REFERENCE),
        scored=sum(row.scored for row in counts),
        study=study_progress(study=study) if study else None,
        study_status=study.get_status_display() if study else "",
        awaiting_study=run.human_samples > 0 and study is None,
        failed=run.status == EvalRun.Status.FAILED,
        responses=counts,
    )
