"""Everything the results dashboard shows of a run, from one call that reads the run's
ratings once and hands them to each figure; the panels answered after the page (the
mixed models' differences, the planner) each have their own call."""

from __future__ import annotations

from dataclasses import dataclass

from annotation.rubric import SCALE_KEYS
from generation.models import Dataset, System
from reports.metrics import METRIC_KEYS, METRIC_LABELS
from reports.models import EvalRun
from reports.planner import Plan, PlanRefused
from reports.selectors.comparisons import Comparison, systems_compare
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
from reports.selectors.table import ALL_RATINGS, ResultsTable


@dataclass(frozen=True)
class JudgePanel:
    judge_id: int
    validation: JudgeValidation
    disagreements: list[JudgeDisagreement]


@dataclass(frozen=True)
class Dashboard:
    ratings: str  # the view the human figures read
    table: ResultsTable
    annotators: list[AnnotatorRow]
    unsafe: list[UnsafeResponse]
    distributions: dict[str, list[tuple[str, dict[int, int]]]]
    datasets: list[Dataset]
    systems: list[System]
    metrics: list[tuple[str, str]]  # what a comparison can be on: key, label
    comparison: Comparison | None
    comparison_error: str  # why the comparison asked for cannot be made, or ""
    plan: Plan | None  # the planner's answer for the run's study
    plan_error: str  # why the planner cannot answer, or ""
    judges: list[JudgePanel]  # each LLM judge of the run against the experts


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


def run_dashboard(
    *, run: EvalRun, ratings: str, comparison: dict[str, str] | None = None,
    plan: PlanRequest | None = None,
) -> Dashboard:  # fmt: skip
    """The dashboard of `run` under the ratings view `ratings`, with the comparison of
    `comparison` (dataset, first, second, metric names) when one is asked for."""
    rated = run_ratings(run=run)
    compared, error = _comparison(run, comparison, ratings, rated)
    planned, plan_error = _plan(run, plan, rated)
    return Dashboard(
        ratings=ratings,
        table=results_table(run=run, ratings=ratings, rated=rated),
        annotators=run_annotator_rows(run=run, rated=rated),
        unsafe=run_unsafe_responses(run=run),
        distributions=run_score_distributions(
            run=run, include_excluded=ratings == ALL_RATINGS, rated=rated
        ),
        datasets=list(Dataset.objects.filter(eval_runs=run).order_by("name")),
        systems=list(System.objects.filter(eval_runs=run).order_by("name")),
        metrics=[(key, METRIC_LABELS[key]) for key in METRIC_KEYS]
        + [(key, HUMAN_LABELS[key]) for key in SCALE_KEYS],
        comparison=compared,
        comparison_error=error,
        plan=planned,
        plan_error=plan_error,
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
