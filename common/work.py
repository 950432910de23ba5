"""Queued work that outlives its worker: claims, heartbeats and the stale-work sweep.

A row of queued work (a generation job, a corpus build, a training job, anything on
common.models.ClaimedWork) is run by whoever claims it. The claim is a conditional
UPDATE that takes work which is queued, or running with a heartbeat older than
SOULEVAL_WORK_STALE_SECONDS (its worker died without a word), and writes a token of its
own. The run refreshes the heartbeat after every batch or step, and every write that
settles the work (succeeded, failed) is conditional on that token. So:

- a task delivered again while the first run lives (a killed pool child's message is
  requeued at once, Redis redelivers what nobody acknowledged) finds a fresh heartbeat
  and leaves the work alone: one run at a time;
- work whose run fell silent is taken back by the sweep (``work_requeue_stale``, run
  every SOULEVAL_WORK_SWEEP_SECONDS by Celery beat) and queued again, and the new task
  takes it over;
- a run that was only slow and comes back finds its token gone and stops without
  settling anything.

The broker's visibility timeout (CELERY_VISIBILITY_TIMEOUT_SECONDS, days) is then only a
backstop for a message nobody acknowledged: when it comes back, the claim finds the work
finished, or live, and does nothing.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone

from common.models import QueuedWork

logger = logging.getLogger(__name__)

# Every kind of queued work spells these states the same way.
QUEUED, RUNNING, FAILED, CANCELLED = "queued", "running", "failed", "cancelled"
T = TypeVar("T")


def stale_after() -> timedelta:
    return timedelta(seconds=settings.SOULEVAL_WORK_STALE_SECONDS)


def _stale(now: datetime) -> Q:
    return Q(status=RUNNING) & (
        Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=now - stale_after())
    )


def work_holder(work: Any) -> str:
    """Who holds running work and how recently they said so, in words."""
    holder = work.claimed_by.rsplit(":", 1)[0] if work.claimed_by else "an earlier version"
    if work.heartbeat_at is None:
        return f"{holder}, no heartbeat"
    silent = int((timezone.now() - work.heartbeat_at).total_seconds())
    return f"{holder}, last heartbeat {silent} s ago"


def work_is_stale(work: Any) -> bool:
    return work.status == RUNNING and (
        work.heartbeat_at is None or work.heartbeat_at < timezone.now() - stale_after()
    )


def work_take_back(*, work: Any) -> bool:
    """Take back `work` now if its run fell silent (what the sweep would do at its next
    round); False when it is not running, or its run is alive."""
    if not work_is_stale(work):
        return False
    taken = bool(work_requeue_stale(model=type(work), pks=[work.pk]))
    work.refresh_from_db()
    return taken


@dataclass(frozen=True)
class Claim:
    """A run's hold on one row of work."""

    model: type[QueuedWork]
    pk: int
    token: str

    def held(self) -> models.QuerySet[QueuedWork]:
        """The row, only while this run holds it."""
        return self.model._default_manager.filter(pk=self.pk, status=RUNNING, claimed_by=self.token)

    def beat(self) -> bool:
        """Say the run is alive. False once it no longer holds the work (cancelled,
        stopped, or taken back after falling silent): the caller stops there."""
        now = timezone.now()
        return bool(self.held().update(heartbeat_at=now, updated_at=now))

    def release(self) -> bool:
        """Drop the heartbeat of a run a person stopped (Ctrl-C): the work is stale at
        once, so a rerun, a redelivery or the sweep takes it over without waiting."""
        return bool(self.held().update(heartbeat_at=None, updated_at=timezone.now()))

    def settle(self, **fields: Any) -> bool:
        """Write the outcome, only while this run holds the work (a cancelled job stays
        cancelled; work another run took over is that run's to settle)."""
        return bool(self.held().update(**fields, updated_at=timezone.now()))


def work_cancel(*, work: QueuedWork, finish: bool = True) -> bool:
    """Cancels queued or running work, True when it was: a run that holds it sees it at
    its next beat and stops there, and what it stored stays. `finish=False` leaves
    `finished_at` to that run (a training run saves a checkpoint first)."""
    now = timezone.now()
    fields: dict[str, Any] = {"status": CANCELLED, "updated_at": now}
    if finish:
        fields["finished_at"] = now
    cancelled = (
        type(work)
        ._default_manager.filter(pk=work.pk, status__in=[QUEUED, RUNNING])
        .update(**fields)
    )
    work.refresh_from_db()
    return bool(cancelled)


def work_claim(*, model: type[QueuedWork], pk: int) -> Claim | None:
    """Take queued work, or running work whose heartbeat is stale, for this run; None when
    it is finished, gone, or held by a run that is alive."""
    now = timezone.now()
    token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    claimed = (
        model._default_manager.filter(Q(status=QUEUED) | _stale(now), pk=pk)
        .update(status=RUNNING, claimed_by=token, heartbeat_at=now, finished_at=None,
                updated_at=now)
    )  # fmt: skip
    if not claimed:
        work = model._default_manager.filter(pk=pk, status=RUNNING).first()
        if work is not None:
            logger.info("%s %s is running (%s): left to that run", model.__name__, pk,
                        work_holder(work))  # fmt: skip
        return None
    model._default_manager.filter(pk=pk, started_at__isnull=True).update(started_at=now)
    return Claim(model, pk, token)


def work_run(*, model: type[QueuedWork], pk: int, run: Callable[[Claim], T]) -> T | None:
    """Claim the work and run it; None when it cannot be claimed (work_claim). A run a
    person stops (Ctrl-C) drops its heartbeat, so a rerun takes over at once; a run that
    breaks fails the work with the reason (a retry goes on from what was stored), and the
    error goes on up."""
    claim = work_claim(model=model, pk=pk)
    if claim is None:
        return None
    try:
        return run(claim)
    except KeyboardInterrupt:
        claim.release()
        raise
    except Exception as error:
        claim.settle(
            status=FAILED,
            error=f"the run broke: {type(error).__name__}: {error}",
            claimed_by="",
            finished_at=timezone.now(),
        )
        raise


@dataclass(frozen=True)
class WorkKind:
    model: type[QueuedWork]
    # Sends the work's task again (on commit); returns why it was not sent, if it cannot be
    # (a training job under a launcher is started by a person).
    requeue: Callable[[Any], str | None]


_KINDS: dict[str, WorkKind] = {}


def work_kind_register(*, model: type[QueuedWork], requeue: Callable[[Any], str | None]) -> None:
    """Put a kind of work under the sweep (each app does it for its own, when it loads)."""
    _KINDS[model._meta.label] = WorkKind(model, requeue)


@dataclass(frozen=True)
class Requeued:
    model: str
    pk: int
    holder: str  # the silent run, in words
    note: str  # why the task was not sent again, if it was not


def work_requeue_stale(
    *, model: type[QueuedWork] | None = None, pks: list[int] | None = None
) -> list[Requeued]:
    """Running work whose heartbeat is stale goes back to queued and its task is sent
    again; the claim then lets the new task take it over."""
    now = timezone.now()
    taken: list[Requeued] = []
    for kind in _KINDS.values():
        if model is not None and kind.model is not model:
            continue
        rows = kind.model._default_manager.filter(_stale(now))
        if pks is not None:
            rows = rows.filter(pk__in=pks)
        for work in rows.order_by("pk"):
            holder = work_holder(work)
            with transaction.atomic():
                # Only if the same run is still silent: one that beat meanwhile keeps its
                # work, and two sweeps at once take it back once.
                back = kind.model._default_manager.filter(
                    pk=work.pk, status=RUNNING, claimed_by=work.claimed_by,
                    heartbeat_at=work.heartbeat_at,
                ).update(status=QUEUED, claimed_by="", requeues=F("requeues") + 1,
                         updated_at=now)  # fmt: skip
                if not back:
                    continue
                work.refresh_from_db()
                note = kind.requeue(work) or ""
            logger.warning("%s %s taken back from %s and queued again%s", kind.model.__name__,
                           work.pk, holder, f" ({note})" if note else "")  # fmt: skip
            taken.append(Requeued(kind.model.__name__, work.pk, holder, note))
    return taken
