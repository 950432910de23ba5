"""Figures kept under a digest of exactly what they are computed from: the same input
finds them again (a reload, an export after a visit), any changed value makes another
key, so a kept figure can never be stale. The digest costs milliseconds where the
figures cost a paper-size page most of its second (Distinct-n over 10,000 answers per
row, 1,000 resamples of every mean)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TypeVar

import numpy as np
from django.core.cache import cache

from reports.diversity import distinct_n_estimate
from reports.statistics import Estimate, bootstrap_means

FIGURE_CACHE_SECONDS = 24 * 3600
Key = TypeVar("Key", bound=Hashable)
Kept = TypeVar("Kept")


def _kept(kind: str, digest: str, compute: Callable[[], Kept]) -> Kept:
    key = f"reports:{kind}:{digest}"
    found: Kept | None = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, FIGURE_CACHE_SECONDS)
    return found


def distinct_cells(texts: Sequence[str]) -> dict[str, Estimate | None]:
    """The Distinct-1/2 cells of answers (the length cell is a mean, drawn with the
    other means from reports.diversity.answer_lengths)."""
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return _kept(
        "distinct",
        f"{len(texts)}:{digest.hexdigest()}",
        lambda: {
            "distinct_1": distinct_n_estimate(texts, 1),
            "distinct_2": distinct_n_estimate(texts, 2),
        },
    )


def means_estimated(
    columns: Mapping[Key, Sequence[float]], *, seed: int
) -> dict[Key, Estimate | None]:
    """reports.statistics.bootstrap_means, kept under the columns' keys and values."""
    digest = hashlib.sha256(f"{seed}".encode())
    for key, values in columns.items():
        digest.update(repr(key).encode())
        digest.update(np.asarray(values, dtype=float).tobytes())
        digest.update(b"|")
    return _kept("means", digest.hexdigest(), lambda: bootstrap_means(columns, seed=seed))
