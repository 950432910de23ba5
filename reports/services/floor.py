"""The "random counsellor turn" floor of a run's automatic metrics (METRICS.md)."""

from __future__ import annotations

import random

from django.db import transaction

from generation.models import Sample
from reports.metrics import METRIC_KEYS, is_empty, score_pairs
from reports.models import EvalRun, EvalSample, FloorScore


def floor_donors_draw(
    drawn: list[tuple[int, str]], donors: list[tuple[int, str]], *, seed: str
) -> dict[int, int]:
    """sample id → the id of a sample of another dialogue, drawn with `seed`, for each
    drawn (sample id, dialogue id); empty when every donor shares one dialogue. Every
    sample is drawn for in order, so the draw is the same however much was stored."""
    if len({dialogue for _, dialogue in donors}) < 2:
        return {}
    rng = random.Random(seed)  # noqa: S311 (a reproducible draw, not a secret)
    picks = {}
    for sample_id, dialogue in drawn:
        while True:
            donor_id, donor_dialogue = donors[rng.randrange(len(donors))]
            if donor_dialogue != dialogue:
                picks[sample_id] = donor_id
                break
    return picks


def run_floor_score(*, run: EvalRun, workers: int = 1) -> int:
    """Score the floor of every drawn sample that has none yet; how many were stored.
    Safe to repeat: one floor score per (run, sample)."""
    stored = 0
    for dataset in run.datasets.order_by("name"):
        drawn = list(
            EvalSample.objects.filter(run=run, sample__dataset=dataset)
            .order_by("sample_id")
            .values_list("sample_id", "sample__dialogue_id")
        )
        done = set(
            FloorScore.objects.filter(run=run, sample__dataset=dataset).values_list(
                "sample_id", flat=True
            )
        )
        if len(done) >= len(drawn):
            continue
        donors = list(
            Sample.objects.filter(dataset=dataset).order_by("pk").values_list("pk", "dialogue_id")
        )
        picks = floor_donors_draw(drawn, donors, seed=f"{run.seed}:floor:{dataset.name}")
        pending = [
            sample_id for sample_id, _ in drawn if sample_id in picks and sample_id not in done
        ]
        texts = dict(
            Sample.objects.filter(pk__in={*pending, *(picks[s] for s in pending)}).values_list(
                "pk", "reference"
            )
        )
        pairs = [(texts[picks[sample_id]], texts[sample_id]) for sample_id in pending]
        scores = score_pairs(pairs, workers=workers)
        with transaction.atomic():
            created = FloorScore.objects.bulk_create(
                [
                    FloorScore(
                        run=run, sample_id=sample_id, donor_id=picks[sample_id],
                        empty=is_empty(hypothesis),
                        **dict(zip(METRIC_KEYS, values, strict=True)),
                    )
                    for sample_id, (hypothesis, _), values in zip(
                        pending, pairs, scores, strict=True
                    )
                ],
                ignore_conflicts=True,
            )  # fmt: skip
        stored += len(created)
    return stored
