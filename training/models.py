"""Fine-tuning jobs: a base checkpoint trained on a dataset's split, ending in a System."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from common.models import QueuedWork
from generation.models import Dataset, System, name_validator


class TrainingJob(QueuedWork):
    """Queued work like any other (common.models.QueuedWork): its progress counts
    optimiser steps, and a cancelled job (stopped on request) keeps its last checkpoint,
    from which a retry goes on."""

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
    # [[step, loss], …] as logged, and the newest lines of the training log.
    loss_history = models.JSONField(default=list, blank=True)
    log_tail = models.TextField(blank=True)
    # How the samples became examples (built, cut, rejected by reason).
    examples = models.JSONField(default=dict, blank=True)
    output_system = models.OneToOneField(
        System, on_delete=models.PROTECT, null=True, blank=True, related_name="trained_by"
    )

    class Meta(QueuedWork.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(progress_done__lte=models.F("progress_total")),
                name="training_job_progress_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"training job {self.pk}: {self.name} ({self.status})"
