"""Votes of pairwise studies: which of two responses to one context is better, as the
annotator saw them (left or right), overall and optionally per CEHS dimension."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from annotation.models.work import Assignment
from annotation.rubric import SCALE_KEYS
from common.models import TimestampedModel


class PairChoice(models.TextChoices):
    LEFT = "left", "left is better"
    RIGHT = "right", "right is better"
    TIE = "tie", "equally good"
    BOTH_BAD = "both_bad", "both bad"


def _choice_field(label: str, *, optional: bool) -> models.CharField:
    return models.CharField(
        label, max_length=10, choices=PairChoice.choices, blank=optional, default=""
    )


class PairVote(TimestampedModel):
    """One annotator's vote on one pair. Stored as the sides they were shown: the
    assignment's ``response_on_left`` says which response that was, so side bias and the
    winner both come from what was pressed, with nothing translated at submit time."""

    assignment = models.OneToOneField(Assignment, on_delete=models.PROTECT, related_name="vote")
    overall = _choice_field("overall", optional=False)
    content = _choice_field("content", optional=True)
    empathy = _choice_field("empathy", optional=True)
    helpfulness = _choice_field("helpfulness", optional=True)
    safety = _choice_field("safety", optional=True)
    comment = models.TextField(blank=True)
    active_seconds = models.PositiveIntegerField()
    # Sent by the client; a repeated request with the same id gets the first one's result.
    submission_id = models.UUIDField(unique=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(overall__in=PairChoice.values), name="vote_overall_is_a_choice"
            ),
            models.CheckConstraint(
                condition=Q(*(Q(**{f"{key}__in": [*PairChoice.values, ""]}) for key in SCALE_KEYS)),
                name="vote_dimensions_are_choices",
            ),
        ]

    def __str__(self) -> str:
        return f"vote on {self.assignment}"

    def dimensions(self) -> dict[str, str]:
        """The per-dimension choices given (the optional ones left out)."""
        return {key: getattr(self, key) for key in SCALE_KEYS if getattr(self, key)}
