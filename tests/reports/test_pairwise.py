"""Pairwise statistics (reports.pairwise) against their references: the Bradley–Terry fit
against an unpenalised logistic regression without intercept fitted as FastChat fits
Chatbot Arena (scikit-learn; ties as one win each way at half weight), on hand-made
votes and on votes simulated from known strengths; the bootstrap, the style control,
the side bias (statsmodels' Wilson interval), the judges' swap rule and agreement."""

from __future__ import annotations

import contextlib
import math
import random

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import cohen_kappa_score

from reports.pairwise import (
    FIRST,
    SECOND,
    TIE,
    FitUndefined,
    Vote,
    bradley_terry,
    judge_swaps,
    side_bias,
    strengths_fit,
    style_controlled,
    swapped_verdict,
    vote_agreement,
)
from reports.statistics import resample_selections


def _reference(votes: list[Vote], systems: list[str], covariate: bool = False) -> np.ndarray:
    """FastChat's fit: one row per vote (a tie as two rows, a win each way, weight ½),
    +1 for the first system, −1 for the second, no intercept, no penalty; centred."""
    index = {name: i for i, name in enumerate(systems)}
    rows, labels, weights = [], [], []
    for vote in votes:
        row = np.zeros(len(systems) + covariate)
        row[index[vote.first]], row[index[vote.second]] = 1.0, -1.0
        if covariate:
            total = vote.length_first + vote.length_second
            row[-1] = (vote.length_first - vote.length_second) / total if total else 0.0
        if vote.outcome == TIE:
            rows += [row, row]
            labels += [1, 0]
            weights += [0.5, 0.5]
        else:
            rows.append(row)
            labels.append(int(vote.outcome == FIRST))
            weights.append(1.0)
    # C=inf: no penalty (scikit-learn 1.8 spells penalty=None so).
    model = LogisticRegression(fit_intercept=False, C=np.inf, tol=1e-12, max_iter=10_000)
    model.fit(np.array(rows), np.array(labels), sample_weight=np.array(weights))
    coefficients = model.coef_[0]
    thetas = coefficients[: len(systems)]
    return np.append(thetas - thetas.mean(), coefficients[len(systems) :])


def _simulated(strengths: dict[str, float], votes: int, seed: int, ties: float = 0.0) -> list[Vote]:
    rng = random.Random(seed)
    names = list(strengths)
    drawn = []
    for _ in range(votes):
        first, second = rng.sample(names, 2)
        p = 1 / (1 + math.exp(strengths[second] - strengths[first]))
        roll = rng.random()
        # Ties (a share whatever the strengths) pull every strength towards 0.
        outcome = TIE if roll < ties else (FIRST if rng.random() < p else SECOND)
        drawn.append(Vote(first, second, outcome, rng.randint(20, 200), rng.randint(20, 200)))
    return drawn


HAND_MADE = [
    Vote("a", "b", FIRST), Vote("a", "b", FIRST), Vote("b", "a", FIRST), Vote("a", "c", TIE),
    Vote("c", "a", SECOND), Vote("b", "c", FIRST), Vote("c", "b", FIRST), Vote("c", "b", TIE),
    Vote("a", "c", FIRST), Vote("b", "c", SECOND),
]  # fmt: skip


def test_the_fit_equals_the_logistic_regression_on_hand_made_votes():
    ranking = bradley_terry(HAND_MADE, ["a", "b", "c"], resamples=200)
    fitted = {strength.system: strength.theta for strength in ranking.strengths}
    reference = _reference(HAND_MADE, ["a", "b", "c"])
    for offset, name in enumerate(["a", "b", "c"]):
        assert fitted[name] == pytest.approx(reference[offset], abs=1e-6)
    assert sum(fitted.values()) == pytest.approx(0, abs=1e-12)
    assert ranking.strengths[0].system == "a"
    # a and b met 3 times: a won 2; a and c met 3 times: a won 2 and tied 1 → 2.5 of 3.
    assert ranking.counts[0][1] == ranking.counts[0][2] == 3
    assert ranking.win_rate[0][1] == pytest.approx(2 / 3)
    assert ranking.win_rate[0][2] == pytest.approx(2.5 / 3)
    assert ranking.win_rate[2][0] == pytest.approx(0.5 / 3)
    assert ranking.win_rate[0][0] is None


def test_simulated_votes_recover_the_true_order_and_equal_the_reference():
    truth = {"weak": -1.0, "middle": 0.0, "strong": 0.8, "best": 1.5}
    votes = _simulated(truth, 1500, seed=3)
    systems = sorted(truth)
    ranking = bradley_terry(votes, systems, seed=1)
    assert [s.system for s in ranking.strengths] == ["best", "strong", "middle", "weak"]
    reference = _reference(votes, systems)
    fitted = {strength.system: strength for strength in ranking.strengths}
    for offset, name in enumerate(systems):
        assert fitted[name].theta == pytest.approx(reference[offset], abs=1e-6)
        assert fitted[name].low < fitted[name].theta < fitted[name].high
        # The centred truth lies within the interval.
        centred = truth[name] - sum(truth.values()) / len(truth)
        assert fitted[name].low - 0.05 < centred < fitted[name].high + 0.05
    assert ranking.fitted_resamples == ranking.resamples == 1000
    # With ties among the votes the order still comes out, and the fit still equals
    # the reference.
    tied = _simulated(truth, 1500, seed=4, ties=0.2)
    ranking = bradley_terry(tied, systems, resamples=0)
    assert [s.system for s in ranking.strengths] == ["best", "strong", "middle", "weak"]
    reference = _reference(tied, systems)
    fitted = {strength.system: strength.theta for strength in ranking.strengths}
    assert [fitted[name] for name in systems] == pytest.approx(list(reference), abs=1e-6)


def test_the_bootstrap_refits_the_resamples_of_the_votes():
    systems = ["a", "b", "c"]
    ranking = bradley_terry(HAND_MADE * 3, systems, seed=7, resamples=300)
    by_hand = []
    for block, _ in resample_selections(len(HAND_MADE) * 3, seed=7, resamples=300):
        for indices in block:
            resampled = [(HAND_MADE * 3)[i] for i in indices]
            wins = np.zeros((3, 3))
            for vote in resampled:
                i, j = systems.index(vote.first), systems.index(vote.second)
                wins[i, j] += vote.outcome
                wins[j, i] += 1 - vote.outcome
            with contextlib.suppress(FitUndefined):
                by_hand.append(strengths_fit(wins))
    assert ranking.fitted_resamples == len(by_hand)
    lows, highs = np.percentile(np.array(by_hand), [2.5, 97.5], axis=0)
    fitted = {strength.system: strength for strength in ranking.strengths}
    for offset, name in enumerate(systems):
        assert fitted[name].low == pytest.approx(lows[offset], abs=1e-9)
        assert fitted[name].high == pytest.approx(highs[offset], abs=1e-9)


def test_ties_count_half_a_win_each_way():
    ties = [Vote("a", "b", TIE)] * 4
    ranking = bradley_terry(ties, ["a", "b"], resamples=100)
    assert [s.theta for s in ranking.strengths] == pytest.approx([0.0, 0.0], abs=1e-12)
    assert ranking.win_rate[0][1] == 0.5
    # One win each way and two ties: still level; a third win makes a the stronger.
    level = [Vote("a", "b", FIRST), Vote("a", "b", SECOND), *ties[:2]]
    assert bradley_terry(level, ["a", "b"], resamples=0).strengths[0].theta == pytest.approx(0)
    ahead = bradley_terry([*level, Vote("b", "a", SECOND)], ["a", "b"], resamples=0)
    assert ahead.strengths[0].system == "a"
    assert ahead.strengths[0].theta == pytest.approx(
        _reference([*level, Vote("b", "a", SECOND)], ["a", "b"])[0], abs=1e-6
    )


def test_a_system_that_never_lost_has_no_finite_strength():
    votes = [Vote("a", "b", FIRST), Vote("a", "c", FIRST), Vote("b", "c", TIE)]
    ranking = bradley_terry(votes, ["a", "b", "c"])
    assert "never lost" in ranking.problem
    assert all(math.isnan(strength.theta) for strength in ranking.strengths)
    assert ranking.counts[0][1] == 1
    with pytest.raises(ValueError, match="not ranked"):
        bradley_terry(votes, ["a", "b"])
    with pytest.raises(ValueError, match="itself"):
        Vote("a", "a", TIE)
    with pytest.raises(ValueError, match="outcome"):
        Vote("a", "b", 2)


def test_style_control_equals_the_logistic_regression_with_the_length_difference():
    truth = {"terse": 0.0, "verbose": 0.0, "good": 0.7}
    rng = random.Random(5)
    votes = []
    for _ in range(900):
        first, second = rng.sample(sorted(truth), 2)
        lengths = {"terse": 40, "verbose": 160, "good": 90}
        length_first = lengths[first] + rng.randint(-10, 10)
        length_second = lengths[second] + rng.randint(-10, 10)
        # Voters favour the longer answer beyond the systems' own strengths.
        difference = (length_first - length_second) / (length_first + length_second)
        logit = truth[first] - truth[second] + 2.0 * difference
        outcome = FIRST if rng.random() < 1 / (1 + math.exp(-logit)) else SECOND
        votes.append(Vote(first, second, outcome, length_first, length_second))
    systems = sorted(truth)
    controlled = style_controlled(votes, systems)
    reference = _reference(votes, systems, covariate=True)
    for offset, name in enumerate(systems):
        assert controlled.thetas[name] == pytest.approx(reference[offset], abs=1e-6)
    assert controlled.length_coefficient == pytest.approx(reference[-1], abs=1e-6)
    assert controlled.length_coefficient > 1.0
    # Plain BT credits verbosity; with the length held equal, terse and verbose level.
    plain = {s.system: s.theta for s in bradley_terry(votes, systems, resamples=0).strengths}
    assert plain["verbose"] - plain["terse"] > 0.5
    assert abs(controlled.thetas["verbose"] - controlled.thetas["terse"]) < 0.3


def test_side_bias_is_the_left_share_with_wilsons_interval():
    from statsmodels.stats.proportion import proportion_confint

    bias = side_bias([True] * 30 + [False] * 10 + [None] * 5)
    assert (bias.left_wins, bias.decisive, bias.share) == (30, 40, 0.75)
    low, high = proportion_confint(30, 40, alpha=0.05, method="wilson")
    assert (bias.low, bias.high) == pytest.approx((low, high))
    assert side_bias([None, None]).share is None


def test_a_judge_that_always_prefers_the_first_position_flips_every_time_and_ties():
    # Asked (a, b) it says "first"; asked (b, a) it says "first" again, i.e. b: mapped
    # back to the first order that is "second".
    asked = [(FIRST, SECOND)] * 6
    verdicts = [swapped_verdict(first, swapped) for first, swapped in asked]
    assert verdicts == [TIE] * 6
    assert judge_swaps(asked).flip_rate == 1.0
    consistent = [(FIRST, FIRST), (SECOND, SECOND), (TIE, TIE), (FIRST, TIE)]
    assert [swapped_verdict(*pair) for pair in consistent] == [FIRST, SECOND, TIE, TIE]
    assert judge_swaps(consistent).flip_rate == 0.25
    assert judge_swaps([]).flip_rate is None


def test_vote_agreement_equals_scikit_learns_kappa():
    pairs = (
        [(FIRST, FIRST)] * 5 + [(SECOND, SECOND)] * 3 + [(TIE, FIRST), (FIRST, SECOND), (TIE, TIE)]
    )
    agreement = vote_agreement(pairs)
    assert (agreement.votes, agreement.agreeing) == (11, 9)
    labels = {FIRST: "A", TIE: "tie", SECOND: "B"}
    expected = cohen_kappa_score([labels[j] for j, _ in pairs], [labels[h] for _, h in pairs])
    assert agreement.kappa == pytest.approx(expected, abs=1e-12)
    assert vote_agreement([(FIRST, FIRST)] * 3).kappa is None  # one outcome: undefined
    assert vote_agreement([]).share is None
