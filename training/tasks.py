from __future__ import annotations

import logging

from celery import shared_task

from training.services import training_job_fail, training_job_run

logger = logging.getLogger(__name__)


@shared_task(name="training.tasks.training_job_run")
def training_job_run_task(job_id: int) -> None:
    # Safe to deliver twice: a finished or stopped job is left alone, and a running one
    # goes on from its last checkpoint. Not retried automatically: a broken run is
    # recorded on the job, and a user retries it once the cause is fixed.
    try:
        training_job_run(job_id=job_id)
    except Exception as error:
        logger.exception("training job %s broke", job_id)
        training_job_fail(job_id=job_id, error=f"the run broke: {type(error).__name__}: {error}")
        raise
