"""Claims: handing an annotator their next item in a study.

A claim reads a window of the open items from the annotator's own starting point
(``annotation.selectors.claims``), then locks one of them, skipping rows other claims
hold (SKIP LOCKED), and leases it under that lock, taking its slot. Lock order, as
everywhere: annotator, then item, then assignment.
"""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from annotation.models import Annotator, Assignment, Item, Study
from annotation.models.studies import ITEM_OPEN
from annotation.selectors.claims import ClaimCandidate, claim_window
from annotation.services.assignments import AssignmentRefused, study_open_check
from annotation.services.slots import leases_give_back, slot_take


@dataclass(frozen=True)
class Claim:
    """An item leased (or the current one handed back) and, as far as the claim looked,
    how many more are still open to the annotator: ``still_open`` is (how many, whether
    at least that many), None for the current lease, where it did not look."""

    assignment: Assignment
    still_open: tuple[int, bool] | None = None


def assignment_next(*, annotator: Annotator, study: Study) -> Assignment | None:
    """The annotator's current item in the study, or a newly leased one; None when
    nothing is left for them."""
    claim = assignment_claim(annotator=annotator, study=study)
    return None if claim is None else claim.assignment


@transaction.atomic
def assignment_claim(*, annotator: Annotator, study: Study) -> Claim | None:
    """``assignment_next``, with what the claim saw of the items still open."""
    # One claim at a time per annotator: two tabs asking at once get the same item.
    annotator = Annotator.objects.select_for_update().get(pk=annotator.pk)
    if not annotator.active:
        raise AssignmentRefused(_("Your annotator account is inactive."), code="forbidden")
    study = Study.objects.get(pk=study.pk)
    study_open_check(study, for_new_items=True)
    now = timezone.now()
    mine = Assignment.objects.filter(annotator=annotator, item__study=study)
    latest = (
        mine.order_by("-leased_at")
        .values_list("pk", "status", "lease_expires_at", "item__response__sample_id")
        .first()
    )
    last_sample = None
    if latest is not None:
        pk, status, expires, last_sample = latest
        if status == Assignment.Status.LEASED and expires > now:
            return Claim(Assignment.objects.select_related("item__study").get(pk=pk))
    leases_give_back(study=study, now=now)
    passed: list[int] = []
    while (
        window := claim_window(study=study, annotator=annotator, now=now, passed=passed)
    ).candidates:
        for candidate in _in_preference(window.candidates, last_sample):
            # Locked with the open test re-read: claims and late submits that held the
            # item before us have committed, so the count it reads is exact.
            item = (
                Item.objects.select_for_update(skip_locked=True)
                .filter(ITEM_OPEN, pk=candidate.item_id)
                .order_by()
                .first()
            )
            if item is not None:
                item.study = study
                return Claim(
                    _lease(item, annotator, study, timezone.now(), candidate.theirs_before),
                    still_open=(len(window.candidates) + len(passed) - 1, window.more),
                )
            passed.append(candidate.item_id)
    return None


def _in_preference(
    candidates: list[ClaimCandidate], last_sample: int | None
) -> list[ClaimCandidate]:
    """The same sample's responses from different systems are never back to back: the
    sample just seen goes last, and samples with the most items left go first (the
    greedy rule that never paints itself into a corner of one sample's items), while the
    annotator's own order decides among them. The window holds every item left when it
    matters, near the end; before that no sample can hold half of it."""
    left = Counter(candidate.sample_id for candidate in candidates)
    return sorted(
        candidates,
        key=lambda candidate: (
            candidate.sample_id == last_sample,
            -left[candidate.sample_id],
            candidate.order_key,
        ),
    )


def _lease(
    item: Item, annotator: Annotator, study: Study, now: datetime, theirs_before: bool
) -> Assignment:
    """Lease a locked, open item to the annotator, taking a slot unless a lease of theirs
    that ran out still holds one (it was not given back yet). ``theirs_before``: they
    may hold an assignment of it (no other claim of theirs runs: their row is locked)."""
    expires = now + timedelta(minutes=study.lease_minutes)
    assignment = (
        Assignment.objects.select_for_update().filter(item=item, annotator=annotator).first()
        if theirs_before
        else None
    )
    if assignment is None:
        slot_take(item)
        return Assignment.objects.create(
            item=item,
            annotator=annotator,
            leased_at=now,
            lease_expires_at=expires,
            # Drawn here, per annotator and from a secret source: the side a system's
            # answer is on says nothing, to them or to anyone comparing notes.
            response_on_left=secrets.randbelow(2) == 1 if study.is_pairwise else None,
        )
    if assignment.status != Assignment.Status.LEASED:
        slot_take(item)
    # Their own lease ran out earlier: the draft and the active time credited so far stay.
    assignment.status = Assignment.Status.LEASED
    assignment.active_seconds_before_lease = assignment.active_seconds
    assignment.leased_at = now
    assignment.lease_expires_at = expires
    assignment.save()
    return assignment
