"""Generation jobs: a system answers a set of samples, batch by batch, resumably.

A job may be run any number of times (a retry, a redelivered Celery message, a second
job over the same samples): samples that already have this system's response are
skipped, and the (sample, system) unique constraint makes a second response impossible
even when two runs overlap. Each batch is committed on its own, so a crash loses at most
the batch in flight. One run holds a job at a time (common.work): it beats after every
batch, and a job whose run fell silent is taken back by the sweep and run again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from common.errors import CONFLICT, ServiceError
from common.queueing import task_send_on_commit
from common.work import Claim, work_cancel, work_run, work_take_back
from generation.generators import GenerationRequest, GeneratorUnavailable, Outcome, generator_for
from generation.models import GenerationFailure, GenerationJob, Response, Sample, System
from generation.signals import generation_job_finished, generation_responses_stored

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]

GPU_QUEUE = "gpu"
DEFAULT_QUEUE = "default"
Status = GenerationJob.Status


class GenerationJobError(ServiceError):
    code = CONFLICT


def generation_job_queue(system: System) -> str:
    # Only local models need a GPU; API and imported systems would hold a GPU worker idle.
    return GPU_QUEUE if system.kind == System.Kind.HF_LOCAL else DEFAULT_QUEUE


def _enqueue(job: GenerationJob) -> None:
    from generation.tasks import generation_job_run_task

    queue = generation_job_queue(job.system)
    task_send_on_commit(generation_job_run_task, job.pk, queue=queue)


@transaction.atomic
def generation_job_create(
    *, system: System, samples: QuerySet[Sample], enqueue: bool = True
) -> GenerationJob:
    """A job over `samples`, queued once the transaction commits. Samples that already
    have a response from `system` are counted as done from the start."""
    sample_ids = list(samples.order_by("pk").values_list("pk", flat=True))
    if not sample_ids:
        raise GenerationJobError("no samples selected: nothing to generate")
    job = GenerationJob.objects.create(system=system, progress_total=len(sample_ids))
    through = GenerationJob.samples.through
    through.objects.bulk_create(
        [through(generationjob_id=job.pk, sample_id=sample_id) for sample_id in sample_ids],
        batch_size=5000,
    )
    _progress_save(job)
    if enqueue:
        _enqueue(job)
    return job


def generation_job_cancel(*, job: GenerationJob) -> bool:
    """Stops a queued or running job after its current batch; what is stored stays."""
    return work_cancel(work=job)


@transaction.atomic
def generation_job_retry(*, job: GenerationJob) -> GenerationJob:
    """Queue a failed or cancelled job again, or one whose run fell silent; it answers
    only what is still missing."""
    if work_take_back(work=job):
        return job
    retried = GenerationJob.objects.filter(
        pk=job.pk, status__in=[Status.FAILED, Status.CANCELLED]
    ).update(status=Status.QUEUED, error="", finished_at=None, updated_at=timezone.now())
    job.refresh_from_db()
    if not retried:
        raise GenerationJobError(
            f"job {job.pk} is {job.status}: only a failed or cancelled job is retried"
        )
    _enqueue(job)
    return job


def generation_job_requeue(job: GenerationJob) -> None:
    """What the stale-work sweep does with a job taken back from a silent run."""
    _enqueue(job)


def _pending(job: GenerationJob) -> list[GenerationRequest]:
    samples = (
        job.samples.exclude(responses__system_id=job.system_id)
        .select_related("dataset")
        .order_by("pk")
    )
    return [
        GenerationRequest(
            sample_id=sample.pk,
            source_id=sample.source_id,
            dataset_name=sample.dataset.name,
            context=sample.context_as_turns(),
        )
        for sample in samples.iterator(chunk_size=2000)
    ]


def _progress_save(job: GenerationJob) -> None:
    job.progress_done = job.samples.filter(responses__system_id=job.system_id).count()
    GenerationJob.objects.filter(pk=job.pk).update(
        progress_done=job.progress_done, updated_at=timezone.now()
    )


def _outcomes_store(job: GenerationJob, outcomes: Iterable[Outcome]) -> None:
    answered = [outcome for outcome in outcomes if outcome.text is not None]
    failures = [outcome for outcome in outcomes if outcome.text is None]
    with transaction.atomic():
        # A response stored by an overlapping run of the same samples wins; this one is
        # dropped by the unique constraint rather than stored twice.
        Response.objects.bulk_create(
            [
                Response(
                    sample_id=outcome.sample_id,
                    system_id=job.system_id,
                    job=job,
                    text=outcome.text or "",  # answered: never None
                    prompt_tokens=outcome.prompt_tokens,
                    completion_tokens=outcome.completion_tokens,
                    latency_seconds=outcome.latency_seconds,
                    context_truncated=outcome.context_truncated,
                    context_turns_dropped=outcome.context_turns_dropped,
                )
                for outcome in answered
            ],
            ignore_conflicts=True,
        )
        GenerationFailure.objects.filter(
            job=job, sample_id__in=[outcome.sample_id for outcome in answered]
        ).delete()
        for outcome in failures:
            GenerationFailure.objects.update_or_create(
                job=job, sample_id=outcome.sample_id, defaults={"reason": outcome.failure}
            )
    if answered:
        # What listeners do with a batch (scoring it, say) must not stop the generation:
        # their errors are logged, and whatever they missed is theirs to catch up on.
        results = generation_responses_stored.send_robust(
            sender=GenerationJob,
            job_id=job.pk,
            system_id=job.system_id,
            sample_ids=[outcome.sample_id for outcome in answered],
        )
        for listener, result in results:
            if isinstance(result, Exception):
                logger.error("job %s: %s failed on a batch: %r", job.pk, listener, result)


def _finish(
    job: GenerationJob, claim: Claim, *, error: str = "", notes: Sequence[str] = ()
) -> GenerationJob:
    _progress_save(job)
    missing = job.progress_total - job.progress_done
    if not error and missing:
        first = job.failures.exclude(sample__responses__system_id=job.system_id).first()
        error = f"{missing} of {job.progress_total} samples have no response" + (
            f"; the first reason: {first.reason}" if first else ""
        )
    # A job cancelled meanwhile stays cancelled; one taken over is the other run's.
    claim.settle(
        status=Status.FAILED if error else Status.SUCCEEDED,
        error=error,
        notes="\n".join(notes),
        claimed_by="",
        finished_at=timezone.now(),
    )
    job.refresh_from_db()
    generation_job_finished.send(sender=GenerationJob, job_id=job.pk)
    return job


def generation_job_run(
    *, job_id: int, on_progress: ProgressCallback | None = None
) -> GenerationJob | None:
    """Run a queued job, or take over one whose run fell silent. A job that is finished,
    cancelled, gone or held by a live run is left alone (None). A run that breaks fails
    the job with the reason; a retry goes on from what was stored."""
    return work_run(model=GenerationJob, pk=job_id, run=lambda claim: _run(claim, on_progress))


def _run(claim: Claim, on_progress: ProgressCallback | None) -> GenerationJob:
    job = GenerationJob.objects.select_related("system").get(pk=claim.pk)
    requests = _pending(job)
    _progress_save(job)
    if on_progress is not None:
        on_progress(job.progress_done, job.progress_total)
    if not requests:
        return _finish(job, claim)
    try:
        generator = generator_for(job.system)
    except GeneratorUnavailable as error:
        # The system cannot answer anything: one clear message, not a failure per sample.
        return _finish(job, claim, error=str(error))
    try:
        for outcomes in generator.run(requests):
            # Stored even when the run has lost the job meanwhile: the unique constraint
            # keeps one response per sample, and an answer is never thrown away.
            _outcomes_store(job, outcomes)
            _progress_save(job)
            if on_progress is not None:
                on_progress(job.progress_done, job.progress_total)
            if not claim.beat():  # cancelled, or taken back after falling silent
                break
    except GeneratorUnavailable as error:
        return _finish(job, claim, error=str(error), notes=generator.notes)
    finally:
        generator.close()
    return _finish(job, claim, notes=generator.notes)
