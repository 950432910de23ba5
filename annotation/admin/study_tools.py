"""For StudyAdmin: the study page's tools above the form, open/pause/close as buttons
that take the study to each state it may go to next, and links to its results
dashboard, its items, its annotators' pay and its identity-screening review."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from annotation.models import Study
from annotation.services import StudyInvalid, study_status_set
from annotation.services.studies import STUDY_TRANSITIONS

# What each button says, in the order the buttons stand.
STATUS_BUTTONS = (
    (Study.Status.OPEN, "Open"),
    (Study.Status.PAUSED, "Pause"),
    (Study.Status.CLOSED, "Close (every rating is kept)"),
)


class StudyToolsMixin(admin.ModelAdmin):
    change_form_template = "admin/annotation/study/change_form.html"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:study_id>/status/",
                view(require_POST(self.status_view)),
                name="annotation_study_status",
            ),
            *super().get_urls(),
        ]

    def status_view(self, request: HttpRequest, study_id: int) -> HttpResponse:
        study = get_object_or_404(Study, pk=study_id)
        if not self.has_change_permission(request, study):
            raise PermissionDenied
        wanted = request.POST.get("status", "")
        try:
            study = study_status_set(study=study, status=wanted)
        except StudyInvalid as error:
            self.message_user(request, f"{study.name}: {error}", messages.ERROR)
        else:
            self.message_user(request, f"{study.name} is {study.status}.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:annotation_study_change", args=[study.pk]))

    def study_tools(self, study: Study) -> dict[str, Any]:
        run_id = (
            Study.objects.filter(pk=study.pk, eval_run__isnull=False)
            .values_list("eval_run", flat=True)
            .first()
        )
        allowed = STUDY_TRANSITIONS[study.status]
        return {
            "buttons": [(status, label) for status, label in STATUS_BUTTONS if status in allowed],
            "status_url": reverse("admin:annotation_study_status", args=[study.pk]),
            "dashboard_url": None
            if run_id is None
            else reverse("admin:reports_evalrun_dashboard", args=[run_id]),
            "items_url": reverse("admin:annotation_item_changelist")
            + f"?study__id__exact={study.pk}",
            "screening_url": reverse("admin:annotation_study_screening", args=[study.pk]),
        }

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None
    ):
        study = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if study is not None:
            context["study_tools"] = self.study_tools(study)
        return super().change_view(request, object_id, form_url, context)
