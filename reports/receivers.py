"""Reacting to the floors below: responses of a run's job are scored batch by batch as
they are stored, and a finished job moves its runs on."""

from __future__ import annotations

from django.dispatch import receiver

from common.queueing import task_send_on_commit
from generation.models import Response
from generation.signals import generation_job_finished, generation_responses_stored
from reports.models import EvalRun
from reports.services.scoring import responses_score


@receiver(generation_job_finished, dispatch_uid="reports.advance_runs_of_job")
def advance_runs_of_finished_job(sender, job_id: int, **kwargs) -> None:
    from reports.tasks import eval_run_advance_task

    for run_id in EvalRun.objects.filter(generation_jobs=job_id).values_list("pk", flat=True):
        task_send_on_commit(eval_run_advance_task, run_id)


@receiver(generation_responses_stored, dispatch_uid="reports.score_stored_responses")
def score_responses_of_runs(
    sender, job_id: int, system_id: int, sample_ids: list[int], **kwargs
) -> None:
    # Only a run's jobs: other generations are scored if and when a run takes them in.
    # A batch takes milliseconds to score, so the worker generating it does it at once;
    # the run's advance after the job scores anything this missed.
    if not EvalRun.objects.filter(generation_jobs=job_id).exists():
        return
    responses = Response.objects.filter(system_id=system_id, sample_id__in=sample_ids)
    responses_score(response_ids=responses.values_list("pk", flat=True))
