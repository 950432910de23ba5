"""Studies and their items: what is rated, by how many, for what pay."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Greatest, Least

from annotation.models.base import public_id_new, score_field, scores_in_range, shuffle_key_new
from annotation.rubric import RUBRIC_VERSION, SCALE_MAXIMUM
from common.models import TimestampedModel, UnicodeJSONEncoder
from generation.models import Response


class Study(TimestampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "draft"
        OPEN = "open", "open"
        PAUSED = "paused", "paused"
        CLOSED = "closed", "closed"

    class Kind(models.TextChoices):
        RATING = "rating", "rating: one response on the four scales"
        PAIRWISE = "pairwise", "pairwise: two systems' responses side by side"

    name = models.CharField(max_length=100, unique=True, help_text="For admins only.")
    title = models.CharField(
        max_length=200,
        default="Counselling responses",
        help_text="What annotators see; it must not name a system.",
    )
    instructions = models.TextField(
        blank=True,
        help_text="What annotators read before their first item, and from every item; "
        "it must not name a system.",
    )
    public_id = models.CharField(max_length=32, unique=True, default=public_id_new, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    kind = models.CharField(
        max_length=10,
        choices=Kind.choices,
        default=Kind.RATING,
        help_text="Fixed when the study is made: its items are single responses or pairs.",
    )
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
            models.CheckConstraint(
                condition=Q(kind__in=["rating", "pairwise"]), name="study_kind_is_known"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def takes_ratings(self) -> bool:
        """Whether ratings may still be submitted or revised: every state but closed (a
        paused study hands out no new items, but its held ones may be finished)."""
        return self.status != self.Status.CLOSED

    @property
    def is_pairwise(self) -> bool:
        return self.kind == self.Kind.PAIRWISE


# Items never handed out: held back for naming their system, or left out for it.
UNSERVED_SCREENINGS = ("held", "excluded")
# An item a claim may pick: served, and a gold item (uncapped) or one with a free slot.
ITEM_OPEN = (Q(is_gold=True) | Q(slots_taken__lt=F("slots"))) & ~Q(
    screening__in=UNSERVED_SCREENINGS
)


class Item(models.Model):
    """One response to be rated in one study, or in a pairwise study two systems' responses
    to one context (``response`` and ``other_response``, in the design's order, which
    says nothing: each annotator's sides are drawn per assignment). A gold item carries
    the expected scores."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="items")
    response = models.ForeignKey(Response, on_delete=models.PROTECT, related_name="items")
    other_response = models.ForeignKey(
        Response, on_delete=models.PROTECT, null=True, blank=True, related_name="paired_items"
    )
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
    # The same for the other response of a pair: held if either names its system.
    other_identity_matches = models.JSONField(default=list, blank=True, encoder=UnicodeJSONEncoder)
    other_masked_text = models.TextField(blank=True)
    screened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    screened_at = models.DateTimeField(null=True, blank=True)
    is_gold = models.BooleanField(default=False)
    # Slots: the study's raters per item, copied here so that the database itself checks
    # the invariant (no ordinary item over it) and an index can hold only the open items.
    # Taken: submitted ratings plus leases not yet given back (a lease that ran out is
    # given back by the next claim in the study, under the item's lock).
    slots = models.PositiveSmallIntegerField(default=1)
    slots_taken = models.PositiveIntegerField(default=0)
    expected_content = score_field("expected content", 2, null=True, blank=True)
    expected_empathy = score_field("expected empathy", 2, null=True, blank=True)
    expected_helpfulness = score_field("expected helpfulness", 2, null=True, blank=True)
    expected_safety = score_field("expected safety", 1, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["study", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["study", "response"],
                condition=Q(other_response__isnull=True),
                name="item_unique_response",
            ),
            # A pair once per study, whichever way round.
            models.UniqueConstraint(
                Least("response", "other_response"),
                Greatest("response", "other_response"),
                "study",
                condition=Q(other_response__isnull=False),
                name="item_unique_pair",
            ),
            models.CheckConstraint(
                condition=~Q(response=F("other_response")), name="item_pair_of_two_responses"
            ),
            models.CheckConstraint(
                condition=Q(other_response__isnull=True) | Q(is_gold=False),
                name="item_pair_is_not_gold",
            ),
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
                condition=scores_in_range("expected_", nullable=True),
                name="item_expected_scores_in_range",
            ),
            models.CheckConstraint(
                # A pair's masked texts are both set, the side that named nobody as it is
                # (which may be empty).
                condition=~Q(screening="masked")
                | ~Q(masked_text="")
                | Q(other_response__isnull=False),
                name="item_masked_has_its_text",
            ),
            models.CheckConstraint(
                condition=Q(is_gold=True) | Q(slots_taken__lte=F("slots")),
                name="item_slots_never_overfilled",
            ),
        ]
        indexes = [
            # The items a claim may pick from, in shuffle-key order: a claim reads a few
            # of them from a point of its own, whatever the size of the study.
            models.Index(fields=["study", "shuffle_key"], condition=ITEM_OPEN, name="item_open"),
        ]

    def __str__(self) -> str:
        return f"{self.study.name}: item {self.public_id}"

    def expected_scores(self) -> dict[str, int] | None:
        if not self.is_gold:
            return None
        return {scale: getattr(self, f"expected_{scale}") for scale in SCALE_MAXIMUM}
