"""Sending a Celery task for work a transaction just stored."""

from __future__ import annotations

from typing import Any

from celery import Task
from django.db import transaction


def task_send_on_commit(task: Task, *args: Any, queue: str | None = None) -> None:
    """Sends `task` with `args` once the current transaction commits (at once outside
    one): a worker never looks for a row it cannot see yet, and a write rolled back sends
    nothing. `queue` overrides the task's route."""
    options = {"queue": queue} if queue else {}
    transaction.on_commit(lambda: task.apply_async(args, **options))
