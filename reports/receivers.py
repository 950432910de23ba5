"""Reacting to the floors below: a finished generation job moves its runs on."""

from __future__ import annotations

from django.db import transaction
from django.dispatch import receiver

from generation.signals import generation_job_finished
from reports.models import EvalRun


@receiver(generation_job_finished, dispatch_uid="reports.advance_runs_of_job")
def advance_runs_of_finished_job(sender, job_id: int, **kwargs) -> None:
    from reports.tasks import eval_run_advance_task

    for run_id in EvalRun.objects.filter(generation_jobs=job_id).values_list("pk", flat=True):
        transaction.on_commit(lambda run_id=run_id: eval_run_advance_task.delay(run_id))
