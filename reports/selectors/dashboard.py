"""Everything the results dashboard shows of a run, from one call that reads the run's
ratings once and hands them to each figure; the panels answered after the page (the
mixed models' differences, the planner) each have their own call."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache

from annotation.rubric import SCALE_KEYS, SCALE_MAXIMUM
from generation.models import Dataset, System
from reports.charts import metric_bars, score_distribution
from reports.metrics import METRIC_KEYS, METRIC_LABELS, PROFILE_SOULCHAT
from reports.models import EvalRun
from reports.planner import Plan, PlanRefused
from reports.selectors.comparisons import Comparison, systems_compare
from reports.selectors.dashboard_state import dashboard_state
from reports.selectors.figure_cache import FIGURE_CACHE_SECONDS
from reports.selectors.judging import (
    JudgeDisagreement,
    JudgeValidation,
    run_judge_disagreements,
    run_judge_validation,
    run_judges,
)
from reports.selectors.planning import PlanRequest, run_plan
from reports.selectors.ratings import (
    HUMAN_LABELS,
    AnnotatorRow,
    RunRatings,
    UnsafeResponse,
    run_annotator_rows,
    run_ratings,
    run_score_distributions,
    run_unsafe_responses,
)
from reports.selectors.results import results_table
from reports.selectors.runs import RunProgress
from reports.selectors.table import ALL_RATINGS, ResultRow, ResultsTable


@dataclass(frozen=True)
class JudgePanel:
    judge_id: int
    validation: JudgeValidation
    disagreements: list[JudgeDisagreement]


@dataclass(frozen=True)
class Figures:
    """What the dashboard shows of the run whatever is asked of it: kept under the digest
    of everything it is computed from (reports.selectors.dashboard_state)."""

    table: ResultsTable
    annotators: list[AnnotatorRow]
    unsafe: list[UnsafeResponse]
    charts: list[str]  # SVG
    datasets: list[Dataset]
    systems: list[System]
    judges: list[JudgePanel]  # each LLM judge of the run against the experts


@dataclass(frozen=True)
class Dashboard:
    figures: Figures
    metrics: list[tuple[str, str]]  # what a comparison can be on: key, label
    comparison: Comparison | None
    comparison_error: str  # why the comparison asked for cannot be made, or ""
    plan: Plan | None  # the planner's answer for the run's study
    plan_error: str  # why the planner cannot answer, or ""
    cached: bool  # the figures were kept from an earlier load with the same inputs


def dashboard_charts(
    table: ResultsTable, distributions: dict[str, list[tuple[str, dict[int, int]]]]
) -> list[str]:
    charts = []
    # One dataset: its name on every bar says nothing and crowds out the system's.
    several = len({row.dataset for row in table.rows}) > 1

    def label(row: ResultRow) -> str:
        return f"{row.dataset}/{row.system}" if several else row.system

    for key in METRIC_KEYS if table.profile == PROFILE_SOULCHAT else ():
        bars = [(label(row), row.cells.get(key)) for row in table.rows]
        top = max((cell.high for _, cell in bars if cell), default=1.0)
        charts.append(metric_bars(f"{METRIC_LABELS[key]} ×100, 95% CI", bars, maximum=top))
    for key in SCALE_KEYS:
        bars = [(label(row), row.cells.get(key)) for row in table.rows]
        if any(cell for _, cell in bars):
            title = f"{HUMAN_LABELS[key]} mean, 95% CI"
            charts.append(metric_bars(title, bars, maximum=SCALE_MAXIMUM[key]))
        if distributions.get(key):
            title = f"{HUMAN_LABELS[key]} scores"
            charts.append(score_distribution(title, distributions[key], maximum=SCALE_MAXIMUM[key]))
    return charts


def _comparison(
    run: EvalRun, wanted: dict[str, str] | None, ratings: str, rated: RunRatings
) -> tuple[Comparison | None, str]:
    if wanted is None:
        return None, ""
    dataset = run.datasets.filter(name=wanted["dataset"]).first()
    first = run.systems.filter(name=wanted["first"]).first()
    second = run.systems.filter(name=wanted["second"]).first()
    if dataset is None or first is None or second is None:
        return None, "choose a dataset and two systems of this run"
    if first == second:
        return None, (
            f"{first.name} was chosen twice: a system compared with itself has no "
            "difference to test; choose two different systems"
        )
    try:
        comparison = systems_compare(
            run=run, dataset=dataset, first=first, second=second, metric=wanted["metric"],
            ratings=ratings, rated=rated,
        )  # fmt: skip
    except ValueError as error:
        return None, str(error)
    return comparison, ""


def _plan(run: EvalRun, wanted: PlanRequest | None, rated: RunRatings) -> tuple[Plan | None, str]:
    if wanted is None or run.study_id is None:
        return None, ""
    try:
        return run_plan(run=run, request=wanted, rated=rated), ""
    except PlanRefused as error:
        return None, str(error)


def run_comparison(
    *, run: EvalRun, ratings: str, wanted: dict[str, str] | None
) -> tuple[Comparison | None, str]:
    """The comparison panel alone, as the dashboard answers it in place: asked for, so
    a missing choice is an error, not "nothing asked"."""
    if wanted is None:
        return None, "choose a dataset, two systems and a metric"
    return _comparison(run, wanted, ratings, run_ratings(run=run))


def run_plan_panel(*, run: EvalRun, wanted: PlanRequest) -> tuple[Plan | None, str]:
    """The planner panel alone, as the dashboard answers it in place."""
    return _plan(run, wanted, run_ratings(run=run))


def _figures(run: EvalRun, ratings: str, rated: RunRatings, progress: RunProgress) -> Figures:
    table = results_table(run=run, ratings=ratings, rated=rated, responses=progress.responses)
    distributions = run_score_distributions(
        run=run, include_excluded=ratings == ALL_RATINGS, rated=rated
    )
    return Figures(
        table=table,
        annotators=run_annotator_rows(run=run, rated=rated),
        unsafe=run_unsafe_responses(run=run),
        charts=dashboard_charts(table, distributions),
        datasets=list(Dataset.objects.filter(eval_runs=run).order_by("name")),
        systems=list(System.objects.filter(eval_runs=run).order_by("name")),
        judges=[
            JudgePanel(
                judge_id=judge.pk,
                validation=run_judge_validation(run=run, judge=judge, rated=rated),
                disagreements=run_judge_disagreements(run=run, judge=judge, rated=rated),
            )
            for judge in run_judges(run)
        ]
        if run.study_id is not None
        else [],
    )


def run_dashboard(
    *, run: EvalRun, ratings: str, progress: RunProgress,
    comparison: dict[str, str] | None = None, plan: PlanRequest | None = None,
) -> Dashboard:  # fmt: skip
    """The dashboard of `run` under the ratings view `ratings`, with the comparison of
    `comparison` (dataset, first, second, metric names) and the plan of `plan` when
    asked for; `progress` is the run's, as the page shows it."""
    key = f"reports:dashboard:{run.pk}:{ratings}:{dashboard_state(run=run, progress=progress)}"
    figures: Figures | None = cache.get(key)
    cached = figures is not None
    rated = None
    if figures is None:
        rated = run_ratings(run=run)
        figures = _figures(run, ratings, rated, progress)
        cache.set(key, figures, FIGURE_CACHE_SECONDS)
    compared, error, planned, plan_error = None, "", None, ""
    if comparison is not None or plan is not None:
        rated = rated or run_ratings(run=run)
        compared, error = _comparison(run, comparison, ratings, rated)
        planned, plan_error = _plan(run, plan, rated)
    return Dashboard(
        figures=figures,
        metrics=[(key, METRIC_LABELS[key]) for key in METRIC_KEYS]
        + [(key, HUMAN_LABELS[key]) for key in SCALE_KEYS],
        comparison=compared,
        comparison_error=error,
        plan=planned,
        plan_error=plan_error,
        cached=cached,
    )
