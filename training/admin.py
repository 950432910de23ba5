from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import fields as dataclass_fields
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from common.admin import LiveJobAdmin, progress_bar
from generation.models import Dataset
from training.charts import loss_curve
from training.models import TrainingJob
from training.plan import METHODS, HyperParameters, PlanInvalid
from training.services import (
    TrainingJobInvalid,
    TrainingRequest,
    training_job_create,
    training_job_retry,
    training_job_stop,
    training_request_check,
)

HYPER_NAMES = {field.name for field in dataclass_fields(HyperParameters)}


class TrainingJobStartForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Name of the system it will register.")
    base = forms.CharField(
        max_length=500, help_text="A checkpoint directory on the workers, or an hf_local system."
    )
    dataset = forms.ModelChoiceField(queryset=Dataset.objects.order_by("name"))
    split = forms.CharField(max_length=10, initial="train")
    method = forms.ChoiceField(choices=[(method, method) for method in METHODS])
    steps = forms.IntegerField(min_value=1, initial=HyperParameters.steps)
    warmup_steps = forms.IntegerField(min_value=1, initial=HyperParameters.warmup_steps)
    per_device_batch = forms.IntegerField(min_value=1, initial=HyperParameters.per_device_batch)
    devices = forms.IntegerField(min_value=1, initial=1, help_text="GPUs of the launch.")
    other = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text='Other hyper-parameters as JSON, e.g. {"max_learning_rate": 1e-4, '
        '"zero_stage": 3}.',
    )
    trust_remote_code = forms.BooleanField(required=False)

    def clean(self) -> dict[str, Any]:
        """Every problem at once: the fields', the hyper-parameters' and the service's
        (an unknown base, a name taken), each on its field where the form has one."""
        super().clean()
        data = self.cleaned_data
        try:
            other = json.loads(data.get("other") or "{}")
        except ValueError as error:
            self.add_error("other", f"not JSON: {error}")
            return data
        if not isinstance(other, dict):
            self.add_error("other", "a JSON object of names and values")
            return data
        values = {**other, **{key: data[key] for key in self.PLAN_FIELDS if key in data}}
        try:
            data["hyper"] = HyperParameters.from_dict(values)
        except PlanInvalid as error:
            self._errors_show(error.errors)
            return data
        if self.errors:
            return data
        try:
            training_request_check(request=self.request())
        except TrainingJobInvalid as invalid:
            self._errors_show(invalid.errors)
        return data

    PLAN_FIELDS = ("method", "steps", "warmup_steps", "per_device_batch")

    def _errors_show(self, errors: Mapping[str, str]) -> None:
        for field, message in errors.items():
            if field in self.fields:
                self.add_error(field, message)
            else:
                self.add_error("other" if field in HYPER_NAMES else None, f"{field}: {message}")

    def request(self) -> TrainingRequest:
        data = self.cleaned_data
        return TrainingRequest(
            name=data["name"],
            base=data["base"],
            dataset=data["dataset"],
            hyper=data["hyper"],
            split=data["split"],
            devices=data["devices"],
            trust_remote_code=data["trust_remote_code"],
        )


@admin.register(TrainingJob)
class TrainingJobAdmin(LiveJobAdmin):
    list_display = ["name", "method", "dataset", "status", "progress", "last_loss", "created_at"]
    list_filter = ["status", "method"]
    search_fields = ["name", "base", "error"]
    list_select_related = ["dataset"]
    readonly_fields = (
        "name", "status", "progress", "loss_chart", "method", "base", "dataset", "split",
        "devices", "hyper_parameters", "examples", "error", "log", "output_system",
        "output_dir", "started_at", "finished_at", "created_at",
    )  # fmt: skip
    fields = readonly_fields
    actions = ["stop", "retry"]

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # Viewing only: a job's settings are its history; stop or retry it instead.
        return False

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None):
        form = TrainingJobStartForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                job = training_job_create(request=form.request())
            except TrainingJobInvalid as invalid:
                # The form checked the same; this is a change made meanwhile.
                form._errors_show(invalid.errors)
            else:
                # With in-process tasks (the embedded default) it has already run.
                job.refresh_from_db()
                self.message_user(
                    request, f"Training job {job.pk}: {job.status}.", messages.SUCCESS
                )
                return HttpResponseRedirect(
                    reverse("admin:training_trainingjob_change", args=[job.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Start a training job",
            "form": form,
        }
        return render(request, "admin/training/trainingjob/start.html", context)

    @admin.display(description="progress")
    def progress(self, job: TrainingJob) -> str:
        return progress_bar(job.progress_done, job.progress_total, "steps")

    @admin.display(description="last loss")
    def last_loss(self, job: TrainingJob) -> str:
        return f"{job.loss_history[-1][1]:.4f}" if job.loss_history else "–"

    @admin.display(description="loss curve")
    def loss_chart(self, job: TrainingJob) -> str:
        if not job.loss_history:
            return "no loss logged yet"
        # pygal escapes every label and its scripts are dropped (common.charts).
        return mark_safe(loss_curve(job.loss_history, total_steps=job.progress_total))  # noqa: S308

    @admin.display(description="log (newest lines)")
    def log(self, job: TrainingJob) -> str:
        return format_html("<pre>{}</pre>", job.log_tail) if job.log_tail else "–"

    @admin.action(description="Stop the selected jobs (a checkpoint is saved first)")
    def stop(self, request: HttpRequest, queryset: QuerySet[TrainingJob]) -> None:
        stopped = sum(training_job_stop(job=job) for job in queryset)
        self.message_user(request, f"{stopped} job(s) asked to stop.", messages.SUCCESS)

    @admin.action(description="Retry the selected failed or stopped jobs from their checkpoint")
    def retry(self, request: HttpRequest, queryset: QuerySet[TrainingJob]) -> None:
        retried = 0
        for job in queryset:
            try:
                training_job_retry(job=job)
                retried += 1
            except TrainingJobInvalid as error:
                self.message_user(request, f"{job.name}: {error}", messages.WARNING)
        self.message_user(request, f"{retried} job(s) queued again.", messages.SUCCESS)
