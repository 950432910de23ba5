"""A dataset's counts, shown in the admin and used to plan evaluations: recomputed from
its rows after every import that changed them."""

from __future__ import annotations

from django.db.models import Avg, Count
from django.db.models.functions import Length
from django.utils import timezone

from common.queueing import task_send_on_commit
from generation.models import Dataset, Sample


def dataset_stats_refresh_queue(dataset_id: int) -> None:
    """Refresh the dataset's counts on a worker once the import commits."""
    # Imported here: tasks import this module, and a service is what queues them.
    from generation.tasks import dataset_refresh_stats

    task_send_on_commit(dataset_refresh_stats, dataset_id)


def dataset_stats_refresh(*, dataset: Dataset) -> Dataset:
    """Recompute the counts shown in the admin and used to plan evaluations."""
    samples = Sample.objects.filter(dataset=dataset)
    per_split = dict(
        samples.values_list("split").annotate(count=Count("id")).values_list("split", "count")
    )
    topics = dict(
        samples.exclude(topic="")
        .values_list("topic")
        .annotate(count=Count("dialogue_id", distinct=True))
        .values_list("topic", "count")
    )
    averages = samples.aggregate(
        context_turns=Avg("context_turns"), reference_chars=Avg(Length("reference"))
    )
    dataset.stats = {
        "dialogues": samples.values("dialogue_id").distinct().count(),
        "samples": sum(per_split.values()),
        "samples_per_split": per_split,
        "topics": topics,
        "mean_context_turns": round(averages["context_turns"] or 0.0, 3),
        "mean_reference_chars": round(averages["reference_chars"] or 0.0, 3),
    }
    dataset.stats_updated_at = timezone.now()
    dataset.save(update_fields=["stats", "stats_updated_at", "updated_at"])
    return dataset
