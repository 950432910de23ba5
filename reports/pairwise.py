"""Pairwise comparisons (METRICS.md, "Pairwise comparisons"): a Bradley–Terry ranking of
systems from blind votes, with seeded bootstrap intervals over the votes, the win-rate
matrix, a fit with the length difference as a covariate, the side bias, and the swap
rule and agreement figures of pairwise judges. No Django here.

A vote is one comparison of two systems' answers to one context: the first system won
(1), the second won (0), or neither (a tie or "both bad": ½, half a win each way). The
model: P(i beats j) = σ(θᵢ − θⱼ), fitted by maximum likelihood (Newton's method on the
aggregated wins), θ centred to sum 0, so a strength reads as log-odds against the
average system. The fit is the one an unpenalised logistic regression without
intercept gives (as FastChat fits Chatbot Arena), which the tests hold it to."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from statsmodels.stats.inter_rater import cohens_kappa
from statsmodels.stats.proportion import proportion_confint

from reports.statistics import CONFIDENCE, RESAMPLES, resample_selections

FIRST, TIE, SECOND = 1.0, 0.5, 0.0
OUTCOMES = (FIRST, TIE, SECOND)
_NEWTON_STEPS = 100
_TOLERANCE = 1e-12


@dataclass(frozen=True)
class Vote:
    first: str  # the system on one side
    second: str  # the system on the other
    outcome: float  # FIRST, TIE or SECOND
    length_first: int = 0  # characters of each side's answer (for the style control)
    length_second: int = 0

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome {self.outcome!r}: 1 (first), 0.5 (tie) or 0 (second)")
        if self.first == self.second:
            raise ValueError(f"{self.first} against itself is no comparison")


class FitUndefined(ValueError):
    """No finite maximum-likelihood fit: some system's strength runs to ±∞."""


def _design(votes: Sequence[Vote], systems: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    index = {name: position for position, name in enumerate(systems)}
    unknown = {name for vote in votes for name in (vote.first, vote.second)} - set(index)
    if unknown:
        raise ValueError(f"votes name systems not ranked: {', '.join(sorted(unknown))}")
    pairs = np.array([(index[vote.first], index[vote.second]) for vote in votes], dtype=np.int64)
    outcomes = np.array([vote.outcome for vote in votes], dtype=float)
    return pairs.reshape(-1, 2), outcomes


def _wins_per_vote(pairs: np.ndarray, outcomes: np.ndarray, k: int) -> np.ndarray:
    """votes × (k·k): how much of a win each vote gives row i over column j."""
    wins = np.zeros((len(pairs), k * k))
    rows = np.arange(len(pairs))
    wins[rows, pairs[:, 0] * k + pairs[:, 1]] = outcomes
    wins[rows, pairs[:, 1] * k + pairs[:, 0]] = 1.0 - outcomes
    return wins


def _connected_both_ways(wins: np.ndarray) -> bool:
    """Every system beat, and lost to, every other through some chain of wins: the
    condition (Zermelo's) for a finite maximum-likelihood fit."""
    k = len(wins)
    reach = (wins > 0) | np.eye(k, dtype=bool)
    for _ in range(max(1, math.ceil(math.log2(max(k, 2))))):
        reach = reach | ((reach.astype(int) @ reach.astype(int)) > 0)
    return bool(reach.all())


def strengths_fit(wins: np.ndarray) -> np.ndarray:
    """θ (centred) from the k × k matrix of wins (row over column, ties as halves), by
    Newton's method. Raises FitUndefined where no finite fit exists."""
    k = len(wins)
    if not _connected_both_ways(wins):
        raise FitUndefined(
            "a system never lost (or never won) against the rest, so its strength is "
            "unbounded; more votes are needed"
        )
    games = wins + wins.T
    # θ is identified up to a shift: solve on the first k−1 with θ_k = −Σ others.
    basis = np.vstack([np.eye(k - 1), -np.ones(k - 1)])
    theta = np.zeros(k)
    for _ in range(_NEWTON_STEPS):
        p = 1.0 / (1.0 + np.exp(theta[None, :] - theta[:, None]))  # P(row beats column)
        gradient = (wins - games * p).sum(axis=1)
        weight = games * p * (1.0 - p)
        hessian = np.diag(weight.sum(axis=1)) - weight
        step = basis @ np.linalg.solve(basis.T @ hessian @ basis, basis.T @ gradient)
        theta = theta + step
        theta -= theta.mean()
        if np.abs(step).max() < _TOLERANCE:
            break
    return theta


@dataclass(frozen=True)
class Strength:
    system: str
    theta: float  # log-odds against the average system
    low: float  # 95% bootstrap interval (NaN where fewer than half the resamples fit)
    high: float
    votes: int  # votes this system took part in

    @property
    def has_interval(self) -> bool:
        return not (math.isnan(self.low) or math.isnan(self.high))


@dataclass(frozen=True)
class Ranking:
    strengths: list[Strength]  # strongest first
    votes: int
    resamples: int  # bootstrap resamples drawn
    fitted_resamples: int  # of which had a finite fit
    win_rate: list[list[float | None]]  # [i][j]: share of i's votes against j it won
    counts: list[list[int]]  # [i][j]: votes between i and j
    systems: list[str]  # the order of the matrices' rows and columns
    problem: str = ""  # why there is no fit, or ""


def bradley_terry(
    votes: Sequence[Vote], systems: Sequence[str], *, seed: int = 0, resamples: int = RESAMPLES
) -> Ranking:
    """The Bradley–Terry ranking of ``systems`` from ``votes``, with 95% percentile
    intervals over ``resamples`` bootstrap resamples of the votes (seeded: the
    resamples reports.statistics.resample_selections draws)."""
    systems = list(systems)
    k = len(systems)
    if k < 2:
        raise ValueError("a ranking needs at least two systems")
    pairs, outcomes = _design(votes, systems)
    per_vote = _wins_per_vote(pairs, outcomes, k)
    wins = per_vote.sum(axis=0).reshape(k, k)
    counts = np.zeros((k, k), dtype=int)
    for first, second in pairs:
        counts[first, second] += 1
        counts[second, first] += 1
    win_rate = [
        [float(wins[i, j] / counts[i, j]) if counts[i, j] else None for j in range(k)]
        for i in range(k)
    ]
    taking = [int(counts[i].sum()) for i in range(k)]
    try:
        theta = strengths_fit(wins)
    except FitUndefined as error:
        return Ranking(
            strengths=[
                Strength(name, math.nan, math.nan, math.nan, taking[i])
                for i, name in enumerate(systems)
            ],
            votes=len(votes), resamples=0, fitted_resamples=0, win_rate=win_rate,
            counts=counts.tolist(), systems=systems, problem=str(error),
        )  # fmt: skip
    draws = []
    if len(votes):
        for _, taken in resample_selections(len(votes), seed=seed, resamples=resamples):
            for resampled in taken @ per_vote:
                try:
                    draws.append(strengths_fit(resampled.reshape(k, k)))
                except FitUndefined:
                    continue
    tail = (1 - CONFIDENCE) / 2 * 100
    if draws and len(draws) >= resamples / 2:
        lows, highs = np.percentile(np.array(draws), [tail, 100 - tail], axis=0)
    else:
        lows = highs = np.full(k, math.nan)
    strengths = [
        Strength(name, float(theta[i]), float(lows[i]), float(highs[i]), taking[i])
        for i, name in enumerate(systems)
    ]
    strengths.sort(key=lambda strength: -strength.theta)
    return Ranking(
        strengths=strengths, votes=len(votes), resamples=resamples,
        fitted_resamples=len(draws), win_rate=win_rate, counts=counts.tolist(),
        systems=systems,
    )  # fmt: skip


@dataclass(frozen=True)
class StyleControlled:
    thetas: dict[str, float]  # each system's strength with the length held equal
    length_coefficient: float  # log-odds per unit of the normalised length difference


def style_controlled(votes: Sequence[Vote], systems: Sequence[str]) -> StyleControlled:
    """Bradley–Terry with the normalised length difference (a − b) / (a + b) of each
    vote's two answers as a covariate, as Chatbot Arena's style control adds it: the
    logistic regression of the outcome on (e_first − e_second, length difference)
    without intercept, ties as half a win each way; θ centred."""
    systems = list(systems)
    k = len(systems)
    pairs, outcomes = _design(votes, systems)
    lengths = np.array([(v.length_first, v.length_second) for v in votes], dtype=float)
    total = lengths.sum(axis=1)
    difference = np.divide(
        lengths[:, 0] - lengths[:, 1], total, out=np.zeros(len(votes)), where=total > 0
    )
    design = np.zeros((len(votes), k))
    rows = np.arange(len(votes))
    design[rows, pairs[:, 0]] = 1.0
    design[rows, pairs[:, 1]] = -1.0
    # θ_k = −Σ others keeps the system columns identified; the covariate is the last.
    reduced = np.column_stack([design[:, :-1] - design[:, [-1]], difference])
    beta = np.zeros(reduced.shape[1])
    for _ in range(_NEWTON_STEPS):
        p = 1.0 / (1.0 + np.exp(-reduced @ beta))
        gradient = reduced.T @ (outcomes - p)
        hessian = (reduced * (p * (1 - p))[:, None]).T @ reduced
        step = np.linalg.solve(hessian, gradient)
        beta = beta + step
        if np.abs(step).max() < _TOLERANCE:
            break
    theta = np.append(beta[:-1], -beta[:-1].sum())
    return StyleControlled(
        thetas={name: float(theta[i]) for i, name in enumerate(systems)},
        length_coefficient=float(beta[-1]),
    )


@dataclass(frozen=True)
class SideBias:
    left_wins: int  # decisive votes the left-hand answer won
    decisive: int  # votes with a winner (ties and "both bad" left out)
    share: float | None  # left_wins / decisive; 0.5 when sides do not matter
    low: float | None  # 95% Wilson interval
    high: float | None


def side_bias(left_won: Sequence[bool | None]) -> SideBias:
    """How often the answer shown on the left won, per vote: True (left), False
    (right), None (no winner)."""
    decisive = [won for won in left_won if won is not None]
    wins = sum(decisive)
    if not decisive:
        return SideBias(0, 0, None, None, None)
    low, high = proportion_confint(wins, len(decisive), alpha=1 - CONFIDENCE, method="wilson")
    return SideBias(wins, len(decisive), wins / len(decisive), float(low), float(high))


def swapped_verdict(asked: float, asked_swapped: float) -> float:
    """A pairwise judge's verdict from being asked twice, the second time with the sides
    swapped (``asked_swapped`` already mapped back to the first order): where the two
    disagree, the order decided it, and the verdict is a tie."""
    return asked if asked == asked_swapped else TIE


@dataclass(frozen=True)
class JudgeSwap:
    pairs: int
    flipped: int  # verdicts that changed with the order
    flip_rate: float | None  # the judge's position bias: 0 for none, 1 for all order


def judge_swaps(verdicts: Sequence[tuple[float, float]]) -> JudgeSwap:
    flipped = sum(1 for asked, swapped in verdicts if asked != swapped)
    return JudgeSwap(len(verdicts), flipped, flipped / len(verdicts) if verdicts else None)


@dataclass(frozen=True)
class VoteAgreement:
    votes: int
    agreeing: int
    share: float | None
    kappa: float | None  # Cohen's κ on the three outcomes (None where undefined)


def vote_agreement(pairs: Sequence[tuple[float, float]]) -> VoteAgreement:
    """A judge's verdicts against the human votes on the same pairs: the share that
    agree and Cohen's κ over first / tie / second (statsmodels' cohens_kappa)."""
    if not pairs:
        return VoteAgreement(0, 0, None, None)
    agreeing = sum(1 for judge, human in pairs if judge == human)
    table = np.zeros((3, 3))
    for judge, human in pairs:
        table[OUTCOMES.index(judge), OUTCOMES.index(human)] += 1
    expected = (table.sum(axis=0) * table.sum(axis=1)).sum() / len(pairs) ** 2
    kappa = None if expected >= 1 else float(cohens_kappa(table).kappa)
    return VoteAgreement(len(pairs), agreeing, agreeing / len(pairs), kappa)
