"""How far to trust an LLM judge: its CEHS scores against the experts' on the items both
rated (METRICS.md, "LLM judges"). No Django here.

Per dimension: quadratic-weighted Cohen's κ between the judge and each expert (mean over
experts; statsmodels' cohens_kappa, equal to scikit-learn's) beside the same between
expert pairs, Spearman and Kendall of the judge's score with the experts' item mean
(scipy), the confusion matrix of expert score × judge score, the mean difference, the
self-consistency of two passes, and Kendall's τ between the systems' rankings by the
judge and by the experts. A figure the data cannot give is None with the reason.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from statistics import fmean
from typing import Any

import numpy as np
from scipy.stats import kendalltau, spearmanr
from statsmodels.stats.inter_rater import cohens_kappa


@dataclass(frozen=True)
class ExpertScore:
    item: str  # one system's response
    rater: str
    dimension: str
    score: int


@dataclass(frozen=True)
class JudgeScore:
    item: str
    dimension: str
    score: int
    judge_pass: int = 1


@dataclass(frozen=True)
class Figure:
    value: float | None
    n: int  # items, pairs or systems it was computed on
    undefined: str = ""  # why value is None


@dataclass(frozen=True)
class DimensionValidation:
    dimension: str
    items: int  # rated by the experts and judged
    judge_expert_kappa: Figure  # mean over experts
    expert_pair_kappa: Figure  # mean over expert pairs
    spearman: Figure
    kendall: Figure
    confusion: list[list[int]]  # rows: expert score 0..maximum; columns: judge score
    mean_difference: Figure  # judge − experts' item mean
    self_consistency: Figure  # κ between pass 1 and pass 2
    ranking_tau: Figure  # systems ranked by judge vs by experts
    verdict: str

    @property
    def figures(self) -> tuple[Figure, ...]:
        """In the order tables show them."""
        return (
            self.judge_expert_kappa, self.expert_pair_kappa, self.spearman, self.kendall,
            self.mean_difference, self.self_consistency, self.ranking_tau,
        )  # fmt: skip


def weighted_kappa(first: Sequence[int], second: Sequence[int], maximum: int) -> Figure:
    """Quadratic-weighted Cohen's κ of two raters' scores of the same items, 0..maximum."""
    if len(first) < 2:
        return Figure(None, len(first), "fewer than two items rated by both")
    table = np.zeros((maximum + 1, maximum + 1))
    for a, b in zip(first, second, strict=True):
        table[a, b] += 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        kappa = float(cohens_kappa(table, wt="quadratic").kappa)
    if not math.isfinite(kappa):
        return Figure(None, len(first), "every score the same: κ is undefined")
    return Figure(kappa, len(first))


def _correlation(
    function: Callable[[list[float], list[float]], Any], first: list[float], second: list[float]
) -> Figure:
    if len(first) < 3:
        return Figure(None, len(first), "fewer than three items")
    if len(set(first)) < 2 or len(set(second)) < 2:
        return Figure(None, len(first), "one side gives every item the same score")
    return Figure(float(function(first, second).statistic), len(first))


def _mean_of(figures: list[Figure], what: str) -> Figure:
    defined = [figure.value for figure in figures if figure.value is not None]
    if not defined:
        reasons = sorted({figure.undefined for figure in figures if figure.undefined})
        return Figure(None, 0, "; ".join(reasons) or f"no {what}")
    return Figure(fmean(defined), len(defined))


def _pairwise_kappa(scores: Mapping[str, Mapping[str, int]], maximum: int) -> Figure:
    """Mean κ over rater pairs, each on the items both rated; `scores` is rater → item →
    score."""
    figures = []
    for first, second in itertools.combinations(sorted(scores), 2):
        shared = sorted(set(scores[first]) & set(scores[second]))
        if shared:
            figures.append(
                weighted_kappa(
                    [scores[first][item] for item in shared],
                    [scores[second][item] for item in shared],
                    maximum,
                )
            )
    return _mean_of(figures, "pair of raters who rated the same items")


def _verdict(judge: Figure, experts: Figure) -> str:
    if judge.value is None or experts.value is None:
        return "no verdict: " + (judge.undefined or experts.undefined)
    if experts.value <= 0:
        # Nothing to measure the judge against (on a skewed scale such as Safety, the
        # kappa paradox: read the agreement table's AC1 there).
        return "no verdict: the experts do not agree with each other beyond chance"
    if judge.value < experts.value:
        return "judge agrees with experts less than experts agree with each other"
    return "judge agrees with experts at least as well as experts agree with each other"


def dimension_validation(
    dimension: str,
    maximum: int,
    experts: Sequence[ExpertScore],
    judge: Sequence[JudgeScore],
    systems: Mapping[str, str],
) -> DimensionValidation:
    """`systems` maps each item to the system that answered it (for the ranking)."""
    by_rater: dict[str, dict[str, int]] = defaultdict(dict)
    for rated in experts:
        if rated.dimension == dimension:
            by_rater[rated.rater][rated.item] = rated.score
    passes: dict[int, dict[str, int]] = defaultdict(dict)
    for verdict in judge:
        if verdict.dimension == dimension:
            passes[verdict.judge_pass][verdict.item] = verdict.score
    first_pass = passes.get(1, {})
    item_scores: dict[str, list[int]] = defaultdict(list)
    for ratings in by_rater.values():
        for item, score in ratings.items():
            item_scores[item].append(score)
    items = sorted(set(item_scores) & set(first_pass))
    expert_mean = {item: fmean(item_scores[item]) for item in items}
    judged = [float(first_pass[item]) for item in items]
    means = [expert_mean[item] for item in items]

    judge_expert = _mean_of(
        [
            _pairwise_kappa({"judge": first_pass, rater: ratings}, maximum)
            for rater, ratings in sorted(by_rater.items())
        ],
        "expert who rated a judged item",
    )
    expert_pairs = _pairwise_kappa(by_rater, maximum)
    confusion = [[0] * (maximum + 1) for _ in range(maximum + 1)]
    for ratings in by_rater.values():
        for item, score in ratings.items():
            if item in first_pass:
                confusion[score][first_pass[item]] += 1
    second = passes.get(2, {})
    repeated = sorted(set(first_pass) & set(second))
    self_consistency = (
        weighted_kappa([first_pass[i] for i in repeated], [second[i] for i in repeated], maximum)
        if repeated
        else Figure(None, 0, "no second pass")
    )
    return DimensionValidation(
        dimension=dimension,
        items=len(items),
        judge_expert_kappa=judge_expert,
        expert_pair_kappa=expert_pairs,
        spearman=_correlation(spearmanr, judged, means),
        kendall=_correlation(kendalltau, judged, means),
        confusion=confusion,
        mean_difference=Figure(fmean(a - b for a, b in zip(judged, means, strict=True)), len(items))
        if items
        else Figure(None, 0, "no item both judged and rated"),
        self_consistency=self_consistency,
        ranking_tau=_ranking_tau(items, first_pass, expert_mean, systems),
        verdict=_verdict(judge_expert, expert_pairs),
    )


def _ranking_tau(
    items: list[str],
    judged: Mapping[str, int],
    expert_mean: Mapping[str, float],
    systems: Mapping[str, str],
) -> Figure:
    by_system: dict[str, list[str]] = defaultdict(list)
    for item in items:
        by_system[systems[item]].append(item)
    names = sorted(by_system)
    if len(names) < 3:
        return Figure(None, len(names), "fewer than three systems to rank")
    judge_means = [fmean(judged[item] for item in by_system[name]) for name in names]
    expert_means = [fmean(expert_mean[item] for item in by_system[name]) for name in names]
    return _correlation(kendalltau, judge_means, expert_means)
