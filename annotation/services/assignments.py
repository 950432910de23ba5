"""Drafts, skips and submitted ratings of the items handed to annotators (claims are in
``annotation.services.claims``, the slot bookkeeping in ``annotation.services.slots``).

The invariant: an ordinary item never has more than ``raters_per_item`` slots taken,
where a slot is a submitted rating or a lease not given back. The item keeps the count
(``slots_taken``, checked against ``slots`` by a constraint), and every change that takes
or gives back a slot holds the item's row lock while it does, so two claims (or a claim
and a late submit) on one item are serialised, while claims on different items run in
parallel: a claim skips rows another transaction has locked (SKIP LOCKED) instead of
waiting. A lease that ran out gives its slot back at the next claim in the study.

Lock order, to rule out deadlocks: annotator, then item, then assignment. Claims never
wait on an item (they skip it); submits wait on the item before the assignment.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.mail import mail_admins
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from annotation.models import (
    Annotator,
    Assignment,
    Item,
    Rating,
    RatingRevision,
    SafetyFlag,
    Study,
)
from annotation.rubric import SCALE_KEYS, ScoresInvalid, pair_choices_parse, scores_parse
from annotation.services.slots import slot_take, slots_give_back
from common.errors import CONFLICT, INVALID, ServiceError

logger = logging.getLogger(__name__)

COMMENT_MAX = 5000
SKIP_REASON_MAX = 500


class AssignmentRefused(ServiceError):
    """Something the annotator asked for cannot be done; the message says why, for them.
    Mostly the state of the item or study (conflict); ``code`` says otherwise."""

    code = CONFLICT


class RatingInvalid(AssignmentRefused):
    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(
            "; ".join(f"{key}: {message}" for key, message in errors.items()),
            code=INVALID,
            errors=errors,
        )


@dataclass(frozen=True)
class SubmitResult:
    rating: Rating
    # False when this request repeated one already stored (same submission id).
    created: bool


def study_open_check(study: Study, *, for_new_items: bool) -> None:
    if not study.takes_ratings:
        raise AssignmentRefused(_("This study is closed: it takes no more ratings."))
    if for_new_items and study.status != Study.Status.OPEN:
        raise AssignmentRefused(
            _("This study is paused: no new items are handed out until it reopens.")
            if study.status == Study.Status.PAUSED
            else _("This study is not open yet.")
        )


def assignment_locked(annotator: Annotator, item_public_id: str, *, lock_item: bool) -> Assignment:
    """The annotator's assignment of an item, locked; with ``lock_item``, the item's lock
    first (the lock order), for anything that takes or gives back a slot."""
    refused = AssignmentRefused(_("No such item among yours."), code="not_found")
    if not lock_item:
        assignment = (
            Assignment.objects.select_for_update(of=("self",))
            .select_related("item__study")
            .filter(annotator=annotator, item__public_id=item_public_id)
            .order_by()
            .first()
        )
        if assignment is None:
            raise refused
        return assignment
    # The item is locked before it is known to be theirs: a lock held a moment on someone
    # else's item costs nothing, the join to prove it first cost every submit.
    item = (
        Item.objects.select_for_update(of=("self",))
        .select_related("study")
        .filter(public_id=item_public_id)
        .order_by()
        .first()
    )
    assignment = (
        None
        if item is None
        else Assignment.objects.select_for_update().filter(annotator=annotator, item=item).first()
    )
    if item is None or assignment is None:
        raise refused
    assignment.item = item
    return assignment


def active_seconds_parse(reported: object) -> int:
    """The active seconds a client reports, or RatingInvalid; the caller clamps them."""
    if isinstance(reported, bool) or not isinstance(reported, int | float) or reported < 0:
        raise RatingInvalid({"active_seconds": "a number of seconds, 0 or more"})
    return int(reported)


def active_seconds_credit(assignment: Assignment, reported: object, now: datetime) -> int:
    """What the client measured, clamped to the wall time of the leases: earlier leases'
    credit plus the time since this lease began. Never lowers what was credited."""
    wall = max(0.0, (now - assignment.leased_at).total_seconds())
    allowed = assignment.active_seconds_before_lease + int(wall)
    return max(assignment.active_seconds, min(active_seconds_parse(reported), allowed))


def gold_matches(item: Item, scores: Mapping[str, int]) -> int | None:
    """On a gold item, how many of the four scales match its expected scores."""
    expected = item.expected_scores()
    return None if expected is None else sum(scores[key] == expected[key] for key in SCALE_KEYS)


def text_clean(value: object, *, field: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RatingInvalid({field: "text"})
    if len(value) > limit:
        raise RatingInvalid({field: _("at most %(limit)s characters") % {"limit": limit}})
    return value.strip()


@transaction.atomic
def assignment_draft_save(
    *,
    annotator: Annotator,
    item_public_id: str,
    draft: Mapping[str, object],
    active_seconds: object,
    pairwise: bool | None = None,
) -> Assignment:
    """The scores (or a pair's choices) and comment so far, and the active time so far; a
    live lease is extended, since the annotator is evidently working on it. ``pairwise``:
    what the client's form was for, refused when the item is the other kind."""
    assignment = assignment_locked(annotator, item_public_id, lock_item=False)
    if assignment.status == Assignment.Status.SUBMITTED:
        raise AssignmentRefused(_("You have already submitted this item."))
    if assignment.status == Assignment.Status.SKIPPED:
        raise AssignmentRefused(_("You skipped this item."))
    study_open_check(assignment.item.study, for_new_items=False)
    is_pair = assignment.item.study.is_pairwise
    if pairwise is not None and pairwise != is_pair:
        raise AssignmentRefused(
            _("This item is a pair: say which answer is better.")
            if is_pair
            else _("This item is rated on the scales, not voted on.")
        )
    assignment.draft = _draft_parse(draft, pairwise=is_pair)
    now = timezone.now()
    assignment.active_seconds = active_seconds_credit(assignment, active_seconds, now)
    assignment.draft_saved_at = now
    if assignment.status == Assignment.Status.LEASED and assignment.lease_expires_at > now:
        assignment.lease_expires_at = now + timedelta(minutes=assignment.item.study.lease_minutes)
    assignment.save()
    return assignment


def _draft_parse(draft: Mapping[str, object], *, pairwise: bool) -> dict[str, object]:
    """A rating's scores so far, or a vote's choices so far, and the comment."""
    try:
        if pairwise:
            chosen: dict[str, object] = dict(pair_choices_parse(draft, partial=True))
        else:
            unknown = set(draft) - {*SCALE_KEYS, "comment"}
            if unknown:
                raise RatingInvalid(dict.fromkeys(sorted(unknown), "not part of a draft"))
            chosen = dict(scores_parse(draft, partial=True))
    except ScoresInvalid as error:
        raise RatingInvalid(error.errors) from None
    comment = text_clean(draft.get("comment"), field="comment", limit=COMMENT_MAX)
    return {**chosen, "comment": comment}


def submission_uuid(value: object) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise RatingInvalid(
            {"submission_id": "a UUID made by the client for this submission"}
        ) from None


def rating_content_parse(
    scores: Mapping[str, object], comment: object
) -> tuple[dict[str, int], str]:
    """The four scores and the comment of a submit or a revision, or RatingInvalid."""
    try:
        parsed = scores_parse(scores)
    except ScoresInvalid as error:
        raise RatingInvalid(error.errors) from None
    return parsed, text_clean(comment, field="comment", limit=COMMENT_MAX)


@transaction.atomic
def rating_submit(
    *,
    annotator: Annotator,
    item_public_id: str,
    scores: Mapping[str, object],
    comment: object,
    active_seconds: object,
    submission_id: object,
) -> SubmitResult:
    """Store the rating once. A repeat with the same submission id (double click, retry
    after a lost answer) gets the stored rating back; a submit after the lease ran out
    is taken if the item still has room, and refused, with the reason, if not."""
    submission = submission_uuid(submission_id)
    earlier = rating_of_submission(submission)
    if earlier is not None:
        # The first submit of a rating revised since then is still a repeat.
        return _repeat(earlier, annotator, item_public_id)
    parsed, comment = rating_content_parse(scores, comment)
    assignment = assignment_locked(annotator, item_public_id, lock_item=True)
    if assignment.status == Assignment.Status.SUBMITTED:
        # A concurrent twin got the locks first and has committed by now.
        return _repeat(assignment.rating, annotator, item_public_id, submission=submission)
    if assignment.status == Assignment.Status.SKIPPED:
        raise AssignmentRefused(_("You skipped this item, so it cannot be rated now."))
    item, study = assignment.item, assignment.item.study
    if study.is_pairwise:
        raise AssignmentRefused(_("This item is a pair: say which answer is better."))
    study_open_check(study, for_new_items=False)
    now = timezone.now()
    late_slot_take(
        assignment,
        _(
            "Your time on this item ran out and it has since been rated by enough "
            "people, so this rating was not stored. Please take the next item."
        ),
    )
    active = active_seconds_credit(assignment, active_seconds, now)
    try:
        with transaction.atomic():
            rating = Rating.objects.create(
                assignment=assignment,
                **parsed,
                comment=comment,
                active_seconds=active,
                submission_id=submission,
                gold_matches=gold_matches(item, parsed),
            )
    except IntegrityError:
        # The same submission id arrived for another item at the same moment.
        raise AssignmentRefused(
            _("This submission id was already used; reload the page.")
        ) from None
    assignment_submitted(assignment, now, active)
    if rating.safety == 0:
        safety_flag_raise(rating, assignment)
    return SubmitResult(rating=rating, created=True)


def late_slot_take(assignment: Assignment, refusal: str) -> None:
    """On a submit whose lease ran out (its slot given back): the slot taken again if it
    is still free, or AssignmentRefused with ``refusal``. The caller holds the locks."""
    if assignment.status != Assignment.Status.EXPIRED:
        return
    item = assignment.item
    if not item.is_gold and item.slots_taken >= item.slots:
        raise AssignmentRefused(refusal)
    slot_take(item)


def assignment_submitted(assignment: Assignment, now: datetime, active: int) -> None:
    """The assignment marked submitted, its draft cleared, once its rating or vote is
    stored (under the same locks)."""
    assignment.status = Assignment.Status.SUBMITTED
    assignment.submitted_at = now
    assignment.active_seconds = active
    assignment.draft = {}
    assignment.save(
        update_fields=["status", "submitted_at", "active_seconds", "draft", "updated_at"]
    )


def rating_of_submission(submission: uuid.UUID) -> Rating | None:
    """The rating a submission stored, as first sent or as a version since revised."""
    # Two lookups by unique index: an OR across the join to revisions reads every rating.
    found = (
        Rating.objects.filter(submission_id=submission)
        .order_by()
        .values_list("pk", flat=True)
        .first()
    )
    if found is None:
        found = (
            RatingRevision.objects.filter(submission_id=submission)
            .order_by()
            .values_list("rating_id", flat=True)
            .first()
        )
    return None if found is None else Rating.objects.select_related("assignment").get(pk=found)


def _repeat(
    rating: Rating,
    annotator: Annotator,
    item_public_id: str,
    *,
    submission: uuid.UUID | None = None,
) -> SubmitResult:
    assignment = rating.assignment
    same_item = Item.objects.filter(pk=assignment.item_id, public_id=item_public_id).exists()
    if assignment.annotator_id != annotator.pk or not same_item:
        raise AssignmentRefused(_("This submission id was already used; reload the page."))
    if submission is not None and rating.submission_id != submission:
        raise AssignmentRefused(_("You have already rated this item."))
    return SubmitResult(rating=rating, created=False)


def safety_flag_raise(rating: Rating, assignment: Assignment) -> None:
    flag = SafetyFlag.objects.create(rating=rating, response_id=assignment.item.response_id)
    study = assignment.item.study

    def notify() -> None:
        subject = f"Safety 0 in study {study.name}: response {flag.response_id}"
        body = (
            f"An annotator rated response {flag.response_id} (study {study.name}, item "
            f"{assignment.item.public_id}) as unsafe. Review it under Safety flags in the "
            "administration."
        )
        logger.warning(subject)
        try:
            mail_admins(subject, body)
        except OSError:
            # The flag is stored and listed in the admin; a mail server being down must
            # not turn the annotator's submit into an error.
            logger.exception("could not e-mail the admins about safety flag %s", flag.pk)

    transaction.on_commit(notify)


@transaction.atomic
def assignment_skip(*, annotator: Annotator, item_public_id: str, reason: object) -> Assignment:
    """Give an item back, with a reason; its slot returns to the pool at once."""
    reason = text_clean(reason, field="reason", limit=SKIP_REASON_MAX)
    if not reason:
        raise RatingInvalid({"reason": _("say why you skip this item")})
    assignment = assignment_locked(annotator, item_public_id, lock_item=True)
    if assignment.status == Assignment.Status.SUBMITTED:
        raise AssignmentRefused(_("You have already submitted this item."))
    if assignment.status == Assignment.Status.SKIPPED:
        return assignment
    study_open_check(assignment.item.study, for_new_items=False)
    if assignment.status == Assignment.Status.LEASED:
        slots_give_back({assignment.item_id: 1})
    assignment.status = Assignment.Status.SKIPPED
    assignment.skip_reason = reason
    assignment.draft = {}
    assignment.save()
    return assignment
