"""Reads of the annotation app.

What an annotator may read is built here, field by field, from their own assignments:
a view or API never serialises a model an annotator reaches, so nothing about a system
(name, id, checkpoint, kind) can leak by a field being added to a model later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Aggregate, Count, Q, QuerySet, Sum, Value
from django.utils import timezone

from annotation.models import Annotator, Assignment, Item, PairVote, Rating, Study
from annotation.selectors.claims import items_open_to
from common.errors import NOT_FOUND, ServiceError
from generation.models import System


class NotFound(ServiceError):
    code = NOT_FOUND


def annotator_for_user(*, user: User | AnonymousUser) -> Annotator | None:
    if not user.is_authenticated:
        return None
    # Unordered: the default order by username would join the users for nothing.
    return Annotator.objects.filter(user=user, active=True).order_by().first()


def study_for_annotator(*, annotator: Annotator, study_public_id: str) -> Study:
    """A study they may work on: open or paused, or one where they have work."""
    study = Study.objects.filter(public_id=study_public_id).first()
    if study is None or (
        study.status not in (Study.Status.OPEN, Study.Status.PAUSED)
        # Asked of their own assignments only when it matters, and never joined: the
        # answer costs what their work costs, not what the study's does.
        and not Assignment.objects.filter(annotator=annotator, item__study=study).exists()
    ):
        raise NotFound("No such study.")
    return study


def study_systems(*, study: Study) -> QuerySet[System]:
    """The systems whose responses are under study (either side of a pair)."""
    return System.objects.filter(
        Q(pk__in=Item.objects.filter(study=study).values("response__system_id"))
        | Q(pk__in=Item.objects.filter(study=study).values("other_response__system_id"))
    )


@dataclass(frozen=True)
class ConversationTurn:
    role: str  # "user" or "psychologist"
    content: str


@dataclass(frozen=True)
class ItemView:
    """One item as its annotator sees it: the conversation, the response (or, in a
    pairwise study, the two answers on the sides drawn for them), their draft."""

    public_id: str
    study_public_id: str
    study_title: str
    study_status: str
    status: str
    lease_expires_at: datetime
    conversation: list[ConversationTurn]
    response_text: str
    draft: dict[str, Any]
    active_seconds: int
    rating: dict[str, Any] | None
    skip_reason: str
    kind: str = Study.Kind.RATING
    left_text: str = ""
    right_text: str = ""
    vote: dict[str, Any] | None = None

    @property
    def is_pairwise(self) -> bool:
        return self.kind == Study.Kind.PAIRWISE


# What an item view reads, in one query of plain values: no model of a system is loaded.
_ITEM_VIEW_FIELDS = (
    "pk", "status", "lease_expires_at", "draft", "active_seconds", "skip_reason",
    "item__public_id", "item__screening", "item__masked_text", "item__response__text",
    "item__response__sample__context", "item__study__public_id", "item__study__title",
    "item__study__status", "item__study__kind", "response_on_left",
    "item__other_masked_text", "item__other_response__text",
)  # fmt: skip


def item_view(*, annotator: Annotator, item_public_id: str) -> ItemView:
    row = (
        Assignment.objects.filter(annotator=annotator, item__public_id=item_public_id)
        .order_by()
        .values(*_ITEM_VIEW_FIELDS)
        .first()
    )
    if row is None:
        raise NotFound("No such item among yours.")
    status = row["status"]
    if status == Assignment.Status.LEASED and row["lease_expires_at"] <= timezone.now():
        status = Assignment.Status.EXPIRED
    pairwise = row["item__study__kind"] == Study.Kind.PAIRWISE
    rating = (
        Rating.objects.filter(assignment_id=row["pk"]).first()
        if status == Assignment.Status.SUBMITTED and not pairwise
        else None
    )
    masked = row["item__screening"] == Item.Screening.MASKED
    # Masked: the span that named the system is replaced; the response is untouched.
    shown = row["item__masked_text"] if masked else row["item__response__text"]
    left_text = right_text = ""
    vote = None
    if pairwise:
        other = row["item__other_masked_text"] if masked else row["item__other_response__text"]
        left_text, right_text = (shown, other) if row["response_on_left"] else (other, shown)
        shown = ""
        if status == Assignment.Status.SUBMITTED:
            found = PairVote.objects.filter(assignment_id=row["pk"]).first()
            vote = None if found is None else _vote_seen(found)
    return ItemView(
        public_id=row["item__public_id"],
        study_public_id=row["item__study__public_id"],
        study_title=row["item__study__title"],
        study_status=row["item__study__status"],
        status=status,
        lease_expires_at=row["lease_expires_at"],
        conversation=[
            ConversationTurn(role=turn["role"], content=turn["content"])
            for turn in row["item__response__sample__context"]
        ],
        response_text=shown,
        draft=dict(row["draft"]),
        active_seconds=row["active_seconds"],
        rating=None
        if rating is None
        else {
            **rating.scores(),
            "comment": rating.comment,
            "submission_id": str(rating.submission_id),
        },
        skip_reason=row["skip_reason"],
        kind=row["item__study__kind"],
        left_text=left_text,
        right_text=right_text,
        vote=vote,
    )


def _vote_seen(vote: PairVote) -> dict[str, Any]:
    """A vote as its annotator gave it: the sides they saw, never which answer was whose."""
    return {
        "overall": vote.overall,
        **vote.dimensions(),
        "comment": vote.comment,
        "submission_id": str(vote.submission_id),
    }


def _money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def money_exact(value: Decimal) -> Decimal:
    """An amount as it is, with at least two decimals: 0.84 stays 0.84, 0.836 stays 0.836
    (pay per item has four decimals; earnings are never rounded)."""
    cents = value.quantize(Decimal("0.01"))
    return cents if cents == value else value.normalize()


def hourly_wage(earned: Decimal, active_seconds: int) -> Decimal | None:
    """Earned per active hour; None before any active time was measured."""
    if active_seconds <= 0:
        return None
    return _money(earned * Decimal(3600) / Decimal(active_seconds))


@dataclass(frozen=True)
class StudyStats:
    """One annotator's work in one study."""

    study_public_id: str
    study_title: str
    study_status: str
    assigned: int
    submitted: int
    skipped: int
    available: int
    active_seconds: int
    earned: Decimal
    currency: str
    hourly_wage: Decimal | None
    minimum_hourly_wage: Decimal
    has_instructions: bool = False

    @property
    def progress_percent(self) -> int:
        reachable = self.submitted + self.available
        return 100 if reachable == 0 else round(100 * self.submitted / reachable)

    @property
    def below_minimum(self) -> bool:
        return self.hourly_wage is not None and self.hourly_wage < self.minimum_hourly_wage


def _available_to(annotator: Annotator, study: Study) -> int:
    """Items this annotator could still be handed (or holds now)."""
    now = timezone.now()
    holding = Assignment.objects.filter(
        annotator=annotator,
        item__study=study,
        status=Assignment.Status.LEASED,
        lease_expires_at__gt=now,
    ).count()
    return items_open_to(study=study, annotator=annotator, now=now).count() + holding


def _study_stats(annotator: Annotator, study: Study) -> StudyStats:
    counts = Assignment.objects.filter(annotator=annotator, item__study=study).aggregate(
        assigned=Count("pk"),
        submitted=Count("pk", filter=Q(status=Assignment.Status.SUBMITTED)),
        skipped=Count("pk", filter=Q(status=Assignment.Status.SKIPPED)),
    )
    credited = PairVote if study.is_pairwise else Rating
    active = (
        credited.objects.filter(
            assignment__annotator=annotator, assignment__item__study=study
        ).aggregate(seconds=Sum("active_seconds"))["seconds"]
        or 0
    )
    earned = money_exact(study.pay_per_item * counts["submitted"])
    return StudyStats(
        study_public_id=study.public_id,
        study_title=study.title,
        study_status=study.status,
        assigned=counts["assigned"],
        submitted=counts["submitted"],
        skipped=counts["skipped"],
        available=_available_to(annotator, study)
        if study.status in (Study.Status.OPEN, Study.Status.PAUSED)
        else 0,
        active_seconds=active,
        earned=earned,
        currency=study.currency,
        hourly_wage=hourly_wage(earned, active),
        minimum_hourly_wage=study.minimum_hourly_wage,
        has_instructions=bool(study.instructions.strip()),
    )


def annotator_stats(*, annotator: Annotator) -> list[StudyStats]:
    """Every study that is open to them or holds their work, newest first."""
    studies = (
        Study.objects.filter(
            Q(status__in=[Study.Status.OPEN, Study.Status.PAUSED])
            | Q(items__assignments__annotator=annotator)
        )
        .distinct()
        .order_by("-created_at")
    )
    return [_study_stats(annotator, study) for study in studies]


@dataclass(frozen=True)
class PayRow:
    """For admins: one annotator's pay in one study."""

    annotator: Annotator
    submitted: int
    active_seconds: int
    earned: Decimal
    hourly_wage: Decimal | None
    below_minimum: bool
    gold_rated: int
    gold_accuracy: float | None


def study_pay_rows(*, study: Study) -> list[PayRow]:
    # A pairwise study's votes are paid as ratings are; it has no gold items.
    gold: dict[str, Aggregate | Value] = (
        {"gold_rated": Value(0), "gold_matches": Value(0)}
        if study.is_pairwise
        else {
            "gold_rated": Count("pk", filter=Q(gold_matches__isnull=False)),
            "gold_matches": Sum("gold_matches"),
        }
    )
    rows = (
        (PairVote if study.is_pairwise else Rating)
        .objects.filter(assignment__item__study=study)
        .values("assignment__annotator")
        .annotate(submitted=Count("pk"), active=Sum("active_seconds"), **gold)
        .order_by("assignment__annotator")
    )
    annotators = Annotator.objects.select_related("user").in_bulk(
        [row["assignment__annotator"] for row in rows]
    )
    result = []
    for row in rows:
        earned = money_exact(study.pay_per_item * row["submitted"])
        wage = hourly_wage(earned, row["active"] or 0)
        result.append(
            PayRow(
                annotator=annotators[row["assignment__annotator"]],
                submitted=row["submitted"],
                active_seconds=row["active"] or 0,
                earned=earned,
                hourly_wage=wage,
                below_minimum=wage is not None and wage < study.minimum_hourly_wage,
                gold_rated=row["gold_rated"],
                gold_accuracy=None
                if not row["gold_rated"]
                else (row["gold_matches"] or 0) / (4 * row["gold_rated"]),
            )
        )
    return result


@dataclass(frozen=True)
class StudyProgress:
    items: int
    gold_items: int
    slots: int
    submitted: int
    live_leases: int


def study_progress(*, study: Study) -> StudyProgress:
    now = timezone.now()
    items = (
        Item.objects.filter(study=study)
        .exclude(screening=Item.Screening.EXCLUDED)
        .aggregate(total=Count("pk"), gold=Count("pk", filter=Q(is_gold=True)))
    )
    ordinary = items["total"] - items["gold"]
    assignments = Assignment.objects.filter(item__study=study, item__is_gold=False).aggregate(
        submitted=Count("pk", filter=Q(status=Assignment.Status.SUBMITTED)),
        leased=Count("pk", filter=Q(status=Assignment.Status.LEASED, lease_expires_at__gt=now)),
    )
    return StudyProgress(
        items=ordinary,
        gold_items=items["gold"],
        slots=ordinary * study.raters_per_item,
        submitted=assignments["submitted"],
        live_leases=assignments["leased"],
    )
