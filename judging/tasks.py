from __future__ import annotations

from celery import shared_task

from judging.services import judge_run_run


@shared_task(name="judging.tasks.judge_run")
def judge_run_task(run_id: int) -> None:
    # Safe to deliver twice: only pending verdicts are asked, each answer is stored under
    # a row lock, and a run a live worker holds is left alone.
    judge_run_run(run_id=run_id)
