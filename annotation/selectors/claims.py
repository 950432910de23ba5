"""Which items an annotator may be handed, and the window of them a claim looks at.

A claim must cost the same in a study of 1,000 items and of 100,000: it reads the open
items (the ``item_open`` partial index holds exactly those) from the annotator's own
starting point in shuffle-key order, a window at a time, never the whole study.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet

from annotation.models import SHUFFLE_PRIME, Annotator, Assignment, Item, Study
from annotation.models.studies import ITEM_OPEN, UNSERVED_SCREENINGS
from generation.models import Response


def _permutation(study: Study, annotator: Annotator) -> tuple[int, int, int]:
    """A per-annotator affine permutation of shuffle keys (x·a + b mod p) and a starting
    point among them: each person goes through the study from a place of their own, in
    an order of their own, the same every time they come back."""
    digest = hashlib.sha256(f"{study.public_id}:{annotator.pk}".encode()).digest()
    multiplier = 1 + int.from_bytes(digest[:8], "big") % (SHUFFLE_PRIME - 1)
    offset = int.from_bytes(digest[8:16], "big") % SHUFFLE_PRIME
    start = int.from_bytes(digest[16:24], "big") % SHUFFLE_PRIME
    return multiplier, offset, start


def items_open_to(*, study: Study, annotator: Annotator, now: datetime) -> QuerySet[Item]:
    """Items this annotator may take, unordered: open (served, with a free slot or gold;
    the ``item_open`` index holds exactly these) and none they rated, skipped or hold
    (an expired lease of theirs may return). A read without locks, re-checked under the
    item's lock by a claim."""
    theirs = Assignment.objects.filter(item=OuterRef("pk"), annotator=annotator).filter(
        Q(status__in=[Assignment.Status.SUBMITTED, Assignment.Status.SKIPPED])
        | Q(status=Assignment.Status.LEASED, lease_expires_at__gt=now)
    )
    return Item.objects.filter(ITEM_OPEN, study=study).filter(~Exists(theirs)).order_by()


# How many open items a claim looks at: enough that the same sample's responses (one
# per system) are never forced back to back, few enough that the read is the same
# at 1,000 items and at 100,000.
CLAIM_WINDOW = 48


@dataclass(frozen=True)
class ClaimCandidate:
    item_id: int
    sample_id: int
    order_key: int  # the item's place in the annotator's own order
    theirs_before: bool  # they hold an assignment of it already (a lease that ran out)


@dataclass(frozen=True)
class ClaimWindow:
    candidates: list[ClaimCandidate]
    more: bool  # more items are open to them than the window holds


# The window's read, one statement for PostgreSQL and SQLite: each side of the starting
# point a short walk along the item_open index (its predicate is the ITEM_OPEN test,
# spelt out here so that the planner matches it; a test holds the two equal). Written in
# SQL because this is the claim's hot read: compiling it through the ORM cost more than
# the database's work.
_WINDOW_SIDE = """
    SELECT item.id, item.shuffle_key, response.sample_id,
        EXISTS (SELECT 1 FROM {assignment} theirs
                WHERE theirs.item_id = item.id AND theirs.annotator_id = %s)
    FROM {item} item JOIN {response} response ON response.id = item.response_id
    WHERE item.study_id = %s
        AND (item.is_gold OR item.slots_taken < item.slots)
        AND item.screening NOT IN (%s, %s)
        AND item.shuffle_key {side} %s {passed}
        AND NOT EXISTS (
            SELECT 1 FROM {assignment} done
            WHERE done.item_id = item.id AND done.annotator_id = %s
                AND (done.status IN (%s, %s) OR (done.status = %s AND done.lease_expires_at > %s)))
    ORDER BY item.shuffle_key
    LIMIT %s
"""


def claim_window(
    *, study: Study, annotator: Annotator, now: datetime, passed: Collection[int] = ()
) -> ClaimWindow:
    """The next ``CLAIM_WINDOW`` items open to the annotator (``items_open_to``), leaving
    out ``passed``: from their own starting point in shuffle-key order, wrapping around.
    Near the end of their work the window holds every item left."""
    multiplier, offset, start = _permutation(study, annotator)
    passed = list(passed)
    tables = {
        "item": Item._meta.db_table,
        "assignment": Assignment._meta.db_table,
        "response": Response._meta.db_table,
    }
    parameters: list[Any] = []
    sides = []
    for side in (">=", "<"):
        sides.append(
            _WINDOW_SIDE.format(
                **tables,
                side=side,
                passed=f"AND item.id NOT IN ({', '.join(['%s'] * len(passed))})" if passed else "",
            )
        )
        parameters += [
            annotator.pk, study.pk, *UNSERVED_SCREENINGS, start, *passed, annotator.pk,
            Assignment.Status.SUBMITTED, Assignment.Status.SKIPPED, Assignment.Status.LEASED,
            connection.ops.adapt_datetimefield_value(now), CLAIM_WINDOW + 1,
        ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            # Only table names and placeholders are formatted in; every value is bound.
            f"SELECT * FROM ({sides[0]}) AS after_start "  # noqa: S608
            f"UNION ALL SELECT * FROM ({sides[1]}) AS before_start",
            parameters,
        )
        rows = sorted(cursor.fetchall(), key=lambda row: (row[1] < start, row[1]))
    return ClaimWindow(
        candidates=[
            ClaimCandidate(pk, sample, (key * multiplier + offset) % SHUFFLE_PRIME, bool(theirs))
            for pk, key, sample, theirs in rows[:CLAIM_WINDOW]
        ],
        more=len(rows) > CLAIM_WINDOW,
    )
