from __future__ import annotations

from celery import shared_task

from common.work import work_requeue_stale


@shared_task(name="common.tasks.stale_work_sweep")
def stale_work_sweep_task() -> int:
    # Safe to run anywhere and at once: each row is taken back by a conditional update.
    return len(work_requeue_stale())
