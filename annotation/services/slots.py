"""The count of slots taken kept on each item: taken and given back under the item's lock.

A slot is a submitted rating or a lease not given back; ``Item.slots_taken`` counts them
and the database refuses an ordinary item over ``Item.slots``. A lease that ran out is
given back by the next claim in its study (``leases_give_back``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime

from django.db.models import F

from annotation.models import Assignment, Item, Study


def slot_take(item: Item) -> None:
    # Under the item's lock; the item_slots_never_overfilled constraint backs the count.
    Item.objects.filter(pk=item.pk).update(slots_taken=F("slots_taken") + 1)


def slots_give_back(counts: Mapping[int, int]) -> None:
    """Give back slots, item id → how many; the caller holds those items' locks."""
    for item_id, count in counts.items():
        Item.objects.filter(pk=item_id).update(slots_taken=F("slots_taken") - count)


def leases_give_back(*, study: Study, now: datetime) -> int:
    """Give back the slots of the study's leases that ran out; how many were given back.

    Read along the index of leases still out (a few per annotator at most), so it costs
    nothing in a study of any size. An item another transaction holds is left for the
    next claim: nobody waits here."""
    ran_out = list(
        Assignment.objects.filter(
            status=Assignment.Status.LEASED, lease_expires_at__lte=now, item__study=study
        )
        .order_by()
        .values_list("pk", "item_id")
    )
    if not ran_out:
        return 0
    locked = set(
        Item.objects.select_for_update(skip_locked=True)
        .filter(pk__in={item_id for _, item_id in ran_out})
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    # Under the items' locks, and re-read under the assignments' own: a draft saved just
    # now may have extended one of them.
    given_back = list(
        Assignment.objects.select_for_update()
        .filter(
            pk__in=[pk for pk, item_id in ran_out if item_id in locked],
            status=Assignment.Status.LEASED,
            lease_expires_at__lte=now,
        )
        .values_list("pk", "item_id")
    )
    Assignment.objects.filter(pk__in=[pk for pk, _ in given_back]).update(
        status=Assignment.Status.EXPIRED
    )
    slots_give_back(Counter(item_id for _, item_id in given_back))
    return len(given_back)
