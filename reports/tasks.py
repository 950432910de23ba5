from __future__ import annotations

from celery import shared_task

from reports.services import eval_run_advance


@shared_task(name="reports.tasks.eval_run_advance", autoretry_for=(ConnectionError,),
             retry_backoff=True, max_retries=5)  # fmt: skip
def eval_run_advance_task(run_id: int) -> None:
    # Idempotent: each step looks at what is stored and does only what is missing.
    eval_run_advance(run_id=run_id)
