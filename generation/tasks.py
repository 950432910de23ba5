from __future__ import annotations

from celery import shared_task

from generation.models import Dataset
from generation.services import dataset_stats_refresh, generation_job_run


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def dataset_refresh_stats(dataset_id: int) -> None:
    # Recomputing from the rows is idempotent: a retry or a duplicate delivery is harmless.
    dataset = Dataset.objects.filter(pk=dataset_id).first()
    if dataset is None:
        return
    dataset_stats_refresh(dataset=dataset)


@shared_task(name="generation.tasks.generation_job_run")
def generation_job_run_task(job_id: int) -> None:
    # Safe to deliver twice: a job held by a live run, finished or cancelled is left alone,
    # and a run skips answered samples. Not retried automatically: a broken run fails the
    # job with the reason, and a user retries it once the cause is fixed.
    generation_job_run(job_id=job_id)
