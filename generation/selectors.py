"""Reads of the generation app."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from generation.dataset_formats import export_record
from generation.dialogues import Turn
from generation.models import Dataset, Sample


class DatasetNotFound(Exception):
    pass


def dataset_get(*, name: str) -> Dataset:
    dataset = Dataset.objects.filter(name=name).first()
    if dataset is None:
        known = ", ".join(Dataset.objects.values_list("name", flat=True)[:20]) or "none yet"
        raise DatasetNotFound(f"no dataset named {name!r} (known: {known})")
    return dataset


def sample_list(*, dataset: Dataset, split: str | None = None) -> QuerySet[Sample]:
    samples = Sample.objects.filter(dataset=dataset)
    if split is not None:
        samples = samples.filter(split=split)
    return samples.order_by("dialogue_id", "turn_index")


def dataset_export_records(
    *, dataset: Dataset, split: str | None, export_format: str
) -> Iterator[dict[str, Any]]:
    rows = sample_list(dataset=dataset, split=split).values_list(
        "source_id", "context", "reference"
    )
    for source_id, context, reference in rows.iterator(chunk_size=2000):
        yield export_record(
            export_format,
            source_id=source_id,
            context=[Turn(role=turn["role"], content=turn["content"]) for turn in context],
            reference=reference,
        )
