"""Exclusions: an annotator, or single ratings, left out of a study's analysis with a
reason, recorded and reversible. Pay never changes with them: pay is for work done."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from annotation.models import Annotator, PairVote, RaterExclusion, Rating, Study
from common.errors import ServiceError

REASON_MAX = 1000


class ExclusionInvalid(ServiceError):
    """The exclusion cannot be made or undone as asked; nothing changed."""


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ExclusionInvalid("say why: the reason is shown wherever the figures are")
    if len(reason) > REASON_MAX:
        raise ExclusionInvalid(f"the reason is {len(reason)} characters; at most {REASON_MAX}")
    return reason


def _already(exclusion: RaterExclusion) -> str:
    who = exclusion.created_by.get_username() if exclusion.created_by else "someone"
    return f"since {exclusion.created_at:%Y-%m-%d %H:%M} by {who}: {exclusion.reason}"


def _create(**fields: Any) -> RaterExclusion:
    try:
        with transaction.atomic():
            return RaterExclusion.objects.create(**fields)
    except IntegrityError:
        # Another admin left the same out at the same moment.
        raise ExclusionInvalid("this was left out a moment ago by someone else") from None


def rater_exclusion_check(*, study: Study, annotator: Annotator, reason: str) -> str:
    """The reason, cleaned, if `annotator` can be left out of `study`; else
    ExclusionInvalid saying why (what a form shows before anything is written)."""
    reason = _reason(reason)
    # Left out with every rating, or every vote in a pairwise study.
    given = PairVote if study.is_pairwise else Rating
    if not given.objects.filter(
        assignment__item__study=study, assignment__annotator=annotator
    ).exists():
        what = "votes" if study.is_pairwise else "ratings"
        raise ExclusionInvalid(f"{annotator} has no {what} in {study.name}")
    live = RaterExclusion.objects.filter(
        study=study, annotator=annotator, undone_at__isnull=True
    ).first()
    if live is not None:
        raise ExclusionInvalid(
            f"{annotator} is already left out of {study.name} ({_already(live)})"
        )
    return reason


@transaction.atomic
def rater_exclude(
    *, study: Study, annotator: Annotator, reason: str, by: User | None
) -> RaterExclusion:
    """Leave every rating (or vote) of `annotator` in `study` out of its analysis."""
    reason = rater_exclusion_check(study=study, annotator=annotator, reason=reason)
    return _create(study=study, annotator=annotator, reason=reason, created_by=by)


def rating_exclusion_check(*, rating: Rating, reason: str) -> str:
    """The reason, cleaned, if `rating` can be left out; else ExclusionInvalid."""
    reason = _reason(reason)
    study, annotator = rating.assignment.item.study, rating.assignment.annotator
    live = (
        RaterExclusion.objects.filter(rating=rating, undone_at__isnull=True).first()
        or RaterExclusion.objects.filter(
            study=study, annotator=annotator, undone_at__isnull=True
        ).first()
    )
    if live is not None:
        what = "this rating" if live.rating_id else f"every rating of {annotator}"
        raise ExclusionInvalid(f"{what} is already left out ({_already(live)})")
    return reason


@transaction.atomic
def rating_exclude(*, rating: Rating, reason: str, by: User | None) -> RaterExclusion:
    """Leave one rating out of its study's analysis."""
    rating = Rating.objects.select_related("assignment__item__study", "assignment__annotator").get(
        pk=rating.pk
    )
    reason = rating_exclusion_check(rating=rating, reason=reason)
    return _create(study=rating.assignment.item.study, rating=rating, reason=reason, created_by=by)


def exclusion_undo(*, exclusion: RaterExclusion, by: User | None) -> RaterExclusion:
    """Put the ratings back into the analysis; the exclusion stays on record as undone."""
    undone = RaterExclusion.objects.filter(pk=exclusion.pk, undone_at__isnull=True).update(
        undone_at=timezone.now(), undone_by=by, updated_at=timezone.now()
    )
    exclusion.refresh_from_db()
    if not undone:
        raise ExclusionInvalid(f"already undone on {exclusion.undone_at:%Y-%m-%d %H:%M}")
    return exclusion
