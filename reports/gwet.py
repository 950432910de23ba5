"""Gwet's AC1 (nominal) and AC2 (ordinal weights) for any number of raters per item, as
Gwet (2014) and the ``irrCAC`` package define them. They stay meaningful where one
category dominates (Safety is almost always 1), where κ collapses although raters agree:
their chance agreement is the propensity to agree on hard items, not the product of the
marginals. No Django here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

IDENTITY, ORDINAL = "identity", "ordinal"


@dataclass(frozen=True)
class GwetParts:
    value: float
    observed: float  # pa: weighted agreement of the pairs of raters of one item, 0..1
    chance: float  # pe


def gwet_weights(categories: int, kind: str) -> np.ndarray:
    """Identity weights (AC1), or Gwet's ordinal weights (AC2): 1 − C(d+1, 2)/C(q, 2)
    for categories d steps apart, so neighbours earn partial credit by rank alone."""
    if kind == IDENTITY:
        return np.eye(categories)
    if kind != ORDINAL:
        raise ValueError(f"unknown weights {kind!r} ({IDENTITY} or {ORDINAL})")
    ranks = np.arange(categories)
    steps = np.abs(ranks[:, None] - ranks[None, :])
    penalty = (steps + 1) * steps / 2
    weights: np.ndarray = 1 - penalty / penalty.max()
    return weights


def category_counts(items: Sequence[Mapping[str, int]], domain: Sequence[int]) -> np.ndarray:
    """items × categories: how many of each item's raters chose each category of
    ``domain`` (in its order). A score outside the domain is a caller's error."""
    column = {category: index for index, category in enumerate(domain)}
    counts = np.zeros((len(items), len(domain)))
    for row, scores in enumerate(items):
        for score in scores.values():
            if score not in column:
                raise ValueError(f"score {score} is not on the scale {list(domain)}")
            counts[row, column[score]] += 1
    return counts


def gwet_ac(counts: np.ndarray, weights: np.ndarray) -> GwetParts | None:
    """AC1 or AC2 (by ``weights``) of an items × categories count table. Items with one
    rating count towards the categories' prevalence, not towards agreement; None when no
    item has two ratings."""
    raters = counts.sum(axis=1)
    counts, raters = counts[raters >= 1], raters[raters >= 1]
    paired = raters >= 2
    if not paired.any():
        return None
    categories = counts.shape[1]
    # r*_ik: the ratings of item i that agree with category k, with partial credit.
    credited = counts @ weights.T
    pair_agreement = (counts * (credited - 1)).sum(axis=1)[paired] / (
        raters[paired] * (raters[paired] - 1)
    )
    observed = float(pair_agreement.mean())
    prevalence = (counts / raters[:, None]).mean(axis=0)
    chance = float(
        weights.sum() * (prevalence * (1 - prevalence)).sum() / (categories * (categories - 1))
    )
    return GwetParts(value=(observed - chance) / (1 - chance), observed=observed, chance=chance)
