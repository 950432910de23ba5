"""Table 1's automatic part: per dataset × system the metric means with their intervals,
Distinct-n and length, and the floor rows. It reads every response, score and floor
score of the run (60,000 and 20,000 rows at a paper's size, most of a second), and none
of it changes with a rating: it is kept under the digest of those tables
(reports.selectors.dashboard_state.automatic_state), so a rating, a revision or an
exclusion recomputes only the human figures."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache

from generation.models import System
from reports.diversity import answer_lengths
from reports.metrics import METRIC_KEYS, PROFILE_SACREBLEU, SACREBLEU_KEY, is_empty
from reports.models import EvalRun, FloorScore, ResponseScore
from reports.selectors.dashboard_state import automatic_state
from reports.selectors.figure_cache import FIGURE_CACHE_SECONDS, distinct_cells, means_estimated
from reports.selectors.runs import ResponseCounts, run_responses
from reports.selectors.table import sacrebleu_estimate
from reports.statistics import Estimate


@dataclass(frozen=True)
class AutomaticRow:
    samples: int  # samples with a scored response (the reference row: with an answer)
    empty: int  # of which the response was empty
    cells: dict[str, Estimate | None]  # metrics, Distinct-n and length


@dataclass(frozen=True)
class AutomaticPart:
    rows: dict[tuple[int, int], AutomaticRow]  # (dataset id, system id) →
    floors: dict[int, AutomaticRow]  # dataset id → its floor row


def _texts(run: EvalRun) -> dict[tuple[int, int], list[str]]:
    """(dataset id, system id) → the texts of its responses to the run's samples."""
    grouped: dict[tuple[int, int], list[str]] = defaultdict(list)
    rows = (
        run_responses(run=run)
        .order_by("sample_id")
        .values_list("sample__dataset_id", "system_id", "text")
    )
    for dataset_id, system_id, text in rows.iterator(chunk_size=5000):
        grouped[(dataset_id, system_id)].append(text)
    return grouped


def run_auto_values(run: EvalRun) -> dict[tuple[int, int], list[tuple[Any, ...]]]:
    """(dataset id, system id) → [(sample id, response id, scores...)] in sample order."""
    rows = (
        ResponseScore.objects.filter(response__in=run_responses(run=run))
        .order_by("response__sample_id")
        .values_list(
            "response__sample__dataset_id",
            "response__system_id",
            "response__sample_id",
            "empty",
            *METRIC_KEYS,
        )
    )
    grouped: dict[tuple[int, int], list[tuple[Any, ...]]] = defaultdict(list)
    for dataset_id, system_id, sample_id, empty, *scores in rows.iterator(chunk_size=5000):
        grouped[(dataset_id, system_id)].append((sample_id, empty, *scores))
    return grouped


def _sacrebleu_cell(run: EvalRun, dataset_id: int, system_id: int) -> Estimate | None:
    pairs = list(
        run_responses(run=run)
        .filter(sample__dataset_id=dataset_id, system_id=system_id)
        .order_by("sample_id")
        .values_list("text", "sample__reference")
    )
    return sacrebleu_estimate(pairs, seed=run.seed)


def _system_rows(run: EvalRun, profile: str) -> dict[tuple[int, int], AutomaticRow]:
    auto = run_auto_values(run)
    texts = _texts(run)
    # Every mean's interval is drawn in one batch: cells of one size share their
    # resamples (reports.statistics.bootstrap_means).
    to_estimate: dict[tuple[tuple[int, int], str], list[float]] = {}
    rows: dict[tuple[int, int], AutomaticRow] = {}
    auto_keys = [SACREBLEU_KEY] if profile == PROFILE_SACREBLEU else list(METRIC_KEYS)
    for dataset_id in run.datasets.order_by("name").values_list("pk", flat=True):
        for system in run.systems.order_by("name"):
            key = (dataset_id, system.pk)
            values = auto.get(key, [])
            answers = texts.get(key, [])
            cells: dict[str, Estimate | None] = {}
            is_reference = system.kind == System.Kind.REFERENCE
            if is_reference:
                # Its automatic metrics would score the reference against itself.
                cells.update(dict.fromkeys(auto_keys))
            elif profile == PROFILE_SACREBLEU:
                cells[SACREBLEU_KEY] = _sacrebleu_cell(run, dataset_id, system.pk)
            else:
                for offset, metric in enumerate(METRIC_KEYS):
                    cells[metric] = None  # its place among the columns; the interval comes later
                    to_estimate[(key, metric)] = [row[2 + offset] * 100 for row in values]
            cells.update(distinct_cells(answers))
            cells["length"] = None
            to_estimate[(key, "length")] = answer_lengths(answers)
            rows[key] = AutomaticRow(
                samples=len(answers) if is_reference else len(values),
                empty=sum(1 for text in answers if is_empty(text))
                if is_reference
                else sum(1 for row in values if row[1]),
                cells=cells,
            )
    for (key, metric), estimate in means_estimated(to_estimate, seed=run.seed).items():
        rows[key].cells[metric] = estimate
    return rows


def _floor_rows(run: EvalRun, profile: str) -> dict[int, AutomaticRow]:
    """Per dataset, every drawn sample answered by a real counsellor turn from another
    dialogue of the same dataset (reports.services.floor stores them)."""
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
    rows = {}
    for dataset_id in run.datasets.order_by("name").values_list("pk", flat=True):
        values = grouped.get(dataset_id, [])
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
        rows[dataset_id] = AutomaticRow(
            samples=len(values), empty=sum(1 for row in values if row[2]), cells=cells
        )
    return rows


def run_automatic_part(
    *, run: EvalRun, profile: str, responses: tuple[ResponseCounts, ...] | None = None
) -> AutomaticPart:
    """The run's automatic cells under `profile`, kept while its responses and scores
    stay as they are; `responses` are the run's response counts when the caller has read
    them (reports.selectors.runs.run_response_counts)."""
    key = f"reports:automatic:{profile}:{automatic_state(run=run, responses=responses)}"
    part: AutomaticPart | None = cache.get(key)
    if part is None:
        part = AutomaticPart(rows=_system_rows(run, profile), floors=_floor_rows(run, profile))
        cache.set(key, part, FIGURE_CACHE_SECONDS)
    return part
