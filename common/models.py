"""Abstract bases that know no domain: timestamps, JSON that keeps Chinese readable, and
queued work a worker claims and keeps alive."""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class ClaimedWork(models.Model):
    """Work a worker claims and keeps alive with a heartbeat (common.work): a row that says
    `running` while nothing refreshes its heartbeat is taken back and queued again."""

    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="When the run holding this work last said it is alive."
    )
    # host:pid:token of the run holding the work; empty while none does.
    claimed_by = models.CharField(max_length=200, blank=True)
    # How often it was taken back from a run that fell silent.
    requeues = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class UnicodeJSONEncoder(DjangoJSONEncoder):
    """JSON with Chinese kept as UTF-8 rather than \\uXXXX escapes: half the bytes, and
    far less escaping when PostgreSQL bulk inserts pass JSON inside arrays."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs["ensure_ascii"] = False
        super().__init__(*args, **kwargs)


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class QueuedWork(TimestampedModel, ClaimedWork):
    """What a worker runs in the background, with the progress and outcome pages show,
    claimed and kept alive through common.work. Subclasses keep their own check that
    progress_done <= progress_total (a constraint name is per model)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        SUCCEEDED = "succeeded", "succeeded"
        FAILED = "failed", "failed"
        CANCELLED = "cancelled", "cancelled"

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at"]
