"""A study planner: the power of finding a difference between two systems on a CEHS
scale, for a number of items per system and raters per item, by simulating studies
(seeded) from variance components (item, rater, residual SDs: a finished study's mixed
model, or stated ones), and the smallest number of items that reaches a target power.

Each simulated study draws, per system, ``items`` items with their own effect, each rated
by ``raters`` raters from a pool of ``pool`` (the same raters rate every item when the
pool is the raters per item, as in the SoulChat study); it is analysed as the mixed model
analyses a balanced study: the difference of the systems' item means, with its standard
error from the spread of the item means, tested at the Wald z. With k systems every pair
is tested and Holm-corrected; the planner asks for α/m, Holm's strictest step, so the
power it shows is a floor. No Django here."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from scipy.stats import norm

from common.errors import ServiceError

SIMULATIONS = 2000
DEFAULT_TARGET = 0.8
DEFAULT_ALPHA = 0.05
DEFAULT_ITEMS = (50, 100, 150, 200, 300, 400)
DEFAULT_RATERS = (2, 3, 4, 5)
MAX_ITEMS = 5000  # per system: where the search for the smallest number stops
MAX_POOL = 12  # raters to choose from: the subsets of a larger pool grow too many


class PlanRefused(ServiceError):
    pass


@dataclass(frozen=True)
class Spread:
    """Standard deviations of an item's, a rater's and a rating's own effect."""

    item: float
    rater: float
    residual: float


@dataclass(frozen=True)
class PlanOption:
    items: int  # per system
    raters: int  # per item
    power: float
    ratings: int  # items × raters × systems
    cost: Decimal | None  # in the study's currency; None without a pay per item
    hours: float | None  # expert hours at the measured median time per item


@dataclass(frozen=True)
class Plan:
    dimension: str
    difference: float
    spread: Spread
    systems: int
    alpha: float  # the level each pair is tested at: α/m, Holm's strictest step
    target: float
    pool: int | None  # raters in the pool, or None: the raters per item rate every item
    options: tuple[PlanOption, ...]
    smallest: dict[int, int | None]  # raters per item → fewest items for the target power
    simulations: int
    seed: int
    currency: str
    seconds_per_item: float | None
    source: str  # where the SDs come from, in words


def _check(
    difference: float, spread: Spread, systems: int, target: float, alpha: float,
    items: Sequence[int], raters: Sequence[int], pool: int | None,
) -> None:  # fmt: skip
    problems = []
    if not (math.isfinite(difference) and difference > 0):
        problems.append(f"the difference to detect must be above 0 (got {difference})")
    for name, value in (("item", spread.item), ("rater", spread.rater)):
        if not (math.isfinite(value) and value >= 0):
            problems.append(f"the {name} SD must be 0 or more (got {value})")
    if not (math.isfinite(spread.residual) and spread.residual > 0):
        problems.append(f"the residual SD must be above 0 (got {spread.residual})")
    if systems < 2:
        problems.append(f"a comparison needs two systems or more (got {systems})")
    if not 0 < target < 1:
        problems.append(f"the target power is a probability between 0 and 1 (got {target})")
    if not 0 < alpha < 1:
        problems.append(f"alpha must be between 0 and 1 (got {alpha})")
    if not items or any(n < 2 or n > MAX_ITEMS for n in items):
        problems.append(f"items per system run from 2 to {MAX_ITEMS} (got {list(items)})")
    if not raters or any(r < 1 for r in raters):
        problems.append(f"raters per item must be 1 or more (got {list(raters)})")
    if pool is not None and raters and not max(raters) <= pool <= MAX_POOL:
        problems.append(
            f"the pool holds from {max(raters)} raters (the most per item) to {MAX_POOL}; "
            f"got {pool}"
        )
    if problems:
        raise PlanRefused("; ".join(problems))


def simulated_power(
    *, difference: float, spread: Spread, items: int, raters: int, alpha: float,
    pool: int | None = None, simulations: int = SIMULATIONS, seed: int = 0,
) -> float:  # fmt: skip
    """The share of simulated studies in which the pair's difference is significant."""
    rng = np.random.default_rng([seed, items, raters, pool or 0])
    size = (simulations, 2, items)
    # An item's mean over its raters: its own effect plus the mean of `raters` residuals,
    # drawn at once (the same distribution as drawing each rating).
    means = rng.normal(0, math.sqrt(spread.item**2 + spread.residual**2 / raters), size)
    if pool is not None and pool > raters and spread.rater > 0:
        # Each item rated by its own `raters` of the pool: their effects no longer cancel.
        effects = rng.normal(0, spread.rater, (simulations, pool))
        subsets = np.array(list(itertools.combinations(range(pool), raters)))
        subset_means = effects[:, subsets].mean(axis=2)  # simulations × subsets
        picked = rng.integers(0, len(subsets), size)
        means += subset_means[np.arange(simulations)[:, None, None], picked]
    # With every rater on every item, their effects are one constant per study: they
    # cancel in the difference and in the spread of the item means.
    means[:, 1, :] += difference
    gap = means[:, 1, :].mean(axis=1) - means[:, 0, :].mean(axis=1)
    spread_of_means = means.var(axis=2, ddof=1).mean(axis=1)  # pooled over the two systems
    error = np.sqrt(2 * spread_of_means / items)
    critical = norm.ppf(1 - alpha / 2)
    return float(np.mean(np.abs(gap) > critical * error))


def _smallest_items(
    *, target: float, difference: float, spread: Spread, raters: int, alpha: float,
    pool: int | None, simulations: int, seed: int,
) -> int | None:  # fmt: skip
    """Fewest items per system with the target power, by bisection (power grows with
    items; the seeded draws keep the search from wandering), None past MAX_ITEMS. The
    normal approximation only chooses where the search starts."""

    def power(items: int) -> float:
        return simulated_power(
            difference=difference, spread=spread, items=items, raters=raters, alpha=alpha,
            pool=pool, simulations=simulations, seed=seed,
        )  # fmt: skip

    rater_share = 0.0 if pool is None or pool <= raters else spread.rater**2 / raters
    variance = spread.item**2 + spread.residual**2 / raters + rater_share
    guess = 2 * variance * (norm.ppf(1 - alpha / 2) + norm.ppf(target)) ** 2 / difference**2
    low, high = max(2, int(guess / 2)), min(MAX_ITEMS, max(4, int(guess * 2) + 1))
    while power(high) < target:
        if high == MAX_ITEMS:
            return None
        low, high = high, min(MAX_ITEMS, high * 2)
    while low > 2 and power(low) >= target:
        low, high = max(2, low // 2), low
    while low < high:
        middle = (low + high) // 2
        if power(middle) >= target:
            high = middle
        else:
            low = middle + 1
    return low


def _money(ratings: int, pay_per_item: Decimal | None) -> Decimal | None:
    if pay_per_item is None:
        return None
    return (pay_per_item * ratings).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def study_plan(
    *, dimension: str, difference: float, spread: Spread, systems: int,
    target: float = DEFAULT_TARGET, alpha: float = DEFAULT_ALPHA,
    items: Sequence[int] = DEFAULT_ITEMS, raters: Sequence[int] = DEFAULT_RATERS,
    pool: int | None = None, pay_per_item: Decimal | None = None, currency: str = "",
    seconds_per_item: float | None = None, simulations: int = SIMULATIONS, seed: int = 0,
    source: str = "stated",
) -> Plan:  # fmt: skip
    """Power for every items × raters option, and the fewest items per raters count."""
    _check(difference, spread, systems, target, alpha, items, raters, pool)
    per_pair = alpha / (systems * (systems - 1) // 2)
    options = []
    for rater_count in raters:
        for item_count in items:
            ratings = item_count * rater_count * systems
            options.append(
                PlanOption(
                    items=item_count,
                    raters=rater_count,
                    power=simulated_power(
                        difference=difference,
                        spread=spread,
                        items=item_count,
                        raters=rater_count,
                        alpha=per_pair,
                        pool=pool,
                        simulations=simulations,
                        seed=seed,
                    ),
                    ratings=ratings,
                    cost=_money(ratings, pay_per_item),
                    hours=None if seconds_per_item is None else ratings * seconds_per_item / 3600,
                )
            )
    smallest = {
        rater_count: _smallest_items(
            target=target,
            difference=difference,
            spread=spread,
            raters=rater_count,
            alpha=per_pair,
            pool=pool,
            simulations=simulations,
            seed=seed,
        )
        for rater_count in raters
    }
    return Plan(
        dimension=dimension, difference=difference, spread=spread, systems=systems,
        alpha=per_pair, target=target, pool=pool, options=tuple(options), smallest=smallest,
        simulations=simulations, seed=seed, currency=currency,
        seconds_per_item=seconds_per_item, source=source,
    )  # fmt: skip


def _option_text(option: PlanOption, currency: str) -> str:
    cost = "–" if option.cost is None else f"{option.cost} {currency}".strip()
    hours = "–" if option.hours is None else f"~{option.hours:.0f}"
    return (
        f"  {option.raters} raters × {option.items:>4} items  {option.power * 100:5.1f}%  "
        f"{option.ratings:>6} ratings  {cost:>14}  {hours:>6} expert hours"
    )


def plan_text(plan: Plan) -> str:
    pairs = plan.systems * (plan.systems - 1) // 2
    pool = (
        "every rater rates every item"
        if plan.pool is None
        else f"each item rated by raters drawn from a pool of {plan.pool}"
    )
    lines = [
        f"{plan.dimension.capitalize()}, difference {plan.difference:g}: power to detect it "
        f"between two of {plan.systems} systems, each pair tested at α = {plan.alpha:.4g} "
        f"(Holm's strictest step over {pairs} pair{'s' if pairs != 1 else ''}); {pool}.",
        f"SDs ({plan.source}): item {plan.spread.item:.3f}, rater {plan.spread.rater:.3f}, "
        f"residual {plan.spread.residual:.3f}. {plan.simulations} simulated studies per "
        f"option, seed {plan.seed}. Items are per system; ratings count every system.",
    ]
    lines += [_option_text(option, plan.currency) for option in plan.options]
    fewest = ", ".join(
        f"{raters} raters: {'over ' + str(MAX_ITEMS) if items is None else items}"
        for raters, items in plan.smallest.items()
    )
    lines.append(f"Fewest items per system for {plan.target * 100:g}% power: {fewest}.")
    return "\n".join(lines)


def plan_json(plan: Plan) -> dict[str, object]:
    return {
        "dimension": plan.dimension,
        "difference": plan.difference,
        "sds": {"item": plan.spread.item, "rater": plan.spread.rater,
                "residual": plan.spread.residual},
        "sds_from": plan.source,
        "systems": plan.systems,
        "alpha_per_pair": plan.alpha,
        "target_power": plan.target,
        "rater_pool": plan.pool,
        "simulations": plan.simulations,
        "seed": plan.seed,
        "currency": plan.currency,
        "seconds_per_item": plan.seconds_per_item,
        "options": [
            {
                "items_per_system": option.items,
                "raters_per_item": option.raters,
                "power": option.power,
                "ratings": option.ratings,
                "cost": None if option.cost is None else str(option.cost),
                "expert_hours": option.hours,
            }
            for option in plan.options
        ],
        "fewest_items_for_target": {str(k): v for k, v in plan.smallest.items()},
    }  # fmt: skip
