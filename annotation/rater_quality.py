"""How far a rater's ratings can be trusted (METRICS.md, "Rater quality"): time per item,
ratings faster than the study's threshold, straight-lining, gold accuracy, and
leave-one-out agreement with the other raters. Pure computation, no Django: the study
page, the dashboard and the exports all read it."""

from __future__ import annotations

import math
import warnings
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from statistics import median, quantiles

from scipy.stats import spearmanr

# Beyond these a rater is highlighted, with the reason named.
TOO_FAST_SHARE = 0.2  # more than a fifth of their ratings under the study's threshold
STRAIGHT_LINING_SHARE = 0.8  # the same four scores on more than 80% of their items
GOLD_ACCURACY_MINIMUM = 0.75  # of the scales on gold items that match the expected scores
AGREEMENT_MINIMUM = 0.2  # Spearman's ρ with the others' item means, over the dimensions
# Fewer items than this say too little about a habit to call it one.
ITEMS_TO_JUDGE = 5
# Leave-one-out ρ needs this many items shared with other raters.
SHARED_ITEMS_MINIMUM = 3


@dataclass(frozen=True)
class RatingFact:
    rater: str
    item: str
    active_seconds: int
    scores: tuple[int, ...]  # in the order of the dimensions asked for
    gold: bool = False
    gold_matches: int | None = None  # on a gold item: scales that matched the expected
    kept: bool = True  # not left out of the analysis (an exclusion)


@dataclass(frozen=True)
class Correlation:
    value: float | None
    items: int
    undefined: str = ""  # why there is no value, in words

    def describe(self) -> str:
        return self.undefined if self.value is None else f"{self.value:.2f} (n={self.items})"


@dataclass(frozen=True)
class RaterQuality:
    rater: str
    items: int
    median_seconds: float
    # Quartiles and extremes of the active seconds per item: (min, q1, median, q3, max).
    seconds_spread: tuple[float, float, float, float, float]
    too_fast: int
    too_fast_share: float
    straight_lining_share: float
    usual_scores: tuple[int, ...]
    gold_rated: int
    gold_accuracy: float | None
    agreement: dict[str, Correlation]
    flags: list[str] = field(default_factory=list)

    @property
    def flagged(self) -> bool:
        return bool(self.flags)


def _spread(seconds: Sequence[int]) -> tuple[float, float, float, float, float]:
    if len(seconds) == 1:
        only = float(seconds[0])
        return only, only, only, only, only
    first, middle, third = quantiles(seconds, n=4, method="inclusive")
    return float(min(seconds)), first, middle, third, float(max(seconds))


def _leave_one_out(
    own: dict[str, int], others: dict[str, list[int]], dimension: str
) -> Correlation:
    shared = sorted(item for item in own if others.get(item))
    if len(shared) < SHARED_ITEMS_MINIMUM:
        return Correlation(
            None, len(shared), f"undefined ({len(shared)} items shared with other raters)"
        )
    mine = [own[item] for item in shared]
    theirs = [sum(others[item]) / len(others[item]) for item in shared]
    if len(set(mine)) == 1:
        return Correlation(None, len(shared), f"undefined (every {dimension} score the same)")
    if len(set(theirs)) == 1:
        return Correlation(None, len(shared), "undefined (the others' means are all equal)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = float(spearmanr(mine, theirs).statistic)
    if math.isnan(value):
        return Correlation(None, len(shared), "undefined")
    return Correlation(value, len(shared))


def _flags(quality: RaterQuality, too_fast_seconds: int) -> list[str]:
    flags = []
    if quality.too_fast_share > TOO_FAST_SHARE:
        flags.append(
            f"{quality.too_fast_share:.0%} of ratings under {too_fast_seconds} s "
            f"(median {quality.median_seconds:g} s)"
        )
    if quality.items >= ITEMS_TO_JUDGE and quality.straight_lining_share > STRAIGHT_LINING_SHARE:
        usual = "/".join(str(score) for score in quality.usual_scores)
        flags.append(f"the same scores {usual} on {quality.straight_lining_share:.0%} of items")
    if quality.gold_accuracy is not None and quality.gold_accuracy < GOLD_ACCURACY_MINIMUM:
        flags.append(
            f"gold accuracy {quality.gold_accuracy:.0%} (of {quality.gold_rated} gold items)"
        )
    defined = {
        key: value.value for key, value in quality.agreement.items() if value.value is not None
    }
    if defined and sum(defined.values()) / len(defined) < AGREEMENT_MINIMUM:
        worst = ", ".join(f"{key} {value:.2f}" for key, value in defined.items())
        flags.append(f"little agreement with the other raters (ρ {worst})")
    return flags


def rater_quality(
    facts: Iterable[RatingFact], *, dimensions: Sequence[str], too_fast_seconds: int
) -> list[RaterQuality]:
    """Each rater's figures, in rater order. Their own figures count all their ratings;
    the others' item means, which leave-one-out agreement compares with, count only the
    ratings kept in the analysis, and never gold items."""
    facts = list(facts)
    by_rater: dict[str, list[RatingFact]] = defaultdict(list)
    # item → dimension → rater → score, of kept ordinary ratings
    kept: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for fact in facts:
        by_rater[fact.rater].append(fact)
        if fact.kept and not fact.gold:
            for dimension, score in zip(dimensions, fact.scores, strict=True):
                kept[fact.item][dimension][fact.rater] = score
    rows = []
    for rater in sorted(by_rater):
        own = by_rater[rater]
        seconds = [fact.active_seconds for fact in own]
        too_fast = sum(1 for value in seconds if value < too_fast_seconds)
        tuples = Counter(fact.scores for fact in own)
        usual, usual_count = tuples.most_common(1)[0]
        gold = [fact for fact in own if fact.gold and fact.gold_matches is not None]
        agreement = {}
        for index, dimension in enumerate(dimensions):
            mine = {fact.item: fact.scores[index] for fact in own if not fact.gold}
            others = {
                item: [score for other, score in kept[item][dimension].items() if other != rater]
                for item in mine
            }
            agreement[dimension] = _leave_one_out(mine, others, dimension)
        quality = RaterQuality(
            rater=rater,
            items=len(own),
            median_seconds=float(median(seconds)),
            seconds_spread=_spread(seconds),
            too_fast=too_fast,
            too_fast_share=too_fast / len(own),
            straight_lining_share=usual_count / len(own),
            usual_scores=usual,
            gold_rated=len(gold),
            gold_accuracy=(
                sum(fact.gold_matches or 0 for fact in gold) / (len(dimensions) * len(gold))
                if gold
                else None
            ),
            agreement=agreement,
        )
        rows.append(replace(quality, flags=_flags(quality, too_fast_seconds)))
    return rows
