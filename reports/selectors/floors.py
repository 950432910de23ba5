"""Table 1's floor rows: per dataset, every drawn sample answered by a real counsellor
turn from another dialogue of the same dataset (reports.services.floor stores them)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from reports.diversity import answer_lengths
from reports.metrics import METRIC_KEYS, PROFILE_SACREBLEU, SACREBLEU_KEY
from reports.models import EvalRun, FloorScore
from reports.selectors.figure_cache import distinct_cells, means_estimated
from reports.selectors.table import (
    FLOOR_LABEL,
    FLOOR_ROW,
    ResultRow,
    sacrebleu_estimate,
)
from reports.statistics import Estimate


def run_floor_rows(*, run: EvalRun, profile: str, human_keys: list[str]) -> list[ResultRow]:
    """One floor row per dataset of the run, in dataset order; human cells are empty
    (nobody rates the floor)."""
    scores = (
        FloorScore.objects.filter(run=run)
        .order_by("sample_id")
        .values_list(
            "sample__dataset_id", "donor__reference", "sample__reference", "empty", *METRIC_KEYS
        )
    )
    grouped: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for dataset_id, *values in scores.iterator(chunk_size=5000):
        grouped[dataset_id].append(tuple(values))
    rows = []
    for dataset in run.datasets.order_by("name"):
        values = grouped.get(dataset.pk, [])
        cells: dict[str, Estimate | None] = {}
        to_estimate: dict[str, list[float]] = {}
        if profile == PROFILE_SACREBLEU:
            pairs = [(hypothesis, reference) for hypothesis, reference, *_ in values]
            cells[SACREBLEU_KEY] = sacrebleu_estimate(pairs, seed=run.seed)
        else:
            to_estimate = {
                key: [row[3 + offset] * 100 for row in values]
                for offset, key in enumerate(METRIC_KEYS)
            }
            cells.update(dict.fromkeys(to_estimate))
        answers = [row[0] for row in values]
        cells.update(distinct_cells(answers))
        to_estimate["length"] = answer_lengths(answers)
        cells.update(means_estimated(to_estimate, seed=run.seed))
        cells.update(dict.fromkeys(human_keys))
        rows.append(
            ResultRow(
                dataset=dataset.name, system=FLOOR_LABEL, samples=len(values),
                empty=sum(1 for row in values if row[2]), rated_items=0, cells=cells,
                kind=FLOOR_ROW,
            )
        )  # fmt: skip
    return rows
