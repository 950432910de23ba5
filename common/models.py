"""Abstract bases that know no domain."""

from __future__ import annotations

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
