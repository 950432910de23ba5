"""The coefficients of all bootstrap resamples at once equal the libraries', computed one
resample at a time on the same resample indices."""

from __future__ import annotations

import warnings

import krippendorff
import numpy as np
import pytest
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

from reports.gwet import IDENTITY, ORDINAL, category_counts, gwet_ac, gwet_weights
from reports.resampled_agreement import (
    alpha_ordinal_resampled,
    fleiss_kappa_resampled,
    gwet_resampled,
)
from reports.statistics import bootstrap_batched, bootstrap_statistic, resample_selections

DOMAIN = [0, 1, 2]


def ratings(items: int, raters: int, seed: int, *, skew: float = 0.0) -> np.ndarray:
    """items × raters scores that agree more than chance; with ``skew``, that share of
    the items unanimous on 2, so that some resamples hold one score only (undefined)."""
    rng = np.random.default_rng(seed)
    truth = rng.choice(DOMAIN, size=items, p=[0.2, 0.3, 0.5])
    noise = rng.choice([-1, 0, 0, 0, 1], size=(items, raters))
    scores = np.clip(truth[:, None] + noise, 0, 2)
    scores[: round(skew * items)] = 2
    return scores


def resamples(rows: int, seed: int = 3, count: int = 200):
    blocks = list(resample_selections(rows, seed=seed, resamples=count))
    return np.concatenate([b for b, _ in blocks]), np.concatenate([t for _, t in blocks])


def quiet(compute):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            return float(compute())
        except (ValueError, ZeroDivisionError):
            return np.nan


@pytest.mark.parametrize(("items", "skew"), [(30, 0.0), (12, 0.5), (4, 0.75)])
def test_fleiss_kappa_of_every_resample_equals_statsmodels(items, skew):
    table, _ = aggregate_raters(ratings(items, 3, seed=items, skew=skew), n_cat=3)
    indices, taken = resamples(len(table))
    batched = fleiss_kappa_resampled(table, taken)
    expected = [
        quiet(lambda rows=rows: fleiss_kappa(table[rows], method="fleiss")) for rows in indices
    ]
    np.testing.assert_allclose(batched, expected, rtol=0, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize(("items", "skew"), [(30, 0.0), (12, 0.5), (4, 0.75)])
def test_ordinal_alpha_of_every_resample_equals_krippendorff(items, skew):
    scores = ratings(items, 4, seed=items + 1, skew=skew).astype(float)
    # Not every rater rates every item: α takes what there is.
    scores[np.random.default_rng(items).random(scores.shape) < 0.2] = np.nan
    scores[:, :2] = np.where(np.isnan(scores[:, :2]), 1, scores[:, :2])  # two at least
    data = scores.T  # raters × units, as krippendorff takes it
    per_unit = category_counts(
        [{str(r): int(s) for r, s in enumerate(row) if not np.isnan(s)} for row in scores], DOMAIN
    )
    indices, taken = resamples(items)
    batched = alpha_ordinal_resampled(per_unit, taken)

    def reference(columns):
        chosen = data[:, columns]
        if len(np.unique(chosen[~np.isnan(chosen)])) < 2:
            return np.nan
        return krippendorff.alpha(
            reliability_data=chosen, level_of_measurement="ordinal", value_domain=DOMAIN
        )

    expected = [quiet(lambda columns=columns: reference(columns)) for columns in indices]
    np.testing.assert_allclose(batched, expected, rtol=0, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("kind", [IDENTITY, ORDINAL])
@pytest.mark.parametrize(("items", "skew"), [(30, 0.0), (5, 0.8)])
def test_gwet_ac_of_every_resample_equals_the_one_at_a_time_value(kind, items, skew):
    scores = ratings(items, 3, seed=items + 2, skew=skew)
    # One item rated once: it counts towards prevalence only.
    items_scores = [{str(r): int(s) for r, s in enumerate(row)} for row in scores]
    items_scores[0] = {"0": int(scores[0, 0])}
    counts = category_counts(items_scores, DOMAIN)
    weights = gwet_weights(3, kind)
    indices, taken = resamples(items)
    batched = gwet_resampled(counts, weights, taken)
    expected = []
    for rows in indices:
        parts = gwet_ac(counts[rows], weights)
        expected.append(np.nan if parts is None else parts.value)
    np.testing.assert_allclose(batched, expected, rtol=0, atol=1e-12, equal_nan=True)


def test_the_batched_bootstrap_draws_the_same_resamples_as_the_one_at_a_time_one():
    values = np.random.default_rng(0).normal(size=57)
    one_at_a_time = bootstrap_statistic(len(values), lambda rows: values[rows].mean(), seed=9)
    batched = bootstrap_batched(
        len(values), lambda taken: taken @ values / taken.sum(axis=1), seed=9
    )
    assert batched == pytest.approx(one_at_a_time, abs=1e-12)
