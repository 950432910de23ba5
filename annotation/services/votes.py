"""Votes on the pairs of pairwise studies: drafts and submits, with the same lease, slot,
active-time and idempotency rules as ratings (``annotation.services.assignments``), so a
pair is never voted on by more than its study's raters, nor counted twice."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from annotation.models import Annotator, Assignment, Item, PairVote
from annotation.rubric import ScoresInvalid, pair_choices_parse
from annotation.services.assignments import (
    COMMENT_MAX,
    AssignmentRefused,
    RatingInvalid,
    active_seconds_credit,
    assignment_locked,
    assignment_submitted,
    late_slot_take,
    study_open_check,
    submission_uuid,
    text_clean,
)


@dataclass(frozen=True)
class VoteResult:
    vote: PairVote
    # False when this request repeated one already stored (same submission id).
    created: bool


@transaction.atomic
def vote_submit(
    *,
    annotator: Annotator,
    item_public_id: str,
    choices: Mapping[str, object],
    comment: object,
    active_seconds: object,
    submission_id: object,
) -> VoteResult:
    """Store the vote once: a repeat with the same submission id gets the stored vote
    back; a submit after the lease ran out is taken if the pair still has room."""
    submission = submission_uuid(submission_id)
    earlier = PairVote.objects.select_related("assignment").filter(submission_id=submission).first()
    if earlier is not None:
        return _repeat(earlier, annotator, item_public_id)
    try:
        parsed = pair_choices_parse(choices)
    except ScoresInvalid as error:
        raise RatingInvalid(error.errors) from None
    comment = text_clean(comment, field="comment", limit=COMMENT_MAX)
    assignment = assignment_locked(annotator, item_public_id, lock_item=True)
    study = assignment.item.study
    if not study.is_pairwise:
        raise AssignmentRefused(_("This item is rated on the scales, not voted on."))
    if assignment.status == Assignment.Status.SUBMITTED:
        vote = PairVote.objects.get(assignment=assignment)
        if vote.submission_id != submission:
            raise AssignmentRefused(_("You have already voted on this pair."))
        return VoteResult(vote=vote, created=False)
    if assignment.status == Assignment.Status.SKIPPED:
        raise AssignmentRefused(_("You skipped this pair, so it cannot be voted on now."))
    study_open_check(study, for_new_items=False)
    now = timezone.now()
    late_slot_take(
        assignment,
        _(
            "Your time on this pair ran out and it has since been judged by enough "
            "people, so this vote was not stored. Please take the next item."
        ),
    )
    active = active_seconds_credit(assignment, active_seconds, now)
    try:
        with transaction.atomic():
            vote = PairVote.objects.create(
                assignment=assignment,
                **parsed,
                comment=comment,
                active_seconds=active,
                submission_id=submission,
            )
    except IntegrityError:
        raise AssignmentRefused(
            _("This submission id was already used; reload the page.")
        ) from None
    assignment_submitted(assignment, now, active)
    return VoteResult(vote=vote, created=True)


def _repeat(vote: PairVote, annotator: Annotator, item_public_id: str) -> VoteResult:
    assignment = vote.assignment
    same_item = Item.objects.filter(pk=assignment.item_id, public_id=item_public_id).exists()
    if assignment.annotator_id != annotator.pk or not same_item:
        raise AssignmentRefused(_("This submission id was already used; reload the page."))
    return VoteResult(vote=vote, created=False)
