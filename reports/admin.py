from __future__ import annotations

from django.contrib import admin
from django.urls import path, reverse
from django.utils.html import format_html

from common.admin import ServiceModelAdmin
from reports import views
from reports.models import EvalRun
from reports.selectors.runs import run_progress


@admin.register(EvalRun)
class EvalRunAdmin(ServiceModelAdmin):
    list_display = ["__str__", "dataset_names", "system_names", "status", "progress", "dashboard"]
    list_filter = ["status"]
    readonly_fields = [
        "signature", "split", "auto_samples", "human_samples", "raters_per_item", "seed",
        "status", "error", "study", "created_at", "updated_at",
    ]  # fmt: skip
    exclude = ["datasets", "systems", "generation_jobs"]

    def has_add_permission(self, request) -> bool:
        # Runs are made by run_eval, which validates and draws the samples.
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="datasets")
    def dataset_names(self, run: EvalRun) -> str:
        return ", ".join(run.datasets.order_by("name").values_list("name", flat=True))

    @admin.display(description="systems")
    def system_names(self, run: EvalRun) -> str:
        return ", ".join(run.systems.order_by("name").values_list("name", flat=True))

    @admin.display(description="generated / scored / rated")
    def progress(self, run: EvalRun) -> str:
        progress = run_progress(run=run)
        return (
            f"{progress.generation_percent:.0f}% / {progress.scoring_percent:.0f}% / "
            f"{progress.rating_percent:.0f}%"
        )

    @admin.display(description="results")
    def dashboard(self, run: EvalRun) -> str:
        return format_html(
            '<a href="{}">dashboard</a>', reverse("admin:reports_evalrun_dashboard", args=[run.pk])
        )

    def get_urls(self):
        wrap = self.admin_site.admin_view

        def dashboard(request, run_id: int):
            return views.dashboard_view(
                request, run_id, {**self.admin_site.each_context(request), "opts": self.model._meta}
            )

        return [
            path("<int:run_id>/dashboard/", wrap(dashboard), name="reports_evalrun_dashboard"),
            path(
                "<int:run_id>/compare/",
                wrap(views.comparison_view),
                name="reports_evalrun_compare",
            ),
            path("<int:run_id>/plan/", wrap(views.plan_view), name="reports_evalrun_plan"),
            path(
                "<int:run_id>/differences/",
                wrap(views.differences_view),
                name="reports_evalrun_differences",
            ),
            path(
                "<int:run_id>/pairwise/",
                wrap(views.pairwise_view),
                name="reports_evalrun_pairwise",
            ),
            path(
                "<int:run_id>/judges/<int:judge_id>/followup/",
                wrap(views.judge_followup_view),
                name="reports_evalrun_judge_followup",
            ),
            path(
                "<int:run_id>/progress/",
                wrap(views.run_progress_view),
                name="reports_evalrun_progress",
            ),
            path(
                "<int:run_id>/export/<slug:kind>.csv",
                wrap(views.export_view),
                name="reports_evalrun_export",
            ),
            *super().get_urls(),
        ]
