"""Evaluation runs and the automatic scores of responses."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from annotation.models import Study
from common.models import TimestampedModel
from generation.models import Dataset, GenerationJob, Response, Sample, System
from judging.models import JudgeRun


class EvalRun(TimestampedModel):
    """One `run_eval`: which samples, which systems, their generation jobs and the blind
    study of the human sample. The arguments that define it hash to ``signature``, so
    the same command names the same run and resumes it."""

    class Status(models.TextChoices):
        GENERATING = "generating", "generating and scoring"
        RATING = "rating", "rating"
        FAILED = "failed", "failed"

    signature = models.CharField(max_length=64, unique=True)
    datasets = models.ManyToManyField(Dataset, related_name="eval_runs")
    systems = models.ManyToManyField(System, related_name="eval_runs")
    split = models.CharField(max_length=10, choices=Sample.Split.choices, default="test")
    auto_samples = models.PositiveIntegerField()
    human_samples = models.PositiveIntegerField()
    raters_per_item = models.PositiveSmallIntegerField()
    seed = models.IntegerField(default=0)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.GENERATING)
    error = models.TextField(blank=True)
    study = models.OneToOneField(
        Study, on_delete=models.PROTECT, null=True, blank=True, related_name="eval_run"
    )
    # With run_eval --pairwise: the same human sample as a blind pairwise study too, each
    # sample with this many different pairs of systems (0: none asked for).
    pairs_per_sample = models.PositiveSmallIntegerField(default=0)
    pair_study = models.OneToOneField(
        Study, on_delete=models.PROTECT, null=True, blank=True, related_name="eval_run_of_pairs"
    )
    generation_jobs = models.ManyToManyField(GenerationJob, related_name="eval_runs", blank=True)
    # LLM judges that score every response of the automatic sample once generation is done.
    judges = models.ManyToManyField(System, related_name="judged_eval_runs", blank=True)
    judge_runs = models.ManyToManyField(JudgeRun, related_name="eval_runs", blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(human_samples__lte=models.F("auto_samples")),
                name="eval_run_human_within_auto",
            ),
            models.CheckConstraint(condition=Q(auto_samples__gte=1), name="eval_run_auto_min"),
            models.CheckConstraint(condition=Q(raters_per_item__gte=1), name="eval_run_raters_min"),
        ]

    def __str__(self) -> str:
        return f"run {self.pk}"


class EvalSample(models.Model):
    """A sample drawn for a run; the human ones are also in its study."""

    run = models.ForeignKey(EvalRun, on_delete=models.CASCADE, related_name="eval_samples")
    sample = models.ForeignKey(Sample, on_delete=models.PROTECT, related_name="eval_samples")
    human = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "sample"], name="eval_sample_unique"),
        ]
        indexes = [models.Index(fields=["run", "human"])]

    def __str__(self) -> str:
        return f"run {self.run_id} sample {self.sample_id}"


class AutomaticScores(models.Model):
    """The metrics of profile ``soulchat`` of one answer (fractions 0..1; tables show ×100)."""

    bleu_1 = models.FloatField()
    bleu_2 = models.FloatField()
    bleu_3 = models.FloatField()
    bleu_4 = models.FloatField()
    rouge_1 = models.FloatField()
    rouge_2 = models.FloatField()
    rouge_l = models.FloatField()
    # The answer was empty or whitespace: every score is 0 and the table counts it.
    empty = models.BooleanField(default=False)

    class Meta:
        abstract = True


class ResponseScore(AutomaticScores):
    """A response's automatic scores. They depend only on the two texts, so every run
    shares them."""

    response = models.OneToOneField(
        Response, on_delete=models.CASCADE, related_name="automatic_scores"
    )
    scored_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(bleu_1__gte=0, bleu_1__lte=1, rouge_l__gte=0, rouge_l__lte=1),
                name="response_score_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"scores of response {self.response_id}"


class FloorScore(AutomaticScores):
    """The "random counsellor turn" floor of a run (METRICS.md): a drawn sample answered
    by a real counsellor turn from another dialogue of the same dataset (seeded), scored
    against the sample's reference like any response. What a score means is read against
    it: a system near its floor has learnt little beyond sounding like a counsellor."""

    run = models.ForeignKey(EvalRun, on_delete=models.CASCADE, related_name="floor_scores")
    sample = models.ForeignKey(Sample, on_delete=models.PROTECT, related_name="+")
    # The sample whose reference stands in for an answer.
    donor = models.ForeignKey(Sample, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "sample"], name="floor_score_unique"),
        ]

    def __str__(self) -> str:
        return f"run {self.run_id} floor for sample {self.sample_id}"
