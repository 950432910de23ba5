"""Two systems of a run compared on one metric: on an automatic metric by the paired
bootstrap over the samples both answered, Holm-corrected over every pair of the dataset's
scored systems; on a CEHS scale by the mixed model's difference (items and raters
modelled, Holm over the same table's pairs), with the observed means beside it."""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, replace

from annotation.rubric import SCALE_KEYS
from generation.models import Dataset, System
from reports.metrics import METRIC_KEYS, METRIC_LABELS
from reports.mixed_model import Difference, holm_corrected
from reports.models import EvalRun
from reports.selectors.automatic_cells import run_auto_values
from reports.selectors.differences import run_differences
from reports.selectors.ratings import RunRatings, run_ratings
from reports.selectors.table import AFTER_EXCLUSIONS, ALL_RATINGS
from reports.statistics import paired_bootstrap_p

BOOTSTRAP = "paired bootstrap over samples"
MIXED_MODEL = "mixed model, score ~ system + (1 | item) + (1 | rater)"


@dataclass(frozen=True)
class Comparison:
    dataset: str
    first: str
    second: str
    metric: str
    first_mean: float  # observed means over the samples both have
    second_mean: float
    samples: int
    p_value: float | None  # None: the test cannot be made (``problem`` says why)
    method: str = BOOTSTRAP
    p_holm: float | None = None
    pairs: int = 1  # the Holm family: every pair of the dataset's systems
    difference: float | None = None  # the model's first − second, with its 95% interval
    low: float | None = None
    high: float | None = None
    problem: str = ""


def _human_by_sample(
    rated: RunRatings, dataset: Dataset, system: System, key: str, include_excluded: bool
) -> dict[int, float]:
    offset = SCALE_KEYS.index(key)
    values: dict[int, list[int]] = defaultdict(list)
    for row in rated.view(include_excluded=include_excluded):
        if row.system_id == system.pk and row.dataset_id == dataset.pk:
            values[row.sample_id].append(row.scores[offset])
    return {sample_id: sum(v) / len(v) for sample_id, v in values.items()}


def _auto_by_sample(run: EvalRun, dataset: Dataset, metric: str) -> dict[int, dict[int, float]]:
    """System id → sample id → the metric ×100, for every scored system of the dataset."""
    offset = METRIC_KEYS.index(metric)
    scored: dict[int, dict[int, float]] = {}
    for (dataset_id, system_id), rows in run_auto_values(run).items():
        if dataset_id == dataset.pk:
            scored[system_id] = {row[0]: row[2 + offset] * 100 for row in rows}
    return scored


def _bootstrap_family(
    run: EvalRun, scored: dict[int, dict[int, float]], names: dict[int, str]
) -> list[Difference]:
    """Every pair of scored systems with shared samples, p by the paired bootstrap."""
    pairs = []
    for first, second in itertools.combinations(sorted(scored, key=lambda pk: names[pk]), 2):
        shared = sorted(scored[first].keys() & scored[second].keys())
        if not shared:
            continue
        a = [scored[first][key] for key in shared]
        b = [scored[second][key] for key in shared]
        p = paired_bootstrap_p(a, b, seed=run.seed)
        mean = (sum(a) - sum(b)) / len(shared)
        pairs.append(Difference(names[first], names[second], mean, mean, mean, p))
    return holm_corrected(pairs)


def _find(family: list[Difference], first: str, second: str) -> Difference | None:
    for difference in family:
        if (difference.first, difference.second) == (first, second):
            return difference
        if (difference.first, difference.second) == (second, first):
            return Difference(
                first, second, -difference.estimate, -difference.high, -difference.low,
                difference.p_value, difference.p_holm,
            )  # fmt: skip
    return None


def systems_compare(
    *,
    run: EvalRun,
    dataset: Dataset,
    first: System,
    second: System,
    metric: str,
    ratings: str = AFTER_EXCLUSIONS,
    rated: RunRatings | None = None,
) -> Comparison:
    """The two systems on `metric` over the samples both were scored (or rated, on the
    ratings of `ratings`) on; ValueError for a comparison that means nothing."""
    if metric in METRIC_KEYS:
        for system in (first, second):
            if system.kind == System.Kind.REFERENCE:
                raise ValueError(
                    f"{system.name} has no {METRIC_LABELS[metric]}: it is the reference itself"
                )
        scored = _auto_by_sample(run, dataset, metric)
        a, b = scored.get(first.pk, {}), scored.get(second.pk, {})
    elif metric in SCALE_KEYS:
        rated = rated if rated is not None else run_ratings(run=run)
        a, b = (
            _human_by_sample(rated, dataset, system, metric, ratings == ALL_RATINGS)
            for system in (first, second)
        )
    else:
        raise ValueError(f"unknown metric {metric!r}")
    shared = sorted(a.keys() & b.keys())
    if not shared:
        raise ValueError("the two systems share no scored sample")
    base = Comparison(
        dataset=dataset.name, first=first.name, second=second.name, metric=metric,
        first_mean=sum(a[key] for key in shared) / len(shared),
        second_mean=sum(b[key] for key in shared) / len(shared), samples=len(shared),
        p_value=None,
    )  # fmt: skip
    if metric in METRIC_KEYS:
        names = dict(System.objects.filter(pk__in=scored).values_list("pk", "name"))
        family = _bootstrap_family(run, scored, names)
        found = _find(family, first.name, second.name)
        if found is None:
            return replace(base, pairs=len(family), problem="no shared scored sample")
        return replace(base, p_value=found.p_value, p_holm=found.p_holm, pairs=len(family))
    return _human_comparison(base, run, dataset, ratings, rated)


def _human_comparison(
    base: Comparison, run: EvalRun, dataset: Dataset, ratings: str, rated: RunRatings | None
) -> Comparison:
    base = replace(base, method=MIXED_MODEL)
    tables = run_differences(run=run, ratings=ratings, rated=rated)
    table = next((table for table in tables if table.dataset == dataset.name), None)
    fit = None if table is None else next(f for f in table.fits if f.dimension == base.metric)
    if fit is None or fit.problem:
        return replace(base, problem=(fit.problem or "") if fit else "no ratings of this dataset")
    found = _find(list(fit.differences), base.first, base.second)
    if found is None:
        return replace(base, problem="the model holds only one of the two systems")
    return replace(
        base, p_value=found.p_value, p_holm=found.p_holm, pairs=len(fit.differences),
        difference=found.estimate, low=found.low, high=found.high,
    )  # fmt: skip
