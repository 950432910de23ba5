"""A plan for the next study from a run's own figures: the variance components of its
mixed model on one CEHS scale, its study's pay per item and currency, and the median
time its experts took per item (reports.planner does the simulating)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from annotation.rubric import SCALE_KEYS
from reports.models import EvalRun
from reports.planner import (
    DEFAULT_ITEMS,
    DEFAULT_RATERS,
    DEFAULT_TARGET,
    Plan,
    PlanRefused,
    Spread,
    study_plan,
)
from reports.selectors.differences import run_differences
from reports.selectors.ratings import RunRatings, human_ratings
from reports.selectors.table import AFTER_EXCLUSIONS


@dataclass(frozen=True)
class PlanRequest:
    dimension: str
    difference: float
    target: float = DEFAULT_TARGET
    items: Sequence[int] = DEFAULT_ITEMS
    raters: Sequence[int] = DEFAULT_RATERS
    pool: int | None = None
    spread: Spread | None = None  # stated SDs; None: the run's own
    systems: int | None = None  # None: the run's
    seed: int = 0


def _median_seconds(run: EvalRun) -> float | None:
    seconds = list(human_ratings(run).values_list("active_seconds", flat=True))
    return float(statistics.median(seconds)) if seconds else None


def run_plan(*, run: EvalRun, request: PlanRequest, rated: RunRatings | None = None) -> Plan:
    """The plan of `request` priced at `run`'s study, with its SDs unless stated."""
    if request.dimension not in SCALE_KEYS:
        raise PlanRefused(f"no CEHS scale {request.dimension!r}: one of {', '.join(SCALE_KEYS)}")
    spread, systems, source = request.spread, request.systems, "stated"
    if spread is None:
        tables = run_differences(run=run, ratings=AFTER_EXCLUSIONS, rated=rated)
        if not tables:
            raise PlanRefused(f"run {run.pk} has no human ratings to take the SDs from")
        # The first dataset's: a run's studies rate one dataset in all but rare cases.
        fit = next(fit for fit in tables[0].fits if fit.dimension == request.dimension)
        if fit.problem or fit.variance is None:
            raise PlanRefused(
                f"run {run.pk}'s {request.dimension} gives no variance components "
                f"({fit.problem}); state the SDs instead"
            )
        spread = Spread(*fit.variance.sds)
        systems = systems or len(fit.systems)
        source = (
            f"run {run.pk}'s mixed model on {tables[0].dataset} ({fit.ratings} ratings, "
            f"{fit.items} items, {fit.raters} raters)"
        )
    study = run.study
    return study_plan(
        dimension=request.dimension, difference=request.difference, spread=spread,
        systems=systems or run.systems.count(), target=request.target, items=request.items,
        raters=request.raters, pool=request.pool,
        pay_per_item=study.pay_per_item if study else None,
        currency=study.currency if study else "", seconds_per_item=_median_seconds(run),
        seed=request.seed, source=source,
    )  # fmt: skip


def stated_plan(
    *, request: PlanRequest, pay_per_item: Decimal | None = None, currency: str = "",
    seconds_per_item: float | None = None,
) -> Plan:  # fmt: skip
    """A plan from stated SDs alone, no run behind it."""
    if request.spread is None:
        raise PlanRefused("state the item, rater and residual SDs, or plan from a run")
    return study_plan(
        dimension=request.dimension, difference=request.difference, spread=request.spread,
        systems=request.systems or 2, target=request.target, items=request.items,
        raters=request.raters, pool=request.pool, pay_per_item=pay_per_item,
        currency=currency, seconds_per_item=seconds_per_item, seed=request.seed,
    )  # fmt: skip
