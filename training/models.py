"""Fine-tuning jobs: a base checkpoint trained on a dataset's split, ending in a System."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from common.models import ClaimedWork, TimestampedModel
from generation.models import Dataset, System, name_validator


class TrainingJob(TimestampedModel, ClaimedWork):
    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        SUCCEEDED = "succeeded", "succeeded"
        FAILED = "failed", "failed"
        # Stopped on request: its last checkpoint stays, and a retry goes on from it.
        STOPPED = "stopped", "stopped"

    class Method(models.TextChoices):
        FULL = "full", "full fine-tune"
        LORA = "lora", "LoRA"

    # The name of the system it registers.
    name = models.CharField(max_length=100, unique=True, validators=[name_validator])
    base = models.CharField(max_length=500, help_text="Checkpoint directory trained from.")
    base_system = models.ForeignKey(
        System, on_delete=models.SET_NULL, null=True, blank=True, related_name="training_jobs"
    )
    trust_remote_code = models.BooleanField(default=False)
    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="training_jobs")
    split = models.CharField(max_length=10, default="train")
    method = models.CharField(max_length=10, choices=Method.choices)
    hyper_parameters = models.JSONField(default=dict)
    devices = models.PositiveSmallIntegerField(default=1)
    output_dir = models.CharField(max_length=500)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    step = models.PositiveIntegerField(default=0)
    total_steps = models.PositiveIntegerField(default=0)
    # [[step, loss], …] as logged, and the newest lines of the training log.
    loss_history = models.JSONField(default=list, blank=True)
    log_tail = models.TextField(blank=True)
    # How the samples became examples (built, cut, rejected by reason).
    examples = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    output_system = models.OneToOneField(
        System, on_delete=models.PROTECT, null=True, blank=True, related_name="trained_by"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(step__lte=models.F("total_steps")),
                name="training_job_step_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"training job {self.pk}: {self.name} ({self.status})"
