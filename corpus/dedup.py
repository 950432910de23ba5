"""Exact and near-duplicate dialogues, found with MinHash LSH (datasketch). No Django here.

Exact: the same text once whitespace is ignored. Near: an estimated Jaccard similarity of
character 3-gram sets at or above the threshold (Chinese has no spaces to cut words at).
The first of a group is kept; every other one names the one it duplicates.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from datasketch import MinHash, MinHashLSH

_SPACE = re.compile(r"\s+")


@dataclass
class DedupResult:
    kept: list[int] = field(default_factory=list)
    exact: dict[int, int] = field(default_factory=dict)  # duplicate → the one kept
    near: dict[int, int] = field(default_factory=dict)


def _shingles(text: str, size: int) -> set[str]:
    if len(text) <= size:
        return {text}
    return {text[start : start + size] for start in range(len(text) - size + 1)}


def dialogues_dedup(
    texts: Sequence[str],
    *,
    threshold: float = 0.8,
    permutations: int = 128,
    shingle: int = 3,
    seed: int = 1,
) -> DedupResult:
    if not 0 < threshold <= 1:
        raise ValueError(f"the near-duplicate threshold is above 0 and at most 1, not {threshold}")
    result = DedupResult()
    seen: dict[str, int] = {}
    index = MinHashLSH(threshold=threshold, num_perm=permutations)
    signatures: dict[int, MinHash] = {}
    for position, text in enumerate(texts):
        normalised = _SPACE.sub("", text)
        digest = hashlib.sha256(normalised.encode("utf-8")).hexdigest()
        if digest in seen:
            result.exact[position] = seen[digest]
            continue
        seen[digest] = position
        signature = MinHash(num_perm=permutations, seed=seed)
        signature.update_batch([gram.encode("utf-8") for gram in _shingles(normalised, shingle)])
        # LSH finds candidates; the estimate decides, so the threshold is what it says.
        similar = [
            other
            for other in index.query(signature)
            if signatures[other].jaccard(signature) >= threshold
        ]
        if similar:
            result.near[position] = min(similar)
            continue
        index.insert(position, signature)
        signatures[position] = signature
        result.kept.append(position)
    return result
