from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from common.admin import CommandStartedAdmin, ServiceModelAdmin
from generation.models import (
    Dataset,
    GenerationFailure,
    GenerationJob,
    Response,
    Sample,
    System,
)
from generation.services import GenerationJobError, generation_job_cancel, generation_job_retry


@admin.register(Dataset)
class DatasetAdmin(ServiceModelAdmin):
    list_display = ["name", "source_format", "test_ratio", "sample_count", "created_at"]
    list_filter = ["source_format", "created_at"]
    search_fields = ["name", "description", "licence_note"]
    readonly_fields = ["stats", "stats_updated_at", "created_at", "updated_at"]

    @admin.display(description="samples")
    def sample_count(self, dataset: Dataset) -> int | str:
        return dataset.stats.get("samples", "–")


@admin.register(Sample)
class SampleAdmin(ServiceModelAdmin):
    list_display = ["source_id", "dataset", "split", "topic", "context_turns"]
    list_filter = ["dataset", "split", "topic"]
    search_fields = ["source_id", "dialogue_id", "reference"]
    list_select_related = ["dataset"]
    # Samples come from imports: editing one by hand would make it disagree with its source.
    readonly_fields = [
        "dataset",
        "split",
        "topic",
        "dialogue_id",
        "turn_index",
        "context",
        "context_turns",
        "reference",
        "source_id",
    ]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A sample is one turn of an imported dialogue: import_dataset makes them.
        return False


@admin.register(System)
class SystemAdmin(ServiceModelAdmin):
    list_display = ["name", "kind", "prompt_preset", "response_count", "created_at"]
    list_filter = ["kind", "prompt_preset"]
    search_fields = ["name", "description", "checkpoint", "endpoint", "model_name"]
    fieldsets = [
        (None, {"fields": ["name", "kind", "description"]}),
        (
            "Local Hugging Face checkpoint (hf_local)",
            {
                "fields": [
                    "checkpoint", "adapter", "trust_remote_code", "dtype", "device",
                    "batch_size", "max_batch_tokens",
                ]
            },
        ),
        (
            "OpenAI-compatible API (openai_api)",
            {
                "fields": [
                    "endpoint", "replica_endpoints", "model_name", "api_key_env", "tokenizer",
                    "request_timeout_seconds", "max_retries", "concurrency",
                    "input_price_per_million", "output_price_per_million", "price_currency",
                ]
            },
        ),
        ("Imported responses (imported)", {"fields": ["responses_file"]}),
        (
            "Prompt and decoding",
            {"fields": ["prompt_preset", "system_prompt", "max_input_tokens", "decoding"]},
        ),
    ]  # fmt: skip

    @admin.display(description="responses")
    def response_count(self, system: System) -> int:
        return system.responses.count()


class GenerationFailureInline(admin.TabularInline):
    model = GenerationFailure
    readonly_fields = ("sample", "reason", "created_at")
    fields = readonly_fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False


@admin.register(GenerationJob)
class GenerationJobAdmin(CommandStartedAdmin):
    start_hint = (
        "Jobs start from the command line: manage.py run_eval --dataset D --systems a,b "
        "(an evaluation run makes the jobs it needs), or manage.py generate --system S "
        "--dataset D."
    )
    list_display = ["id", "system", "status", "progress", "failure_count", "created_at"]
    list_filter = ["status", "system"]
    search_fields = ["system__name", "error"]
    list_select_related = ["system"]
    readonly_fields = (
        "system", "status", "progress", "error", "notes", "started_at", "finished_at", "created_at",
    )  # fmt: skip
    fields = readonly_fields
    inlines = [GenerationFailureInline]
    actions = ["cancel", "retry"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Jobs are made by `manage.py generate` and run_eval, over a chosen set of samples.
        return False

    @admin.display(description="progress")
    def progress(self, job: GenerationJob) -> str:
        percent = 100 * job.progress_done / job.progress_total if job.progress_total else 100
        return f"{job.progress_done}/{job.progress_total} ({percent:.0f}%)"

    @admin.display(description="failures")
    def failure_count(self, job: GenerationJob) -> int:
        return job.failures.count()

    @admin.action(description="Cancel the selected jobs after their current batch")
    def cancel(self, request: HttpRequest, queryset: QuerySet[GenerationJob]) -> None:
        cancelled = sum(generation_job_cancel(job=job) for job in queryset)
        self.message_user(request, f"{cancelled} job(s) cancelled.", messages.SUCCESS)

    @admin.action(description="Retry the selected failed or cancelled jobs")
    def retry(self, request: HttpRequest, queryset: QuerySet[GenerationJob]) -> None:
        retried, refused = 0, []
        for job in queryset:
            try:
                generation_job_retry(job=job)
                retried += 1
            except GenerationJobError as error:
                refused.append(str(error))
        self.message_user(request, f"{retried} job(s) queued again.", messages.SUCCESS)
        for message in refused:
            self.message_user(request, message, messages.WARNING)


@admin.register(Response)
class ResponseAdmin(ServiceModelAdmin):
    list_display = [
        "sample", "system", "completion_tokens", "latency_seconds", "context_truncated",
        "created_at",
    ]  # fmt: skip
    list_filter = ["system", "context_truncated", "sample__dataset"]
    search_fields = ["text", "sample__source_id", "system__name"]
    list_select_related = ["sample", "system"]
    raw_id_fields = ["sample", "job"]
    show_full_result_count = False
