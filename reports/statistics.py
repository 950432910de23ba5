"""Bootstrap intervals and paired tests over samples: seeded, so a report reads the same
every time it is drawn. No Django here."""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

Key = TypeVar("Key", bound=Hashable)
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
    return bootstrap_means({0: values}, seed=seed, resamples=resamples)[0]


def bootstrap_means(
    columns: Mapping[Key, Sequence[float]], *, seed: int = 0, resamples: int = RESAMPLES
) -> dict[Key, Estimate | None]:
    """``bootstrap_mean`` of every column at once: columns of one length share the
    resamples ``bootstrap_mean`` would draw for each with the same seed, so they are
    drawn once and every column's resample means come from one matrix product."""
    estimates: dict[Key, Estimate | None] = {}
    by_length: dict[int, list[Key]] = {}
    for key, values in columns.items():
        by_length.setdefault(len(values), []).append(key)
    tail = (1 - CONFIDENCE) / 2 * 100
    for n, keys in by_length.items():
        if n == 0:
            estimates.update(dict.fromkeys(keys))
            continue
        data = np.column_stack([np.asarray(columns[key], dtype=float) for key in keys])
        selections = resample_selections(n, seed=seed, resamples=resamples)
        means = np.concatenate([taken @ data / n for _, taken in selections])
        lows, highs = np.percentile(means, [tail, 100 - tail], axis=0)
        for offset, key in enumerate(keys):
            estimates[key] = Estimate(
                mean=float(data[:, offset].mean()),
                low=float(lows[offset]),
                high=float(highs[offset]),
                n=n,
            )
    return estimates


def _interval(values: np.ndarray, resamples: int) -> tuple[float, float] | None:
    """The 95% percentile interval of the defined resample values; None when fewer than
    half of the resamples are defined, as the interval would then mislead."""
    defined = values[~np.isnan(values)]
    if len(defined) < resamples / 2:
        return None
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(defined, [tail, 100 - tail])
    return float(low), float(high)


def bootstrap_statistic(
    rows: int,
    statistic: Callable[[np.ndarray], float | None],
    *,
    seed: int = 0,
    resamples: int = RESAMPLES,
) -> tuple[float, float] | None:
    """95% percentile interval of ``statistic(indices)`` over resampled row indices.
    Resamples where the statistic is undefined (None or NaN) are left out; None when
    fewer than half of them are defined."""
    if rows == 0:
        return None
    rng = np.random.default_rng(seed)
    values = [
        np.nan if (value := statistic(indices)) is None else value
        for block in _resample_indices(rng, rows, resamples)
        for indices in block
    ]
    return _interval(np.asarray(values, dtype=float), resamples)


def resample_selections(
    rows: int, *, seed: int = 0, resamples: int = RESAMPLES
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The resamples ``bootstrap_statistic`` draws with the same seed, in blocks: each
    block's row indices (resamples × rows) and how many times each resample takes each
    row (the same shape), for statistics that are sums over rows."""
    rng = np.random.default_rng(seed)
    for block in _resample_indices(rng, rows, resamples):
        offsets = block + rows * np.arange(len(block))[:, None]
        taken = np.bincount(offsets.ravel(), minlength=block.size).reshape(block.shape)
        yield block, taken.astype(float)


def bootstrap_batched(
    rows: int,
    statistic: Callable[[np.ndarray], np.ndarray],
    *,
    seed: int = 0,
    resamples: int = RESAMPLES,
) -> tuple[float, float] | None:
    """``bootstrap_statistic`` for a statistic of a whole block of resamples at once:
    ``statistic(selections)`` takes how many times each resample (a row) takes each row
    of the data and returns one value per resample, NaN where undefined. The same
    resamples, so the same interval, at the cost of a few matrix products."""
    if rows == 0:
        return None
    values = np.concatenate(
        [statistic(taken) for _, taken in resample_selections(rows, seed=seed, resamples=resamples)]
    )
    return _interval(values.astype(float), resamples)


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
