"""Bootstrap intervals and paired tests over samples: seeded, so a report reads the same
every time it is drawn. No Django here."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

RESAMPLES = 1000
CONFIDENCE = 0.95
# Resample indices in blocks so 10,000 samples × 1,000 resamples never sits in memory at once.
_BLOCK_CELLS = 2_000_000


@dataclass(frozen=True)
class Estimate:
    """A figure over n values with its 95% interval (same units): a percentile bootstrap
    for means, as each builder says otherwise. NaN bounds: no interval could be made."""

    mean: float
    low: float
    high: float
    n: int

    @property
    def has_interval(self) -> bool:
        return not (math.isnan(self.low) or math.isnan(self.high))


def _resample_indices(rng: np.random.Generator, n: int, resamples: int) -> Iterator[np.ndarray]:
    per_block = max(1, _BLOCK_CELLS // max(n, 1))
    done = 0
    while done < resamples:
        size = min(per_block, resamples - done)
        yield rng.integers(0, n, size=(size, n))
        done += size


def bootstrap_mean(
    values: Sequence[float], *, seed: int = 0, resamples: int = RESAMPLES
) -> Estimate | None:
    """Mean of ``values`` with a 95% percentile-bootstrap interval; None for no values."""
    data = np.asarray(values, dtype=float)
    n = len(data)
    if n == 0:
        return None
    rng = np.random.default_rng(seed)
    means = np.concatenate(
        [data[indices].mean(axis=1) for indices in _resample_indices(rng, n, resamples)]
    )
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return Estimate(mean=float(data.mean()), low=float(low), high=float(high), n=n)


def bootstrap_statistic(
    rows: int,
    statistic: Callable[[np.ndarray], float | None],
    *,
    seed: int = 0,
    resamples: int = RESAMPLES,
) -> tuple[float, float] | None:
    """95% percentile interval of ``statistic(indices)`` over resampled row indices.
    Resamples where the statistic is undefined (None or NaN) are left out; None when
    fewer than half of them are defined, as the interval would then mislead."""
    if rows == 0:
        return None
    rng = np.random.default_rng(seed)
    values = []
    for block in _resample_indices(rng, rows, resamples):
        for indices in block:
            value = statistic(indices)
            if value is not None and not np.isnan(value):
                values.append(value)
    if len(values) < resamples / 2:
        return None
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def paired_bootstrap_p(
    first: Sequence[float], second: Sequence[float], *, seed: int = 0, resamples: int = RESAMPLES
) -> float:
    """Two-sided paired bootstrap p-value for "the two means differ", on paired values
    (the same samples in the same order). The resampled differences are centred on the
    observed one (the null distribution); p counts how often they stray at least as far
    from it as the observed difference strays from 0, with the +1 that keeps p above 0."""
    a = np.asarray(first, dtype=float)
    b = np.asarray(second, dtype=float)
    if a.shape != b.shape:
        raise ValueError("paired values must have the same length")
    if len(a) == 0:
        raise ValueError("no paired values")
    differences = a - b
    observed = differences.mean()
    if observed == 0:
        return 1.0
    rng = np.random.default_rng(seed)
    extreme = 0
    for indices in _resample_indices(rng, len(differences), resamples):
        resampled = differences[indices].mean(axis=1)
        extreme += int(np.count_nonzero(np.abs(resampled - observed) >= abs(observed)))
    return (extreme + 1) / (resamples + 1)
