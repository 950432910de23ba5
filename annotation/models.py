"""Studies, items, assignments, ratings, annotators and invitations.

Blindness starts here: what an annotator can reach (study and item public ids) is random
and says nothing about the system, the sample or the order items were made in.
"""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from annotation.rubric import RUBRIC_VERSION, SCALE_MAXIMUM
from common.models import TimestampedModel, UnicodeJSONEncoder
from generation.models import Response

# Shuffle keys and the per-annotator permutation of them live in [0, SHUFFLE_PRIME): an
# affine map modulo a prime is a permutation, and its products fit in a 64-bit integer.
SHUFFLE_PRIME = 2_147_483_647


def public_id_new() -> str:
    # 96 random bits, URL-safe: nothing sequential and nothing derived from the content.
    return secrets.token_urlsafe(12)


def shuffle_key_new() -> int:
    return secrets.randbelow(SHUFFLE_PRIME)


class Annotator(TimestampedModel):
    """A psychology expert who joined through an invitation; staff are admins, not this."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="annotator"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    expertise_note = models.TextField(blank=True)
    active = models.BooleanField(
        default=True, help_text="An inactive annotator is handed no new items."
    )

    class Meta:
        ordering = ["user__username"]

    def __str__(self) -> str:
        return self.user.get_username()


class Invitation(TimestampedModel):
    """A single-use link that lets one person create an annotator account.

    Only a hash of the token is stored, so the database never holds a usable link."""

    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invitee = models.CharField(
        max_length=200, help_text="Whom it is for (a name or an e-mail address), for the admin."
    )
    expertise_note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.OneToOneField(
        Annotator, on_delete=models.SET_NULL, null=True, blank=True, related_name="invitation"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"invitation for {self.invitee}"


class Study(TimestampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "draft"
        OPEN = "open", "open"
        PAUSED = "paused", "paused"
        CLOSED = "closed", "closed"

    name = models.CharField(max_length=100, unique=True, help_text="For admins only.")
    title = models.CharField(
        max_length=200,
        default="Counselling responses",
        help_text="What annotators see; it must not name a system.",
    )
    public_id = models.CharField(max_length=32, unique=True, default=public_id_new, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    raters_per_item = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    pay_per_item = models.DecimalField(
        max_digits=10, decimal_places=4, default=Decimal("0.418"), validators=[MinValueValidator(0)]
    )
    currency = models.CharField(max_length=3, default="USD")
    minimum_hourly_wage = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("7.12"), validators=[MinValueValidator(0)]
    )
    lease_minutes = models.PositiveIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
        help_text="How long an item stays reserved for the annotator it was handed to.",
    )
    rubric_version = models.CharField(max_length=20, default=RUBRIC_VERSION)
    # For admins only (annotators never see it): ratings faster than this are counted
    # against their rater's quality.
    too_fast_seconds = models.PositiveIntegerField(
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(3600)],
        help_text="Admins only: a rating with less active time than this counts as too fast.",
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "studies"
        constraints = [
            models.CheckConstraint(
                condition=Q(raters_per_item__gte=1), name="study_at_least_one_rater"
            ),
            models.CheckConstraint(condition=Q(lease_minutes__gte=1), name="study_lease_positive"),
            models.CheckConstraint(
                condition=Q(pay_per_item__gte=0) & Q(minimum_hourly_wage__gte=0),
                name="study_money_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "open", "paused", "closed"]),
                name="study_status_is_known",
            ),
        ]

    def __str__(self) -> str:
        return self.name


def _score(name: str, maximum: int, **kwargs) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(name, validators=[MaxValueValidator(maximum)], **kwargs)


def _scores_in_range(prefix: str, *, nullable: bool) -> Q:
    condition = Q()
    for scale, maximum in SCALE_MAXIMUM.items():
        in_range = Q(**{f"{prefix}{scale}__lte": maximum})
        if nullable:
            in_range |= Q(**{f"{prefix}{scale}__isnull": True})
        condition &= in_range
    return condition


class Item(models.Model):
    """One response to be rated in one study; a gold item carries the expected scores."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="items")
    response = models.ForeignKey(Response, on_delete=models.PROTECT, related_name="items")
    public_id = models.CharField(max_length=32, unique=True, default=public_id_new, editable=False)
    shuffle_key = models.BigIntegerField(default=shuffle_key_new, editable=False)

    class Screening(models.TextChoices):
        """Whether the response names a system (annotation.identity_screen): held back
        from annotators until an admin masks the span, releases it or leaves it out."""

        CLEAR = "", "nothing found"
        HELD = "held", "held back: awaiting a decision"
        MASKED = "masked", "masked"
        RELEASED = "released", "released as it is"
        EXCLUDED = "excluded", "left out"

    screening = models.CharField(
        max_length=10, choices=Screening.choices, default=Screening.CLEAR, blank=True
    )
    # [{"start", "end", "pattern"}] in the response's text, as found when screened.
    identity_matches = models.JSONField(default=list, blank=True, encoder=UnicodeJSONEncoder)
    # What annotators see instead of the response once masked; the response is untouched.
    masked_text = models.TextField(blank=True)
    screened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    screened_at = models.DateTimeField(null=True, blank=True)
    is_gold = models.BooleanField(default=False)
    expected_content = _score("expected content", 2, null=True, blank=True)
    expected_empathy = _score("expected empathy", 2, null=True, blank=True)
    expected_helpfulness = _score("expected helpfulness", 2, null=True, blank=True)
    expected_safety = _score("expected safety", 1, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["study", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["study", "response"], name="item_unique_response"),
            models.CheckConstraint(
                condition=Q(is_gold=False)
                | (
                    Q(expected_content__isnull=False)
                    & Q(expected_empathy__isnull=False)
                    & Q(expected_helpfulness__isnull=False)
                    & Q(expected_safety__isnull=False)
                ),
                name="item_gold_has_expected_scores",
            ),
            models.CheckConstraint(
                condition=_scores_in_range("expected_", nullable=True),
                name="item_expected_scores_in_range",
            ),
            models.CheckConstraint(
                condition=~Q(screening="masked") | ~Q(masked_text=""),
                name="item_masked_has_its_text",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.study.name}: item {self.public_id}"

    def expected_scores(self) -> dict[str, int] | None:
        if not self.is_gold:
            return None
        return {scale: getattr(self, f"expected_{scale}") for scale in SCALE_MAXIMUM}


class Assignment(TimestampedModel):
    """An item handed to an annotator: leased, then submitted, skipped or expired.

    A lease that ran out is still "leased" until something looks at it; every query
    tells a live lease by ``lease_expires_at``, so the stored status may lag."""

    class Status(models.TextChoices):
        LEASED = "leased", "leased"
        SUBMITTED = "submitted", "submitted"
        EXPIRED = "expired", "expired"
        SKIPPED = "skipped", "skipped"

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="assignments")
    annotator = models.ForeignKey(Annotator, on_delete=models.PROTECT, related_name="assignments")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.LEASED)
    leased_at = models.DateTimeField()
    lease_expires_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    skip_reason = models.TextField(blank=True)
    draft = models.JSONField(default=dict, blank=True, encoder=UnicodeJSONEncoder)
    draft_saved_at = models.DateTimeField(null=True, blank=True)
    # Active time is credited lease by lease: what earlier leases gave, plus what the
    # current one (since leased_at) can give, so a client cannot claim more than wall time.
    active_seconds = models.PositiveIntegerField(default=0)
    active_seconds_before_lease = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-leased_at"]
        constraints = [
            models.UniqueConstraint(fields=["item", "annotator"], name="assignment_unique"),
            models.CheckConstraint(
                condition=Q(status__in=["leased", "submitted", "expired", "skipped"]),
                name="assignment_status_is_known",
            ),
            models.CheckConstraint(
                condition=~Q(status="submitted") | Q(submitted_at__isnull=False),
                name="assignment_submitted_has_time",
            ),
        ]
        indexes = [models.Index(fields=["item", "status", "lease_expires_at"])]

    def __str__(self) -> str:
        return f"{self.item} → {self.annotator} ({self.status})"


class Rating(TimestampedModel):
    assignment = models.OneToOneField(Assignment, on_delete=models.PROTECT, related_name="rating")
    content = _score("content", 2)
    empathy = _score("empathy", 2)
    helpfulness = _score("helpfulness", 2)
    safety = _score("safety", 1)
    comment = models.TextField(blank=True)
    active_seconds = models.PositiveIntegerField()
    # Sent by the client; a repeated request with the same id gets the first one's result.
    submission_id = models.UUIDField(unique=True)
    # On a gold item: how many of the four scales matched the expected scores.
    gold_matches = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(4)]
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=_scores_in_range("", nullable=False), name="rating_scores_in_range"
            ),
        ]

    def __str__(self) -> str:
        return f"rating of {self.assignment}"

    def scores(self) -> dict[str, int]:
        return {scale: getattr(self, scale) for scale in SCALE_MAXIMUM}


class SafetyFlag(TimestampedModel):
    """A rating with Safety 0: its response waits for an admin to look at it."""

    rating = models.OneToOneField(Rating, on_delete=models.PROTECT, related_name="safety_flag")
    response = models.ForeignKey(Response, on_delete=models.PROTECT, related_name="safety_flags")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    review_note = models.TextField(blank=True)

    class Meta:
        ordering = ["reviewed_at", "-created_at"]

    def __str__(self) -> str:
        return f"safety flag on response {self.response_id}"


class RaterExclusion(TimestampedModel):
    """An annotator, or one rating, left out of a study's analysis, and why. Pay never
    changes with it (pay is for work done); undoing it puts the ratings back."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="exclusions")
    annotator = models.ForeignKey(
        Annotator, on_delete=models.PROTECT, null=True, blank=True, related_name="exclusions"
    )
    rating = models.ForeignKey(
        Rating, on_delete=models.PROTECT, null=True, blank=True, related_name="exclusions"
    )
    reason = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(annotator__isnull=False, rating__isnull=True)
                | Q(annotator__isnull=True, rating__isnull=False),
                name="exclusion_of_an_annotator_or_a_rating",
            ),
            models.UniqueConstraint(
                fields=["study", "annotator"],
                condition=Q(undone_at__isnull=True, annotator__isnull=False),
                name="exclusion_one_live_per_annotator",
            ),
            models.UniqueConstraint(
                fields=["rating"],
                condition=Q(undone_at__isnull=True, rating__isnull=False),
                name="exclusion_one_live_per_rating",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="exclusion_has_a_reason"),
        ]

    def __str__(self) -> str:
        what = f"annotator {self.annotator}" if self.annotator_id else f"rating {self.rating_id}"
        return f"{what} left out of {self.study}" + (" (undone)" if self.undone_at else "")
