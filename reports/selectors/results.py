"""Table 1: per dataset × system, the automatic metrics and the human means with their
intervals (the comparison of two systems is reports.selectors.comparisons')."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from annotation.rubric import SCALE_KEYS
from annotation.selectors.quality import excluded_ratings
from annotation.selectors.screening import study_screening_counts
from generation.models import System
from reports.metrics import (
    METRIC_KEYS,
    METRIC_LABELS,
    PROFILE_SACREBLEU,
    PROFILE_SOULCHAT,
    SACREBLEU_KEY,
)
from reports.models import EvalRun
from reports.selectors.automatic_cells import run_automatic_part
from reports.selectors.figure_cache import means_estimated
from reports.selectors.judge_columns import run_judge_columns, run_judge_scores
from reports.selectors.ratings import (
    HUMAN_LABELS,
    RunRatings,
    run_agreement,
    run_exclusions,
    run_ratings,
)
from reports.selectors.runs import ResponseCounts
from reports.selectors.table import (
    AFTER_EXCLUSIONS,
    ALL_RATINGS,
    DIVERSITY_LABELS,
    FLOOR_LABEL,
    FLOOR_ROW,
    RATINGS_VIEWS,
    REFERENCE_ROW,
    SYSTEM_ROW,
    Column,
    ResultRow,
    ResultsTable,
    table_note,
)
from reports.statistics import Estimate


def _columns(profile: str) -> list[Column]:
    if profile == PROFILE_SACREBLEU:
        auto = [Column(SACREBLEU_KEY, "BLEU (corpus)", "auto")]
    else:
        auto = [Column(key, METRIC_LABELS[key], "auto") for key in METRIC_KEYS]
    diversity = [Column(key, label, "diversity") for key, label in DIVERSITY_LABELS.items()]
    return auto + diversity + [Column(key, HUMAN_LABELS[key], "human") for key in SCALE_KEYS]


def _human_item_means(
    rated: RunRatings, include_excluded: bool
) -> dict[tuple[int, int], dict[str, list[float]]]:
    """(dataset id, system id) → dimension → per-item mean scores (an item's raters
    averaged first, so an item rated three times weighs what one rated twice does)."""
    per_item: dict[int, dict[str, Any]] = {}
    for row in rated.view(include_excluded=include_excluded):
        entry = per_item.setdefault(
            row.item_id, {"key": (row.dataset_id, row.system_id), "scores": defaultdict(list)}
        )
        for key, score in zip(SCALE_KEYS, row.scores, strict=True):
            entry["scores"][key].append(score)
    grouped: dict[tuple[int, int], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for entry in per_item.values():
        for key, values in entry["scores"].items():
            grouped[entry["key"]][key].append(sum(values) / len(values))
    return grouped


def results_table(
    *,
    run: EvalRun,
    profile: str = PROFILE_SOULCHAT,
    with_agreement: bool = True,
    ratings: str = AFTER_EXCLUSIONS,
    rated: RunRatings | None = None,
    responses: tuple[ResponseCounts, ...] | None = None,
) -> ResultsTable:
    """Table 1: per dataset × system, the automatic metrics (mean ×100) and the human
    means, each with n and a 95% bootstrap interval; the best mean per column and
    dataset is marked among the systems (never on the human reference's row, whose
    automatic cells are empty, nor on the floor rows, which come per dataset in `floors`).
    The human columns read the ratings left in after exclusions, or with
    `ratings=ALL_RATINGS` every rating; `rated` is the run's ratings and `responses`
    its response counts when the caller has read them already (run_ratings,
    run_response_counts)."""
    if profile not in (PROFILE_SOULCHAT, PROFILE_SACREBLEU):
        raise ValueError(f"unknown metric profile {profile!r}")
    if ratings not in RATINGS_VIEWS:
        raise ValueError(f"ratings {ratings!r}: one of {', '.join(RATINGS_VIEWS)}")
    include_excluded = ratings == ALL_RATINGS
    judge_columns = run_judge_columns(run=run)
    columns = _columns(profile) + judge_columns
    human_keys = [*SCALE_KEYS, *(column.key for column in judge_columns)]
    judged = run_judge_scores(run=run) if judge_columns else {}
    automatic = run_automatic_part(run=run, profile=profile, responses=responses)
    rated = rated if rated is not None else run_ratings(run=run)
    human = _human_item_means(rated, include_excluded)
    left_out: Counter[tuple[int, int]] = Counter() if include_excluded else _left_out_per_row(run)
    rows = []
    # Every human mean's interval is drawn in one batch after the loop: cells of one size
    # share their resamples (reports.statistics.bootstrap_means).
    to_estimate: dict[tuple[int, str], list[float]] = {}
    every_cells: list[dict[str, Estimate | None]] = []
    by_dataset: list[list[ResultRow]] = []
    floors: list[ResultRow] = []
    for dataset in run.datasets.order_by("name"):
        rows_of_dataset: list[ResultRow] = []
        for system in run.systems.order_by("name"):
            part = automatic.rows[(dataset.pk, system.pk)]
            cells = dict(part.cells)
            scores = human.get((dataset.pk, system.pk), {})
            for key in SCALE_KEYS:
                to_estimate[(len(every_cells), key)] = scores.get(key, [])
            verdicts = judged.get((dataset.pk, system.pk), {})
            for column in judge_columns:
                to_estimate[(len(every_cells), column.key)] = verdicts.get(column.key, [])
            every_cells.append(cells)
            rows_of_dataset.append(
                ResultRow(
                    dataset=dataset.name,
                    system=system.name,
                    samples=part.samples,
                    empty=part.empty,
                    rated_items=max((len(v) for v in scores.values()), default=0),
                    cells=cells,
                    ratings_left_out=left_out[(dataset.pk, system.pk)],
                    kind=REFERENCE_ROW if system.kind == System.Kind.REFERENCE else SYSTEM_ROW,
                )
            )
        by_dataset.append(rows_of_dataset)
        floor = automatic.floors[dataset.pk]
        floors.append(
            ResultRow(
                dataset=dataset.name, system=FLOOR_LABEL, samples=floor.samples,
                empty=floor.empty, rated_items=0,
                # Nobody rates the floor.
                cells={**floor.cells, **dict.fromkeys(human_keys)}, kind=FLOOR_ROW,
            )
        )  # fmt: skip
    for (position, key), estimate in means_estimated(to_estimate, seed=run.seed).items():
        every_cells[position][key] = estimate
    for dataset_rows in by_dataset:
        # Diversity and length describe answers; more of them is not better. The human
        # reference is the ceiling the systems are read against, not a contender.
        contenders = [row for row in dataset_rows if row.kind == SYSTEM_ROW]
        for column in (column for column in columns if column.kind != "diversity"):
            means = [cell.mean for row in contenders if (cell := row.cells[column.key])]
            if len(means) > 1:
                top = max(means)
                for row in contenders:
                    cell = row.cells[column.key]
                    if cell is not None and cell.mean == top:
                        row.best.add(column.key)
        rows.extend(dataset_rows)
    return ResultsTable(
        profile=profile,
        columns=columns,
        rows=rows,
        agreement=run_agreement(run=run, include_excluded=include_excluded, rated=rated)
        if with_agreement
        else [],
        seed=run.seed,
        ratings=ratings,
        exclusions=run_exclusions(run=run),
        screening=study_screening_counts(study_id=run.study_id),
        floors=floors,
    )


def results_note(*, run: EvalRun, ratings: str = AFTER_EXCLUSIONS) -> str:
    """Table 1's note (exclusions, identity screening) without computing the table."""
    return table_note(
        ratings=ratings,
        exclusions=run_exclusions(run=run),
        screening=study_screening_counts(study_id=run.study_id),
    )


def _left_out_per_row(run: EvalRun) -> Counter[tuple[int, int]]:
    """(dataset id, system id) → ordinary ratings that exclusions leave out."""
    return Counter(
        excluded_ratings(study_id=run.study_id)
        .filter(assignment__item__is_gold=False)
        .values_list(
            "assignment__item__response__sample__dataset_id",
            "assignment__item__response__system_id",
        )
    )
