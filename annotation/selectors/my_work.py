"""An annotator's own work in a study: where they are in it, and the ratings they gave.

Like every annotator read, built field by field from their own assignments: an item is
named by its random public id and shown as they saw it, never by anything of a system.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Q
from django.utils import timezone

from annotation.models import Annotator, Assignment, Item, Study
from annotation.rubric import PAIR_OVERALL, SCALE_KEYS, pair_vote_text
from annotation.selectors.claims import CLAIM_WINDOW, items_open_to

EXCERPT_CHARACTERS = 90


# Counting what is still open to an annotator stops where a claim's window does: "item 3
# of 50 or more" says all there is to say, and the count costs the same in a study of
# any size (a claim hands its own count on, so the next item costs no count at all).
PROGRESS_COUNT_LIMIT = CLAIM_WINDOW


@dataclass(frozen=True)
class Progress:
    """ "Item 3 of 14": ``done`` rated so far, ``total`` what they can rate in all (rated,
    held now, or still open to them); ``total_at_least`` when more than
    ``PROGRESS_COUNT_LIMIT`` are still open, and ``total`` counts only that many."""

    done: int
    total: int
    total_at_least: bool = False

    @property
    def current(self) -> int:
        return min(self.done + 1, self.total)


def study_started_by(*, annotator: Annotator, study: Study) -> bool:
    """Whether the annotator has been handed anything in the study (their instructions
    come before the first item)."""
    return Assignment.objects.filter(annotator=annotator, item__study=study).exists()


def study_progress_for(
    *, annotator: Annotator, study: Study, still_open: tuple[int, bool] | None = None
) -> Progress:
    """Where the annotator is in the study; ``still_open`` (how many, and whether at
    least that many) when a claim just counted the items still open to them."""
    now = timezone.now()
    counts = Assignment.objects.filter(annotator=annotator, item__study=study).aggregate(
        done=Count("pk", filter=Q(status=Assignment.Status.SUBMITTED)),
        holding=Count("pk", filter=Q(status=Assignment.Status.LEASED, lease_expires_at__gt=now)),
    )
    done, holding = counts["done"], counts["holding"]
    if still_open is not None:
        count, at_least = still_open
    elif study.status in (Study.Status.OPEN, Study.Status.PAUSED):
        open_items = items_open_to(study=study, annotator=annotator, now=now)
        count = open_items[: PROGRESS_COUNT_LIMIT + 1].count()
        count, at_least = min(count, PROGRESS_COUNT_LIMIT), count > PROGRESS_COUNT_LIMIT
    else:
        count, at_least = 0, False
    return Progress(done=done, total=done + holding + count, total_at_least=at_least)


@dataclass(frozen=True)
class MyRating:
    """One submitted rating as its annotator sees it in their list."""

    item_public_id: str
    excerpt: str  # the start of the response as they were shown it
    submitted_at: datetime
    revised_at: datetime | None
    revisions: int  # earlier versions kept
    scores: dict[str, int]
    comment: str

    @property
    def ordered_scores(self) -> list[int]:
        """The scores in the rubric's order, as the page's columns stand."""
        return [self.scores[key] for key in SCALE_KEYS]


@dataclass(frozen=True)
class MyVote:
    """One submitted vote on a pair, as its annotator gave it (the sides they saw)."""

    item_public_id: str
    excerpt: str  # the start of the left answer as they were shown it
    submitted_at: datetime
    overall: str
    dimensions: dict[str, str]
    comment: str

    @property
    def text(self) -> str:
        return pair_vote_text({PAIR_OVERALL: self.overall, **self.dimensions})


@dataclass(frozen=True)
class MyRatings:
    study_public_id: str
    study_title: str
    study_status: str
    revisable: bool  # the study still takes ratings (votes are never revised)
    ratings: list[MyRating]
    votes: list[MyVote] = field(default_factory=list)
    pairwise: bool = False


def _shown_text(item: Item) -> str:
    return item.masked_text if item.screening == Item.Screening.MASKED else item.response.text


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    if len(flat) <= EXCERPT_CHARACTERS:
        return flat
    return flat[: EXCERPT_CHARACTERS - 1] + "…"


def _my_votes(annotator: Annotator, study: Study) -> list[MyVote]:
    assignments = (
        Assignment.objects.filter(
            annotator=annotator, item__study=study, status=Assignment.Status.SUBMITTED
        )
        .select_related("item__response", "item__other_response", "vote")
        .order_by("submitted_at", "pk")
    )
    votes = []
    for assignment in assignments:
        item, vote = assignment.item, assignment.vote
        masked = item.screening == Item.Screening.MASKED
        if assignment.response_on_left or item.other_response is None:
            left = item.masked_text if masked else item.response.text
        else:
            left = item.other_masked_text if masked else item.other_response.text
        votes.append(
            MyVote(
                item_public_id=item.public_id,
                excerpt=_excerpt(left),
                submitted_at=assignment.submitted_at or vote.created_at,
                overall=vote.overall,
                dimensions=vote.dimensions(),
                comment=vote.comment,
            )
        )
    return votes


def my_ratings(*, annotator: Annotator, study: Study) -> MyRatings:
    """Their submitted ratings (or, in a pairwise study, votes) in the study, in the
    order they gave them."""
    if study.is_pairwise:
        return MyRatings(
            study_public_id=study.public_id,
            study_title=study.title,
            study_status=study.status,
            revisable=False,
            ratings=[],
            votes=_my_votes(annotator, study),
            pairwise=True,
        )
    assignments = (
        Assignment.objects.filter(
            annotator=annotator, item__study=study, status=Assignment.Status.SUBMITTED
        )
        .select_related("item__response", "rating")
        .annotate(revisions=Count("rating__revisions"))
        .order_by("submitted_at", "pk")
    )
    rows = [
        MyRating(
            item_public_id=assignment.item.public_id,
            excerpt=_excerpt(_shown_text(assignment.item)),
            submitted_at=assignment.submitted_at or assignment.rating.created_at,
            revised_at=assignment.rating.revised_at,
            revisions=assignment.revisions,
            scores=assignment.rating.scores(),
            comment=assignment.rating.comment,
        )
        for assignment in assignments
    ]
    return MyRatings(
        study_public_id=study.public_id,
        study_title=study.title,
        study_status=study.status,
        revisable=study.takes_ratings,
        ratings=rows,
    )
