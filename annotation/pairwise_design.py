"""The design of a pairwise study: which two systems' answers to which context make an
item. Seeded, and balanced both ways: every sample gets the same number of pairs (all
different), and every pair of systems comes up as often as every other (within one),
so no system is compared more often or on easier contexts by construction. Which side
each answer is shown on is drawn per annotator when an item is handed out, not here.
No Django here."""

from __future__ import annotations

import itertools
import random
from collections.abc import Hashable, Sequence
from typing import TypeVar

Sample = TypeVar("Sample", bound=Hashable)


class DesignInvalid(ValueError):
    pass


def pairwise_design(
    samples: Sequence[Sample], systems: Sequence[str], *, pairs_per_sample: int = 1,
    seed: int = 0,
) -> list[tuple[Sample, str, str]]:  # fmt: skip
    """(sample, system, other system) per item: each sample with ``pairs_per_sample``
    different pairs, the pairs dealt round-robin over the samples in a seeded order."""
    names = list(dict.fromkeys(systems))
    if len(names) != len(systems):
        raise DesignInvalid("a system is named twice")
    if len(names) < 2:
        raise DesignInvalid("a pairwise study needs at least two systems")
    pairs = list(itertools.combinations(names, 2))
    if not 1 <= pairs_per_sample <= len(pairs):
        raise DesignInvalid(
            f"pairs per sample: between 1 and {len(pairs)} (every pair of {len(names)} "
            f"systems), not {pairs_per_sample}"
        )
    if len(set(samples)) != len(samples):
        raise DesignInvalid("a sample is named twice")
    rng = random.Random(seed)  # noqa: S311 (a reproducible design, not a secret)
    rng.shuffle(pairs)
    order = list(samples)
    rng.shuffle(order)
    design = []
    for position, sample in enumerate(order):
        for turn in range(pairs_per_sample):
            # Consecutive places of the cycle: distinct pairs for one sample, and every
            # pair dealt floor or ceiling of (samples × pairs per sample) / pairs times.
            first, second = pairs[(position * pairs_per_sample + turn) % len(pairs)]
            design.append((sample, first, second))
    return design
