"""Inter-rater agreement: Fleiss' κ (statsmodels), Krippendorff's α ordinal (the
``krippendorff`` package), Gwet's AC1 and AC2 (reports.gwet, equal to ``irrCAC``), seeded
bootstrap intervals over items (all resamples at once, reports.resampled_agreement, equal
to the libraries resample by resample), Landis & Koch bands, and per-rater agreement.
No Django here: the dashboard, the report command and ``manage.py agreement`` all call
this."""

from __future__ import annotations

import warnings
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import krippendorff
import numpy as np
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

from reports.gwet import IDENTITY, ORDINAL, category_counts, gwet_ac, gwet_weights
from reports.resampled_agreement import (
    alpha_ordinal_resampled,
    fleiss_kappa_resampled,
    gwet_resampled,
)
from reports.statistics import RESAMPLES, bootstrap_batched

UNDEFINED_ALL_EQUAL = "undefined (all ratings equal)"

# Landis & Koch (1977), upper bounds inclusive.
_BANDS = (
    (0.0, "poor"),
    (0.20, "slight"),
    (0.40, "fair"),
    (0.60, "moderate"),
    (0.80, "substantial"),
    (1.00, "almost perfect"),
)


@dataclass(frozen=True)
class ScoreRecord:
    item: str
    rater: str
    dimension: str
    score: int


@dataclass(frozen=True)
class Coefficient:
    """κ or α: a value with its interval and band, or undefined with the reason."""

    value: float | None
    low: float | None
    high: float | None
    band: str | None
    undefined: str | None = None

    def describe(self) -> str:
        if self.value is None:
            return self.undefined or "undefined"
        interval = "" if self.low is None else f" [{self.low:.3f}, {self.high:.3f}]"
        return f"{self.value:.3f}{interval} {self.band}"


@dataclass(frozen=True)
class DimensionAgreement:
    dimension: str
    ratings: int
    items: int  # items with two or more ratings
    kappa_items: int  # items rated by exactly `raters` raters, the ones κ uses
    raters: int
    percent_agreement: float | None  # mean pairwise agreement over κ's items, 0..100
    kappa: Coefficient
    alpha: Coefficient
    # Gwet's, over every rated item (one rating counts towards prevalence only).
    ac1: Coefficient
    ac2: Coefficient  # ordinal weights; equal to AC1 on a two-point scale
    observed_agreement: float | None  # AC1's pa: pairs of raters of an item agreeing, 0..100
    majority_category: int | None  # the most chosen score, and its share of ratings (0..100)
    majority_prevalence: float | None

    @property
    def gwet(self) -> tuple[Coefficient, Coefficient]:
        return (self.ac1, self.ac2)


@dataclass(frozen=True)
class RaterAgreement:
    rater: str
    items: int  # items this rater shares with at least one other rater
    mean_absolute_difference: float | None  # |own score − others' mean|, over dimensions
    exact_agreement: float | None  # share of scores equal to the others' rounded mean, 0..100


def landis_koch_band(value: float) -> str:
    for upper, name in _BANDS:
        if value <= upper:
            return name
    return _BANDS[-1][1]


def _defined(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def _fleiss(table: np.ndarray) -> float:
    with warnings.catch_warnings():
        # statsmodels divides 0/0 when every rating is one category; we report that case.
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(fleiss_kappa(table, method="fleiss"))


def _alpha(data: np.ndarray, domain: Sequence[int]) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(
            krippendorff.alpha(
                reliability_data=data, level_of_measurement="ordinal", value_domain=domain
            )
        )


def _coefficient(value: float | None, interval: tuple[float, float] | None) -> Coefficient:
    if value is None:
        return Coefficient(None, None, None, None, undefined="undefined")
    low, high = interval if interval else (None, None)
    return Coefficient(value, low, high, landis_koch_band(value))


def dimension_agreement(
    records: Sequence[ScoreRecord],
    *,
    dimension: str,
    domain: Sequence[int],
    seed: int = 0,
    resamples: int = RESAMPLES,
) -> DimensionAgreement:
    """κ and α of one dimension. κ needs a fixed number of raters per item: it uses the
    items rated by the most common number of raters (two or more); α takes every item."""
    by_item: dict[str, dict[str, int]] = defaultdict(dict)
    for record in records:
        if record.dimension == dimension:
            by_item[record.item][record.rater] = record.score
    ratings = sum(len(scores) for scores in by_item.values())
    shared = {item: scores for item, scores in by_item.items() if len(scores) >= 2}
    counts = Counter(len(scores) for scores in shared.values())
    raters = max(counts, key=lambda count: (counts[count], count)) if counts else 0
    kappa_rows = [list(scores.values()) for scores in shared.values() if len(scores) == raters]
    all_scores = {score for scores in shared.values() for score in scores.values()}
    all_equal = len(all_scores) == 1

    percent = None
    kappa = _coefficient(None, None)
    if kappa_rows:
        table, _ = aggregate_raters(np.asarray(kappa_rows), n_cat=None)
        pairs = raters * (raters - 1)
        percent = float(((table * (table - 1)).sum(axis=1) / pairs).mean() * 100)
        if all_equal:
            kappa = Coefficient(None, None, None, None, undefined=UNDEFINED_ALL_EQUAL)
        else:
            value = _defined(_fleiss(table))
            interval = bootstrap_batched(
                len(table),
                lambda taken: fleiss_kappa_resampled(table, taken),
                seed=seed,
                resamples=resamples,
            )
            kappa = _coefficient(value, interval)

    alpha = _coefficient(None, None)
    if shared:
        rater_ids = sorted({rater for scores in shared.values() for rater in scores})
        row_of = {rater: index for index, rater in enumerate(rater_ids)}
        data = np.full((len(rater_ids), len(shared)), np.nan)
        for column, scores in enumerate(shared.values()):
            for rater, score in scores.items():
                data[row_of[rater], column] = score
        if all_equal:
            alpha = Coefficient(None, None, None, None, undefined=UNDEFINED_ALL_EQUAL)
        else:
            value = _defined(_alpha(data, domain))
            per_unit = category_counts(list(shared.values()), domain)
            interval = bootstrap_batched(
                data.shape[1],
                lambda taken: alpha_ordinal_resampled(per_unit, taken),
                seed=seed,
                resamples=resamples,
            )
            alpha = _coefficient(value, interval)

    per_category = category_counts(list(by_item.values()), domain)
    ac1, observed = _gwet(per_category, IDENTITY, seed=seed, resamples=resamples)
    ac2, _ = _gwet(per_category, ORDINAL, seed=seed, resamples=resamples)
    totals = per_category.sum(axis=0)
    majority = int(totals.argmax()) if ratings else None
    return DimensionAgreement(
        dimension=dimension,
        ratings=ratings,
        items=len(shared),
        kappa_items=len(kappa_rows),
        raters=raters,
        percent_agreement=percent,
        kappa=kappa,
        alpha=alpha,
        ac1=ac1,
        ac2=ac2,
        observed_agreement=None if observed is None else observed * 100,
        majority_category=None if majority is None else domain[majority],
        majority_prevalence=None if majority is None else float(totals[majority] / ratings * 100),
    )


def _gwet(
    counts: np.ndarray, kind: str, *, seed: int, resamples: int
) -> tuple[Coefficient, float | None]:
    """AC1 or AC2 with its bootstrap interval over items, and its observed agreement."""
    weights = gwet_weights(counts.shape[1], kind)
    parts = gwet_ac(counts, weights)
    if parts is None:
        return Coefficient(
            None, None, None, None, undefined="undefined (no item rated twice)"
        ), None

    interval = bootstrap_batched(
        len(counts),
        lambda taken: gwet_resampled(counts, weights, taken),
        seed=seed,
        resamples=resamples,
    )
    return _coefficient(parts.value, interval), parts.observed


def agreement_table(
    records: Sequence[ScoreRecord],
    *,
    domains: Mapping[str, Sequence[int]],
    seed: int = 0,
    resamples: int = RESAMPLES,
) -> list[DimensionAgreement]:
    """One row per dimension of ``domains``, in its order."""
    return [
        dimension_agreement(
            records, dimension=dimension, domain=domain, seed=seed, resamples=resamples
        )
        for dimension, domain in domains.items()
    ]


def rater_agreement(records: Iterable[ScoreRecord]) -> list[RaterAgreement]:
    """Each rater against the mean of the other raters of the same item and dimension."""
    cells: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for record in records:
        cells[(record.item, record.dimension)][record.rater] = record.score
    differences: dict[str, list[float]] = defaultdict(list)
    exact: dict[str, list[bool]] = defaultdict(list)
    shared_items: dict[str, set[str]] = defaultdict(set)
    raters: set[str] = set()
    for (item, _dimension), scores in cells.items():
        raters.update(scores)
        if len(scores) < 2:
            continue
        total = sum(scores.values())
        for rater, score in scores.items():
            others = (total - score) / (len(scores) - 1)
            differences[rater].append(abs(score - others))
            # Round half up, so 1.5 counts as 2 for everyone alike.
            exact[rater].append(score == int(others + 0.5))
            shared_items[rater].add(item)
    rows = []
    for rater in sorted(raters):
        diffs = differences.get(rater)
        rows.append(
            RaterAgreement(
                rater=rater,
                items=len(shared_items.get(rater, ())),
                mean_absolute_difference=float(np.mean(diffs)) if diffs else None,
                exact_agreement=float(np.mean(exact[rater]) * 100) if diffs else None,
            )
        )
    return rows
