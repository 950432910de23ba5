"""Revising a submitted rating while its study takes ratings.

The rating row keeps the current version and an earlier one moves to a RatingRevision,
so analyses, N-rater counts and pay go on reading one rating per assignment: a revision
replaces the scores it counts, never adds a rating, and is never paid again.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from annotation.models import Annotator, Assignment, Rating, RatingRevision, SafetyFlag
from annotation.rubric import SCALE_KEYS
from annotation.services.assignments import (
    AssignmentRefused,
    SubmitResult,
    active_seconds_parse,
    assignment_locked,
    gold_matches,
    rating_content_parse,
    rating_of_submission,
    safety_flag_raise,
    study_open_check,
    submission_uuid,
)


def _active_seconds(reported: object, since: datetime, now: datetime) -> int:
    """What the client measured, at most the wall time since the version it replaces was
    stored, as a submit is held to its lease's wall time."""
    return min(active_seconds_parse(reported), max(0, int((now - since).total_seconds())))


@transaction.atomic
def rating_revise(
    *,
    annotator: Annotator,
    item_public_id: str,
    scores: Mapping[str, object],
    comment: object,
    active_seconds: object,
    submission_id: object,
) -> SubmitResult:
    """Replace the annotator's rating of an item with new scores; the version it replaces
    is kept. A repeat of this submission (or of any earlier one) returns the current
    rating. The time spent revising is added to the rating's active time, since it is
    time spent on the item, while pay stays the one item's pay."""
    submission = submission_uuid(submission_id)
    parsed, comment = rating_content_parse(scores, comment)
    assignment = assignment_locked(annotator, item_public_id, lock_item=False)
    if assignment.item.study.is_pairwise:
        raise AssignmentRefused(_("A vote on a pair cannot be revised."))
    if assignment.status != Assignment.Status.SUBMITTED:
        raise AssignmentRefused(
            _("You have not submitted this item, so there is nothing to revise.")
        )
    rating = Rating.objects.select_for_update().get(assignment=assignment)
    earlier = rating_of_submission(submission)
    if earlier is not None and earlier.pk == rating.pk:
        return SubmitResult(rating=rating, created=False)
    if earlier is not None:
        raise AssignmentRefused(_("This submission id was already used; reload the page."))
    study_open_check(assignment.item.study, for_new_items=False)
    now = timezone.now()
    stored_at = rating.revised_at or assignment.submitted_at or rating.created_at
    seconds = _active_seconds(active_seconds, stored_at, now)
    RatingRevision.objects.create(
        rating=rating,
        **rating.scores(),
        comment=rating.comment,
        active_seconds=rating.active_seconds,
        submission_id=rating.submission_id,
        replaced_by_submission_id=submission,
        submitted_at=stored_at,
        replaced_at=now,
    )
    for key in SCALE_KEYS:
        setattr(rating, key, parsed[key])
    rating.comment = comment
    rating.active_seconds += seconds
    rating.submission_id = submission
    rating.revised_at = now
    rating.gold_matches = gold_matches(assignment.item, parsed)
    rating.save()
    if rating.safety == 0 and not SafetyFlag.objects.filter(rating=rating).exists():
        safety_flag_raise(rating, assignment)
    return SubmitResult(rating=rating, created=True)
