from django.contrib import admin

from generation.models import Dataset, GenerationJob, Response, Sample, System


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ["name", "source_format", "test_ratio", "sample_count", "created_at"]
    list_filter = ["source_format", "created_at"]
    search_fields = ["name", "description", "licence_note"]
    readonly_fields = ["stats", "stats_updated_at", "created_at", "updated_at"]

    @admin.display(description="samples")
    def sample_count(self, dataset: Dataset) -> int | str:
        return dataset.stats.get("samples", "–")


@admin.register(Sample)
class SampleAdmin(admin.ModelAdmin):
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


@admin.register(System)
class SystemAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "prompt_preset", "created_at"]
    list_filter = ["kind", "prompt_preset"]
    search_fields = ["name", "description", "checkpoint", "endpoint", "model_name"]


@admin.register(GenerationJob)
class GenerationJobAdmin(admin.ModelAdmin):
    list_display = ["id", "system", "status", "progress_done", "progress_total", "created_at"]
    list_filter = ["status", "system"]
    search_fields = ["system__name", "error"]
    readonly_fields = ["progress_done", "progress_total", "error", "started_at", "finished_at"]
    raw_id_fields = ["samples"]


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ["sample", "system", "completion_tokens", "latency_seconds", "created_at"]
    list_filter = ["system", "context_truncated", "sample__dataset"]
    search_fields = ["text", "sample__source_id", "system__name"]
    list_select_related = ["sample", "system"]
    raw_id_fields = ["sample", "job"]
    show_full_result_count = False
