"""Corpus builds: single-turn answers rewritten into multi-turn dialogues, one row per
input record with what the rewriter made of it and what was decided."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from common.models import QueuedWork, TimestampedModel, UnicodeJSONEncoder
from generation.dialogues import Turn
from generation.models import Dataset, System, name_validator


class CorpusBuild(QueuedWork):
    """Single-turn counselling answers rewritten by a system into multi-turn dialogues;
    the accepted ones become the dataset of the same name."""

    name = models.CharField(max_length=100, unique=True, validators=[name_validator])
    input_name = models.CharField(max_length=500, help_text="The file the records came from.")
    rewriter = models.ForeignKey(System, on_delete=models.PROTECT, related_name="corpus_builds")
    # name@version, e.g. empathy@1: every rewrite also stores the one it was made with.
    prompt = models.CharField(max_length=50)
    rules = models.JSONField(default=dict, help_text="min_rounds, max_rounds, max_turn_chars.")
    markers = models.JSONField(
        default=dict, encoder=UnicodeJSONEncoder, help_text='{"words": [...], "patterns": {}}'
    )
    max_new_tokens = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    test_ratio = models.FloatField(validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    dataset = models.ForeignKey(
        Dataset, on_delete=models.SET_NULL, null=True, blank=True, related_name="corpus_builds"
    )
    # Lines of the input that could not be used, "line N: why".
    input_problems = models.JSONField(default=list, blank=True, encoder=UnicodeJSONEncoder)
    statistics = models.JSONField(default=dict, blank=True, encoder=UnicodeJSONEncoder)
    # Every call made, retries included: what the provider bills.
    calls = models.PositiveIntegerField(default=0)
    prompt_tokens = models.PositiveBigIntegerField(default=0)
    completion_tokens = models.PositiveBigIntegerField(default=0)

    class Meta(QueuedWork.Meta):
        # Made by the generation app before the corpus app had its own: the table kept
        # its name, so a database migrated in place holds the same rows.
        db_table = "generation_corpusbuild"
        constraints = [
            models.CheckConstraint(
                condition=Q(progress_done__lte=models.F("progress_total")),
                name="corpus_build_progress_within_total",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CorpusRewrite(TimestampedModel):
    """One single-turn record, what the rewriter made of it, and what was decided."""

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        FAILED = "failed", "no answer from the rewriter"
        REJECTED = "rejected", "rejected by the checks"
        QUARANTINED = "quarantined", "awaiting review (markers)"
        ACCEPTED = "accepted", "accepted"
        DUPLICATE = "duplicate", "duplicate"
        DISCARDED = "discarded", "rejected in review"

    class Review(models.TextChoices):
        NONE = "", "not reviewed"
        ACCEPTED = "accepted", "accepted"
        REJECTED = "rejected", "rejected"

    build = models.ForeignKey(CorpusBuild, on_delete=models.CASCADE, related_name="rewrites")
    source_id = models.CharField(max_length=220)
    input_line = models.PositiveIntegerField()
    question = models.TextField()
    description = models.TextField(blank=True)
    answer = models.TextField()
    topic = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    prompt = models.CharField(max_length=50, blank=True)
    raw_output = models.TextField(blank=True)
    turns = models.JSONField(default=list, blank=True, encoder=UnicodeJSONEncoder)
    rounds = models.PositiveIntegerField(null=True, blank=True)
    # A rule's code (too_few_rounds, …) or "request" for a failed call, and the message.
    reason_code = models.CharField(max_length=40, blank=True)
    reason = models.TextField(blank=True)
    marker_hits = models.JSONField(default=list, blank=True, encoder=UnicodeJSONEncoder)
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="duplicates"
    )
    near_duplicate = models.BooleanField(default=False)
    attempts = models.PositiveIntegerField(default=0)
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    latency_seconds = models.FloatField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    review = models.CharField(max_length=10, choices=Review.choices, default="", blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    class Meta:
        db_table = "generation_corpusrewrite"
        ordering = ["build", "input_line", "source_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["build", "source_id"], name="corpus_rewrite_unique_source_id"
            ),
        ]
        indexes = [models.Index(fields=["build", "status"])]

    def __str__(self) -> str:
        return f"{self.build.name}/{self.source_id} ({self.status})"

    def dialogue_turns(self) -> tuple[Turn, ...]:
        return tuple(Turn(role=turn["role"], content=turn["content"]) for turn in self.turns)
