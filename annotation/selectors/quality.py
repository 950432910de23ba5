"""A study's ratings as its analysis reads them: what the exclusions leave in, what they
left out and why, and how far each rater can be trusted. Pay reads every rating
(annotation.selectors.study_pay_rows): exclusions never change it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from annotation.models import Annotator, RaterExclusion, Rating, Study
from annotation.rater_quality import RaterQuality, RatingFact, rater_quality
from annotation.rubric import SCALE_KEYS


def _live_exclusions(study_id: int | None) -> QuerySet[RaterExclusion]:
    if study_id is None:  # a run whose study is not open yet
        return RaterExclusion.objects.none()
    return RaterExclusion.objects.filter(study_id=study_id, undone_at__isnull=True)


def excluded_ratings(*, study_id: int | None) -> QuerySet[Rating]:
    """The study's ratings that a live exclusion leaves out (of a whole rater or alone)."""
    if study_id is None:
        return Rating.objects.none()
    live = _live_exclusions(study_id)
    return Rating.objects.filter(assignment__item__study_id=study_id).filter(
        Q(assignment__annotator__in=live.filter(annotator__isnull=False).values("annotator"))
        | Q(pk__in=live.filter(rating__isnull=False).values("rating"))
    )


def ratings_in_analysis(
    *, study_id: int | None, include_excluded: bool = False
) -> QuerySet[Rating]:
    """The study's ratings the analysis uses: all of them, or those no exclusion left out."""
    if study_id is None:
        return Rating.objects.none()
    ratings = Rating.objects.filter(assignment__item__study_id=study_id)
    if include_excluded:
        return ratings
    return ratings.exclude(pk__in=excluded_ratings(study_id=study_id).values("pk"))


@dataclass(frozen=True)
class ExclusionEntry:
    exclusion_id: int
    what: str  # "annotator2", or "one rating by annotator2"
    reason: str
    by: str
    at: datetime
    ratings: int  # ordinary ratings it leaves out (gold items never enter the analysis)


@dataclass(frozen=True)
class ExclusionSummary:
    entries: list[ExclusionEntry]
    ratings_left_out: int  # ordinary ratings, each counted once

    def describe(self) -> str:
        """What a table's note says: how many ratings were left out, whose, and why."""
        if not self.entries:
            return ""
        parts = [f"{entry.what} ({entry.reason})" for entry in self.entries]
        left = self.ratings_left_out
        return f"{left} rating{'s' if left != 1 else ''} left out: {'; '.join(parts)}"


def study_exclusions(*, study_id: int | None) -> ExclusionSummary:
    # The ordinary ratings each live exclusion leaves out, counted from one query.
    left_out = list(
        excluded_ratings(study_id=study_id)
        .filter(assignment__item__is_gold=False)
        .values_list("pk", "assignment__annotator_id")
    )
    per_rater = Counter(annotator_id for _, annotator_id in left_out)
    ratings_left_out = {pk for pk, _ in left_out}
    live = _live_exclusions(study_id).select_related(
        "annotator__user", "rating__assignment__annotator__user", "created_by"
    )
    entries = []
    for exclusion in live.order_by("created_at", "pk"):
        # A constraint sets exactly one of the two.
        annotator, rating = exclusion.annotator, exclusion.rating
        if annotator is not None:
            what = annotator.user.get_username()
            count = per_rater[annotator.pk]
        elif rating is not None:
            what = f"one rating by {rating.assignment.annotator.user.get_username()}"
            count = int(rating.pk in ratings_left_out)
        else:
            continue
        entries.append(
            ExclusionEntry(
                exclusion_id=exclusion.pk,
                what=what,
                reason=exclusion.reason,
                by=exclusion.created_by.get_username() if exclusion.created_by else "",
                at=exclusion.created_at,
                ratings=count,
            )
        )
    return ExclusionSummary(entries=entries, ratings_left_out=len(left_out))


@dataclass(frozen=True)
class RaterRow:
    annotator: Annotator
    quality: RaterQuality
    # The live exclusion of the whole rater, and how many of their ratings are left out.
    exclusion: RaterExclusion | None
    ratings_left_out: int


def study_rater_quality(*, study: Study) -> list[RaterRow]:
    """Each annotator's quality in the study (their own figures over all their ratings;
    leave-one-out agreement against the others' ratings that the analysis keeps)."""
    left_out = dict(
        excluded_ratings(study_id=study.pk).values_list("pk", "assignment__annotator_id")
    )
    rows = Rating.objects.filter(assignment__item__study=study).values_list(
        "pk", "assignment__annotator_id", "assignment__item_id", "assignment__item__is_gold",
        "active_seconds", "gold_matches", *SCALE_KEYS,
    )  # fmt: skip
    facts = [
        RatingFact(
            rater=str(annotator_id), item=str(item_id), active_seconds=seconds,
            scores=tuple(scores), gold=gold, gold_matches=matches, kept=pk not in left_out,
        )
        for pk, annotator_id, item_id, gold, seconds, matches, *scores in rows.iterator()
    ]  # fmt: skip
    qualities = rater_quality(facts, dimensions=SCALE_KEYS, too_fast_seconds=study.too_fast_seconds)
    annotators = Annotator.objects.select_related("user").in_bulk(
        [int(quality.rater) for quality in qualities]
    )
    whole = {
        exclusion.annotator_id: exclusion
        for exclusion in _live_exclusions(study.pk).filter(annotator__isnull=False)
    }
    left_per_rater = Counter(left_out.values())
    return sorted(
        (
            RaterRow(
                annotator=annotators[int(quality.rater)],
                quality=quality,
                exclusion=whole.get(int(quality.rater)),
                ratings_left_out=left_per_rater.get(int(quality.rater), 0),
            )
            for quality in qualities
        ),
        key=lambda row: row.annotator.user.get_username(),
    )
