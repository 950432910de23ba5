from __future__ import annotations

from celery import shared_task

from training.services import training_job_run


@shared_task(name="training.tasks.training_job_run")
def training_job_run_task(job_id: int) -> None:
    # Safe to deliver twice: a finished or stopped job, or one a live run holds, is left
    # alone, and a job taken back from a silent run goes on from its last checkpoint. Not
    # retried automatically: a broken run fails the job with the reason, and a user
    # retries it once the cause is fixed.
    training_job_run(job_id=job_id)
