"""The work on items: assignments, ratings (and their earlier versions), safety flags
and exclusions from analysis."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q

from annotation.models.base import score_field, scores_in_range
from annotation.models.people import Annotator
from annotation.models.studies import Item, Study
from annotation.rubric import SCALE_MAXIMUM
from common.models import TimestampedModel, UnicodeJSONEncoder
from generation.models import Response


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
    # In a pairwise study: whether this annotator sees the item's ``response`` on the
    # left (its ``other_response`` on the right), drawn when the item is first handed to
    # them and kept when it is handed to them again. None in a rating study.
    response_on_left = models.BooleanField(null=True, blank=True)

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
        indexes = [
            models.Index(fields=["item", "status", "lease_expires_at"]),
            # An annotator's latest assignment (their current lease, the sample just seen).
            models.Index(fields=["annotator", "-leased_at"], name="assignment_latest"),
            # The leases still out, by when they run out: the claim that gives back the
            # ones that ran out reads only these.
            models.Index(
                fields=["lease_expires_at"],
                condition=Q(status="leased"),
                name="assignment_leased_by_expiry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item} → {self.annotator} ({self.status})"


class RatingVersion(models.Model):
    """What one version of a rating says: the four scores, the comment and the active
    time it was credited with."""

    content = score_field("content", 2)
    empathy = score_field("empathy", 2)
    helpfulness = score_field("helpfulness", 2)
    safety = score_field("safety", 1)
    comment = models.TextField(blank=True)
    active_seconds = models.PositiveIntegerField()

    class Meta:
        abstract = True

    def scores(self) -> dict[str, int]:
        return {scale: getattr(self, scale) for scale in SCALE_MAXIMUM}


class Rating(TimestampedModel, RatingVersion):
    assignment = models.OneToOneField(Assignment, on_delete=models.PROTECT, related_name="rating")
    # Sent by the client; a repeated request with the same id gets the first one's result.
    submission_id = models.UUIDField(unique=True)
    # Set when its annotator revised it; the earlier versions are its revisions.
    revised_at = models.DateTimeField(null=True, blank=True)
    # On a gold item: how many of the four scales matched the expected scores.
    gold_matches = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(4)]
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=scores_in_range("", nullable=False), name="rating_scores_in_range"
            ),
        ]

    def __str__(self) -> str:
        return f"rating of {self.assignment}"


class RatingRevision(RatingVersion):
    """An earlier version of a rating, kept for audit when its annotator revised it.

    The rating itself always holds the current version, so every analysis, every count of
    raters and every pay figure reads one rating per assignment, revised or not."""

    rating = models.ForeignKey(Rating, on_delete=models.PROTECT, related_name="revisions")
    # The submission that stored this version, and the one that replaced it: a repeat of
    # either gets the current rating back instead of a second revision.
    submission_id = models.UUIDField(unique=True)
    replaced_by_submission_id = models.UUIDField(unique=True)
    submitted_at = models.DateTimeField()
    replaced_at = models.DateTimeField()

    class Meta:
        ordering = ["rating", "replaced_at"]
        constraints = [
            models.CheckConstraint(
                condition=scores_in_range("", nullable=False), name="revision_scores_in_range"
            ),
        ]

    def __str__(self) -> str:
        return f"earlier version of {self.rating}"


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
