"""Reads of the generation app."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from common.errors import NOT_FOUND, ServiceError
from common.work import stale_after, work_holder
from generation.dataset_formats import export_record
from generation.dialogues import Turn
from generation.models import Dataset, GenerationJob, Sample, System


class DatasetNotFound(ServiceError):
    code = NOT_FOUND


def _unknown_name(model: type[Dataset] | type[System], name: str) -> str:
    known = ", ".join(model.objects.values_list("name", flat=True)[:20]) or "none yet"
    return f"no {model._meta.verbose_name} named {name!r} (known: {known})"


def dataset_get(*, name: str) -> Dataset:
    dataset = Dataset.objects.filter(name=name).first()
    if dataset is None:
        raise DatasetNotFound(_unknown_name(Dataset, name))
    return dataset


def sample_list(
    *, dataset: Dataset, split: str | None = None, limit: int | None = None
) -> QuerySet[Sample]:
    """In dialogue order; with `limit`, the first that many, as a queryset that can
    still be filtered and reordered."""
    samples = Sample.objects.filter(dataset=dataset)
    if split is not None:
        samples = samples.filter(split=split)
    samples = samples.order_by("dialogue_id", "turn_index")
    if limit is not None:
        samples = samples.filter(pk__in=list(samples.values_list("pk", flat=True)[:limit]))
    return samples


def dataset_export_records(
    *, dataset: Dataset, split: str | None, export_format: str
) -> Iterator[dict[str, Any]]:
    rows = sample_list(dataset=dataset, split=split).values_list(
        "source_id", "context", "reference"
    )
    for source_id, context, reference in rows.iterator(chunk_size=2000):
        yield export_record(
            export_format,
            source_id=source_id,
            context=[Turn(role=turn["role"], content=turn["content"]) for turn in context],
            reference=reference,
        )


class SystemNotFound(ServiceError):
    code = NOT_FOUND


def system_get(*, name: str) -> System:
    system = System.objects.filter(name=name).first()
    if system is None:
        raise SystemNotFound(_unknown_name(System, name))
    return system


@dataclass(frozen=True, slots=True)
class JobSummary:
    status: str
    done: int
    total: int
    failed: int
    # Responses this job itself stored, and the time it has run.
    new_responses: int
    completion_tokens: int
    seconds: float | None

    @property
    def tokens_per_second(self) -> float | None:
        return self.completion_tokens / self.seconds if self.seconds else None

    @property
    def responses_per_second(self) -> float | None:
        return self.new_responses / self.seconds if self.seconds else None


def generation_job_summary(*, job: GenerationJob) -> JobSummary:
    job.refresh_from_db()
    totals = job.responses.aggregate(count=Count("id"), tokens=Sum("completion_tokens"))
    seconds = None
    if job.started_at is not None:
        seconds = ((job.finished_at or timezone.now()) - job.started_at).total_seconds()
    return JobSummary(
        status=job.status,
        done=job.progress_done,
        total=job.progress_total,
        failed=job.failures.exclude(sample__responses__system_id=job.system_id).count(),
        new_responses=totals["count"],
        completion_tokens=totals["tokens"] or 0,
        seconds=seconds,
    )


def generation_jobs_unfinished(*, job_ids: list[int]) -> list[str]:
    """Each unfinished job of `job_ids` in words: whether it waits in the queue (after
    being taken back from a run that fell silent) or who runs it."""
    lines = []
    jobs = GenerationJob.objects.filter(
        pk__in=job_ids, status__in=[GenerationJob.Status.QUEUED, GenerationJob.Status.RUNNING]
    ).select_related("system")
    for job in jobs.order_by("pk"):
        if job.status == GenerationJob.Status.RUNNING:
            state = (
                f"running ({work_holder(job)}); taken back if it stays silent for "
                f"{stale_after().total_seconds():.0f} s"
            )
        elif job.requeues:
            state = f"queued again after its run fell silent ({job.requeues}×)"
        else:
            state = "queued"
        lines.append(f"generation job {job.pk} ({job.system.name}): {state}")
    return lines
