"""The judge's validation against the experts equals scikit-learn and scipy on the same
hand-made data, and says when a figure cannot be computed."""

from __future__ import annotations

import itertools
import random
from statistics import fmean

import pytest
from scipy.stats import kendalltau, spearmanr
from sklearn.metrics import cohen_kappa_score, confusion_matrix

from reports.judge_validation import (
    ExpertScore,
    JudgeScore,
    dimension_validation,
    weighted_kappa,
)


def sklearn_kappa(first, second, maximum):
    return cohen_kappa_score(first, second, weights="quadratic", labels=list(range(maximum + 1)))


@pytest.mark.parametrize("seed", range(20))
def test_weighted_kappa_equals_scikit_learn(seed):
    draw = random.Random(seed)
    maximum = draw.choice([1, 2, 4])
    first = [draw.randint(0, maximum) for _ in range(draw.randint(4, 40))]
    second = [min(maximum, max(0, score + draw.choice([-1, 0, 0, 1]))) for score in first]
    if len(set(first)) == 1 and len(set(second)) == 1:
        pytest.skip("every score the same")
    assert weighted_kappa(first, second, maximum).value == pytest.approx(
        sklearn_kappa(first, second, maximum), abs=1e-12
    )


def test_kappa_is_undefined_when_nothing_varies_and_with_one_item():
    assert weighted_kappa([1, 1, 1], [1, 1, 1], 2).value is None
    assert "undefined" in weighted_kappa([1, 1, 1], [1, 1, 1], 2).undefined
    assert weighted_kappa([1], [2], 2).value is None


def world(seed: int, *, judge_noise: float):
    """Three experts and a judge scoring 4 systems × 6 answers on empathy (0–2): the
    experts near each item's truth, the judge near it with `judge_noise`."""
    draw = random.Random(seed)
    systems, experts, judge = {}, [], []
    for system, item_number in itertools.product(range(4), range(6)):
        item = f"s{system}-i{item_number}"
        systems[item] = f"system-{system}"
        truth = min(2, max(0, round(system / 1.5 + draw.gauss(0, 0.4))))
        for rater in ("r1", "r2", "r3"):
            noisy = min(2, max(0, truth + (draw.random() < 0.2) * draw.choice([-1, 1])))
            experts.append(ExpertScore(item, rater, "empathy", noisy))
        judged = min(2, max(0, truth + (draw.random() < judge_noise) * draw.choice([-1, 1])))
        judge.append(JudgeScore(item, "empathy", judged))
        judge.append(JudgeScore(item, "empathy", judged if draw.random() < 0.8 else 2 - judged, 2))
    return experts, judge, systems


def test_every_figure_equals_the_reference_libraries():
    experts, judge, systems = world(1, judge_noise=0.3)
    result = dimension_validation("empathy", 2, experts, judge, systems)
    first = {verdict.item: verdict.score for verdict in judge if verdict.judge_pass == 1}
    second = {verdict.item: verdict.score for verdict in judge if verdict.judge_pass == 2}
    by_rater = {}
    for score in experts:
        by_rater.setdefault(score.rater, {})[score.item] = score.score
    items = sorted(first)
    judge_expert = fmean(
        sklearn_kappa([first[i] for i in items], [ratings[i] for i in items], 2)
        for ratings in by_rater.values()
    )
    pairs = fmean(
        sklearn_kappa([a[i] for i in items], [b[i] for i in items], 2)
        for a, b in itertools.combinations(by_rater.values(), 2)
    )
    means = [fmean(ratings[i] for ratings in by_rater.values()) for i in items]
    judged = [first[i] for i in items]
    assert result.items == 24
    assert result.judge_expert_kappa.value == pytest.approx(judge_expert, abs=1e-12)
    assert result.judge_expert_kappa.n == 3
    assert result.expert_pair_kappa.value == pytest.approx(pairs, abs=1e-12)
    assert result.spearman.value == pytest.approx(spearmanr(judged, means).statistic, abs=1e-12)
    assert result.kendall.value == pytest.approx(kendalltau(judged, means).statistic, abs=1e-12)
    pooled_expert = [ratings[i] for ratings in by_rater.values() for i in items]
    pooled_judge = [first[i] for _ in by_rater for i in items]
    assert (
        result.confusion == confusion_matrix(pooled_expert, pooled_judge, labels=[0, 1, 2]).tolist()
    )
    assert result.mean_difference.value == pytest.approx(
        fmean(j - m for j, m in zip(judged, means, strict=True))
    )
    assert result.self_consistency.value == pytest.approx(
        sklearn_kappa([first[i] for i in items], [second[i] for i in items], 2), abs=1e-12
    )
    names = sorted(set(systems.values()))
    by_judge = [fmean(first[i] for i in items if systems[i] == name) for name in names]
    by_experts = [
        fmean(means[k] for k, i in enumerate(items) if systems[i] == name) for name in names
    ]
    assert result.ranking_tau.value == pytest.approx(kendalltau(by_judge, by_experts).statistic)
    assert result.ranking_tau.n == 4


def test_a_judge_that_disagrees_by_construction_is_called_so():
    experts, judge, systems = world(2, judge_noise=0.0)
    contrary = [JudgeScore(v.item, v.dimension, 2 - v.score, v.judge_pass) for v in judge]
    result = dimension_validation("empathy", 2, experts, contrary, systems)
    assert result.judge_expert_kappa.value < 0
    assert result.verdict == "judge agrees with experts less than experts agree with each other"
    faithful = dimension_validation("empathy", 2, experts, judge, systems)
    assert faithful.verdict.startswith("judge agrees with experts at least as well")


def test_no_verdict_where_the_experts_do_not_agree_beyond_chance():
    experts = [
        ExpertScore(item, rater, "safety", score)
        for item, scores in {"a": (1, 0), "b": (0, 1), "c": (1, 1), "d": (1, 0)}.items()
        for rater, score in zip(("r1", "r2"), scores, strict=True)
    ]
    judge = [
        JudgeScore(item, "safety", score) for item, score in zip("abcd", (1, 0, 1, 1), strict=True)
    ]
    result = dimension_validation("safety", 1, experts, judge, dict.fromkeys("abcd", "x"))
    assert result.expert_pair_kappa.value < 0
    assert result.verdict == "no verdict: the experts do not agree with each other beyond chance"


def test_what_cannot_be_computed_says_why():
    experts = [ExpertScore("a", "r1", "safety", 1), ExpertScore("b", "r1", "safety", 1)]
    judge = [JudgeScore("a", "safety", 1), JudgeScore("b", "safety", 1)]
    result = dimension_validation("safety", 1, experts, judge, {"a": "x", "b": "y"})
    assert result.judge_expert_kappa.value is None
    assert "undefined" in result.judge_expert_kappa.undefined
    assert result.expert_pair_kappa.value is None
    assert result.spearman.value is None
    assert result.self_consistency.undefined == "no second pass"
    assert result.ranking_tau.undefined == "fewer than three systems to rank"
    assert result.verdict.startswith("no verdict: ")
