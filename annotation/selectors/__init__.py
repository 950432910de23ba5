"""Reads of the annotation app.

What an annotator may read is built here, field by field, from their own assignments:
a view or API never serialises a model an annotator reaches, so nothing about a system
(name, id, checkpoint, kind) can leak by a field being added to a model later.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Mod
from django.utils import timezone

from annotation.models import SHUFFLE_PRIME, Annotator, Assignment, Item, Rating, Study
from common.errors import NOT_FOUND, ServiceError
from generation.models import System


class NotFound(ServiceError):
    code = NOT_FOUND


# Items never handed out: held back for naming their system, or left out for it.
UNSERVED = (Item.Screening.HELD, Item.Screening.EXCLUDED)


def annotator_for_user(*, user: User | AnonymousUser) -> Annotator | None:
    if not user.is_authenticated:
        return None
    return Annotator.objects.filter(user=user, active=True).first()


def study_for_annotator(*, annotator: Annotator, study_public_id: str) -> Study:
    """A study they may work on: open or paused, or one where they have work."""
    study = (
        Study.objects.filter(public_id=study_public_id)
        .filter(
            Q(status__in=[Study.Status.OPEN, Study.Status.PAUSED])
            | Q(items__assignments__annotator=annotator)
        )
        .distinct()
        .first()
    )
    if study is None:
        raise NotFound("No such study.")
    return study


def study_systems(*, study: Study) -> QuerySet[System]:
    """The systems whose responses are under study."""
    return System.objects.filter(responses__items__study=study).distinct()


def slot_holding(now: datetime) -> Q:
    """Assignments that hold a slot: submitted, or leased and not yet run out."""
    return Q(status=Assignment.Status.SUBMITTED) | Q(
        status=Assignment.Status.LEASED, lease_expires_at__gt=now
    )


def _permutation(study: Study, annotator: Annotator) -> tuple[int, int]:
    """A per-annotator affine permutation of shuffle keys (x·a + b mod p): each person
    sees the study in an order of their own, the same every time they come back."""
    digest = hashlib.sha256(f"{study.public_id}:{annotator.pk}".encode()).digest()
    multiplier = 1 + int.from_bytes(digest[:8], "big") % (SHUFFLE_PRIME - 1)
    offset = int.from_bytes(digest[8:16], "big") % SHUFFLE_PRIME
    return multiplier, offset


def items_open_to(*, study: Study, annotator: Annotator, now: datetime) -> QuerySet[Item]:
    """Items this annotator may take, in their own order; a pre-filter read without
    locks, re-checked under the item's lock."""
    taken = Subquery(
        Assignment.objects.filter(item=OuterRef("pk"))
        .filter(slot_holding(now))
        .order_by()
        .values("item")
        .annotate(taken=Count("pk"))
        .values("taken")[:1],
        output_field=IntegerField(),
    )
    multiplier, offset = _permutation(study, annotator)
    return (
        Item.objects.filter(study=study)
        # A response that names its system waits for an admin (or was left out).
        .exclude(screening__in=UNSERVED)
        .exclude(
            # Anything they rated, skipped or hold; an expired lease of theirs may return.
            pk__in=Assignment.objects.filter(annotator=annotator, item__study=study)
            .exclude(status=Assignment.Status.EXPIRED)
            .exclude(status=Assignment.Status.LEASED, lease_expires_at__lte=now)
            .values("item_id")
        )
        .annotate(taken=Coalesce(taken, Value(0)))
        .filter(Q(is_gold=True) | Q(taken__lt=study.raters_per_item))
        .annotate(order_key=Mod(F("shuffle_key") * multiplier + offset, SHUFFLE_PRIME))
        .order_by("order_key", "pk")
    )


@dataclass(frozen=True)
class ConversationTurn:
    role: str  # "user" or "psychologist"
    content: str


@dataclass(frozen=True)
class ItemView:
    """One item as its annotator sees it: the conversation, the response, their draft."""

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


def _assignment_of(annotator: Annotator, item_public_id: str) -> Assignment:
    assignment = (
        Assignment.objects.select_related("item__study", "item__response__sample")
        .filter(annotator=annotator, item__public_id=item_public_id)
        .first()
    )
    if assignment is None:
        raise NotFound("No such item among yours.")
    return assignment


def item_view(*, annotator: Annotator, item_public_id: str) -> ItemView:
    assignment = _assignment_of(annotator, item_public_id)
    item = assignment.item
    sample = item.response.sample
    status = assignment.status
    if status == Assignment.Status.LEASED and assignment.lease_expires_at <= timezone.now():
        status = Assignment.Status.EXPIRED
    rating = Rating.objects.filter(assignment=assignment).first()
    return ItemView(
        public_id=item.public_id,
        study_public_id=item.study.public_id,
        study_title=item.study.title,
        study_status=item.study.status,
        status=status,
        lease_expires_at=assignment.lease_expires_at,
        conversation=[
            ConversationTurn(role=turn["role"], content=turn["content"]) for turn in sample.context
        ],
        # Masked: the span that named the system is replaced; the response is untouched.
        response_text=item.masked_text
        if item.screening == Item.Screening.MASKED
        else item.response.text,
        draft=dict(assignment.draft),
        active_seconds=assignment.active_seconds,
        rating=None
        if rating is None
        else {
            **rating.scores(),
            "comment": rating.comment,
            "submission_id": str(rating.submission_id),
        },
        skip_reason=assignment.skip_reason,
    )


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
    active = (
        Rating.objects.filter(
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
    rows = (
        Rating.objects.filter(assignment__item__study=study)
        .values("assignment__annotator")
        .annotate(
            submitted=Count("pk"),
            active=Sum("active_seconds"),
            gold_rated=Count("pk", filter=Q(gold_matches__isnull=False)),
            gold_matches=Sum("gold_matches"),
        )
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
