"""Fleiss' κ, Krippendorff's α (ordinal) and Gwet's AC1/AC2 of many bootstrap resamples at
once. No Django here.

A resample of items is given as how many times it takes each item (a row of
``selections``, resamples × items). Each coefficient is a sum over items of per-item
parts, so a whole block of resamples is one matrix product, not one library call per
resample. Every value equals what the reference computes on the same resample
(statsmodels' ``fleiss_kappa``, ``krippendorff.alpha``, ``reports.gwet.gwet_ac``): the
tests hold them equal resample by resample. NaN where the reference is undefined.
"""

from __future__ import annotations

import numpy as np


def _divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        result: np.ndarray = numerator / denominator
    return result


def fleiss_kappa_resampled(table: np.ndarray, selections: np.ndarray) -> np.ndarray:
    """κ (method "fleiss") of each resample of the rows of an items × categories table
    whose items all have the same number of ratings."""
    table = np.asarray(table, dtype=float)
    items = selections.sum(axis=1)
    raters = table.sum(axis=1).max()
    agreeing = ((table * table).sum(axis=1) - raters) / (raters * (raters - 1.0))
    chosen = selections @ table
    share = chosen / (items * raters)[:, None]
    expected = (share * share).sum(axis=1)
    observed = (selections @ agreeing) / items
    return _divide(observed - expected, 1 - expected)


def alpha_ordinal_resampled(value_counts: np.ndarray, selections: np.ndarray) -> np.ndarray:
    """Krippendorff's α, ordinal, of each resample of the units of a units × values table
    (how many coders gave each value of the ordered domain to each unit); NaN where a
    resample holds fewer than two distinct values (our caller's rule) or α is 0/0."""
    counts = np.asarray(value_counts, dtype=float)
    values = counts.shape[1]
    pairable = np.maximum(counts.sum(axis=1), 2)
    per_unit = (counts[:, :, None] * counts[:, None, :] - counts[:, :, None] * np.eye(values)) / (
        pairable - 1
    )[:, None, None]
    coincidences = (selections @ per_unit.reshape(len(counts), -1)).reshape(-1, values, values)
    marginals = coincidences.sum(axis=1)
    total = marginals.sum(axis=1)
    expected = (
        marginals[:, :, None] * marginals[:, None, :] - marginals[:, :, None] * np.eye(values)
    ) / (total - 1)[:, None, None]
    # Ordinal distance of values c ≤ k: (n_c + … + n_k − (n_c + n_k) / 2)².
    running = np.concatenate([np.zeros((len(marginals), 1)), marginals.cumsum(axis=1)], axis=1)
    low = np.minimum.outer(np.arange(values), np.arange(values))
    high = np.maximum.outer(np.arange(values), np.arange(values))
    between = running[:, high + 1] - running[:, low]
    distance = (between - (marginals[:, low] + marginals[:, high]) / 2) ** 2
    alpha = 1 - _divide(
        (coincidences * distance).sum(axis=(1, 2)), (expected * distance).sum(axis=(1, 2))
    )
    distinct = ((selections @ counts) > 0).sum(axis=1)
    return np.where(distinct >= 2, alpha, np.nan)


def gwet_resampled(counts: np.ndarray, weights: np.ndarray, selections: np.ndarray) -> np.ndarray:
    """Gwet's AC (AC1 with identity weights, AC2 with ordinal ones) of each resample of
    the rows of an items × categories count table; NaN where no item is rated twice."""
    counts = np.asarray(counts, dtype=float)
    categories = counts.shape[1]
    raters = counts.sum(axis=1)
    rated, paired = raters >= 1, raters >= 2
    credited = counts @ weights.T
    with np.errstate(divide="ignore", invalid="ignore"):
        pair_agreement = np.where(
            paired, (counts * (credited - 1)).sum(axis=1) / (raters * (raters - 1)), 0.0
        )
        prevalence_parts = np.where(rated[:, None], counts / raters[:, None], 0.0)
    observed = _divide(selections @ pair_agreement, selections @ paired.astype(float))
    prevalence = (selections @ prevalence_parts) / (selections @ rated.astype(float))[:, None]
    chance = (
        weights.sum()
        * (prevalence * (1 - prevalence)).sum(axis=1)
        / (categories * (categories - 1))
    )
    return _divide(observed - chance, 1 - chance)
