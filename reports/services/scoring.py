"""Automatic scores of stored responses."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from generation.models import Response, System
from reports.metrics import METRIC_KEYS, is_empty, score_pairs
from reports.models import ResponseScore

BATCH = 2000


def responses_score(*, response_ids: Iterable[int], workers: int = 1) -> int:
    """Scores the given responses that have no scores yet (never the human reference's);
    returns how many it stored.
    Safe to run twice at once: a score stored meanwhile wins over this one."""
    pending = list(
        Response.objects.filter(pk__in=list(response_ids), automatic_scores__isnull=True)
        # Scored against itself, the human reference would top every column.
        .exclude(system__kind=System.Kind.REFERENCE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    stored = 0
    for start in range(0, len(pending), BATCH):
        batch = list(
            Response.objects.filter(pk__in=pending[start : start + BATCH])
            .order_by("pk")
            .values_list("pk", "text", "sample__reference")
        )
        scores = score_pairs([(text, reference) for _, text, reference in batch], workers=workers)
        with transaction.atomic():
            created = ResponseScore.objects.bulk_create(
                [
                    ResponseScore(
                        response_id=response_id,
                        empty=is_empty(text),
                        **dict(zip(METRIC_KEYS, values, strict=True)),
                    )
                    for (response_id, text, _), values in zip(batch, scores, strict=True)
                ],
                ignore_conflicts=True,
            )
        stored += len(created)
    return stored
