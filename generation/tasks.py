from celery import shared_task

from generation.models import Dataset
from generation.services import dataset_stats_refresh


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def dataset_refresh_stats(dataset_id: int) -> None:
    # Recomputing from the rows is idempotent: a retry or a duplicate delivery is harmless.
    dataset = Dataset.objects.filter(pk=dataset_id).first()
    if dataset is None:
        return
    dataset_stats_refresh(dataset=dataset)
