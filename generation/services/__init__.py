"""Writes of the generation app, by subject."""

from generation.services.dataset_stats import dataset_stats_refresh
from generation.services.datasets import (
    DatasetImportError,
    ImportReport,
    dataset_import,
    dataset_import_size,
)
from generation.services.jobs import (
    GenerationJobError,
    generation_job_cancel,
    generation_job_create,
    generation_job_retry,
    generation_job_run,
)
from generation.services.systems import (
    REFERENCE_SYSTEM_NAME,
    SystemInvalid,
    reference_responses_store,
    reference_system_get,
    system_save,
    systems_with_reference,
)

__all__ = [
    "REFERENCE_SYSTEM_NAME",
    "DatasetImportError",
    "GenerationJobError",
    "ImportReport",
    "SystemInvalid",
    "dataset_import",
    "dataset_import_size",
    "dataset_stats_refresh",
    "generation_job_cancel",
    "generation_job_create",
    "generation_job_retry",
    "generation_job_run",
    "reference_responses_store",
    "reference_system_get",
    "system_save",
    "systems_with_reference",
]
