"""Judge runs and their verdicts: an LLM system's CEHS scores of responses, one verdict
per response × judge × prompt version × pass, with the raw answer kept; or, in pairwise
mode, its preference between two responses to one context, asked in both orders."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from common.models import QueuedWork, TimestampedModel
from generation.models import Response, System


class JudgeRun(QueuedWork):
    """A judge asked to score responses; each one's verdicts are made pending when the
    run is made, and a run only asks for the ones still pending (so it resumes)."""

    judge = models.ForeignKey(System, on_delete=models.PROTECT, related_name="judge_runs")
    prompt_version = models.CharField(max_length=40)
    # The rendered instructions the judge read, kept with its verdicts.
    system_prompt = models.TextField()
    # [[key, top score], ...] of each scale, in the rubric's order, as the parser checks.
    scales = models.JSONField()
    passes = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(2)]
    )
    max_new_tokens = models.PositiveIntegerField(default=256, validators=[MinValueValidator(1)])
    # Pairwise mode: each verdict compares its response (shown first) with another.
    pairwise = models.BooleanField(default=False)
    calls = models.PositiveIntegerField(default=0)
    prompt_tokens = models.PositiveBigIntegerField(default=0)
    completion_tokens = models.PositiveBigIntegerField(default=0)

    class Meta(QueuedWork.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(progress_done__lte=models.F("progress_total")),
                name="judge_run_progress_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"judge run {self.pk}: {self.judge} ({self.prompt_version})"


class Verdict(TimestampedModel):
    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        SCORED = "scored", "scored"
        FAILED = "failed", "failed"

    run = models.ForeignKey(JudgeRun, on_delete=models.CASCADE, related_name="verdicts")
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="verdicts")
    # Pairwise mode: the response shown second (``response`` is shown first); the same
    # pair asked the other way round is another verdict.
    other_response = models.ForeignKey(
        Response, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    judge = models.ForeignKey(System, on_delete=models.PROTECT, related_name="verdicts")
    prompt_version = models.CharField(max_length=40)
    judge_pass = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # Each scale's score when scored, e.g. {"content": 2, ...}, or in pairwise mode
    # {"better": "first" | "second" | "tie"}; {} otherwise.
    scores = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    raw_output = models.TextField(blank=True, help_text="The judge's answer as it came.")
    error = models.TextField(blank=True, help_text="Why it failed: the request, or the parse.")
    attempts = models.PositiveSmallIntegerField(default=0)
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    latency_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["run", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["response", "judge", "prompt_version", "judge_pass"],
                condition=Q(other_response__isnull=True),
                name="verdict_one_per_response_judge_prompt_pass",
            ),
            models.UniqueConstraint(
                fields=["response", "other_response", "judge", "prompt_version", "judge_pass"],
                condition=Q(other_response__isnull=False),
                name="verdict_one_per_ordered_pair_judge_prompt_pass",
            ),
            models.CheckConstraint(
                condition=~Q(status="scored") | ~Q(scores={}), name="verdict_scored_has_scores"
            ),
        ]
        indexes = [models.Index(fields=["run", "status"])]

    def __str__(self) -> str:
        return f"verdict of {self.judge} on response {self.response_id} (pass {self.judge_pass})"
