from __future__ import annotations

import logging

from celery import shared_task

from generation.models import Dataset
from generation.services import dataset_stats_refresh, generation_job_run
from generation.services.corpus import corpus_build_fail, corpus_build_run
from generation.services.jobs import generation_job_fail

logger = logging.getLogger(__name__)


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def dataset_refresh_stats(dataset_id: int) -> None:
    # Recomputing from the rows is idempotent: a retry or a duplicate delivery is harmless.
    dataset = Dataset.objects.filter(pk=dataset_id).first()
    if dataset is None:
        return
    dataset_stats_refresh(dataset=dataset)


@shared_task(name="generation.tasks.generation_job_run")
def generation_job_run_task(job_id: int) -> None:
    # Safe to deliver twice: the run skips answered samples and a finished job is left
    # alone. Not retried automatically: a broken run is recorded on the job, and a user
    # retries it from the admin or a command once the cause is fixed.
    try:
        generation_job_run(job_id=job_id)
    except Exception as error:
        logger.exception("generation job %s broke", job_id)
        generation_job_fail(job_id=job_id, error=f"the run broke: {type(error).__name__}: {error}")
        raise


@shared_task(name="generation.tasks.corpus_build_run")
def corpus_build_run_task(build_id: int) -> None:
    # Safe to deliver twice: only pending records are asked, and each answer is stored
    # under a row lock. A broken run is recorded; `build_corpus --resume` goes on.
    try:
        corpus_build_run(build_id=build_id)
    except Exception as error:
        logger.exception("corpus build %s broke", build_id)
        corpus_build_fail(
            build_id=build_id, error=f"the run broke: {type(error).__name__}: {error}"
        )
        raise
