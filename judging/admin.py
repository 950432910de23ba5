"""Admin for judge runs (started from the command line: judge / run_eval --judge) and
their verdicts, read-only: a verdict is what the judge said, kept as it came."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from common.admin import CommandStartedAdmin, LiveJobAdmin, ServiceModelAdmin, progress_bar
from judging.models import JudgeRun, Verdict
from judging.services import (
    JudgeRunInvalid,
    judge_run_cancel,
    judge_run_cost,
    judge_run_resume,
)


@admin.register(JudgeRun)
class JudgeRunAdmin(CommandStartedAdmin, LiveJobAdmin):
    start_hint = (
        "A judge run starts from the command line: manage.py judge RUN --judge SYSTEM, or "
        "run_eval … --judge SYSTEM (README: LLM judges)."
    )
    list_display = ["pk", "judge", "prompt_version", "status", "progress", "calls", "created_at"]
    list_filter = ["status", "prompt_version", "judge"]
    search_fields = ["judge__name", "error"]
    list_select_related = ["judge"]
    readonly_fields = (
        "judge", "prompt_version", "status", "progress", "passes", "max_new_tokens", "calls",
        "prompt_tokens", "completion_tokens", "cost", "error", "system_prompt", "started_at",
        "finished_at", "created_at",
    )  # fmt: skip
    fields = readonly_fields
    actions = ["cancel", "resume"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: JudgeRun | None = None) -> bool:
        return False

    @admin.display(description="cost")
    def cost(self, run: JudgeRun) -> str:
        cost = judge_run_cost(run)
        return "– (the judge has no prices)" if cost is None else f"{cost.spent} {cost.currency}"

    @admin.display(description="progress")
    def progress(self, run: JudgeRun) -> str:
        return progress_bar(run.progress_done, run.progress_total, "verdicts")

    @admin.action(description="Stop the selected judge runs")
    def cancel(self, request: HttpRequest, queryset: QuerySet[JudgeRun]) -> None:
        stopped = sum(judge_run_cancel(run=run) for run in queryset)
        self.message_user(request, f"{stopped} judge run(s) stopped.")

    @admin.action(description="Ask again what got no answer")
    def resume(self, request: HttpRequest, queryset: QuerySet[JudgeRun]) -> None:
        for run in queryset:
            try:
                judge_run_resume(run=run)
            except JudgeRunInvalid as error:
                self.message_user(request, str(error), messages.WARNING)
            else:
                self.message_user(request, f"Judge run {run.pk} is queued again.")


@admin.register(Verdict)
class VerdictAdmin(ServiceModelAdmin):
    list_display = ["pk", "judge", "response", "judge_pass", "status", "scores", "error"]
    list_filter = ["status", "judge", "prompt_version", "judge_pass"]
    search_fields = ["raw_output", "error", "reason"]
    list_select_related = ["judge", "response__system", "response__sample"]
    readonly_fields = (
        "run", "response", "judge", "prompt_version", "judge_pass", "status", "scores",
        "reason", "error", "raw_output", "attempts", "prompt_tokens", "completion_tokens",
        "latency_seconds", "created_at", "updated_at",
    )  # fmt: skip
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Verdict | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Verdict | None = None) -> bool:
        return False
