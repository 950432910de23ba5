"""The pairwise study's design: seeded, every sample with its number of different
pairs, every pair of systems dealt as often as every other (within one)."""

from __future__ import annotations

from collections import Counter

import pytest

from annotation.pairwise_design import DesignInvalid, pairwise_design

SYSTEMS = ["chatglm", "mechat", "soulchat", "reference"]


@pytest.mark.parametrize(("samples", "per_sample"), [(60, 1), (61, 2), (7, 6), (5, 3)])
def test_pairs_and_samples_are_balanced(samples, per_sample):
    design = pairwise_design(range(samples), SYSTEMS, pairs_per_sample=per_sample, seed=3)
    assert len(design) == samples * per_sample
    per_sample_pairs: dict[int, list[frozenset]] = {}
    for sample, first, second in design:
        assert first != second
        per_sample_pairs.setdefault(sample, []).append(frozenset((first, second)))
    assert set(per_sample_pairs) == set(range(samples))
    for pairs in per_sample_pairs.values():
        assert len(pairs) == per_sample == len(set(pairs))
    dealt = Counter(frozenset((first, second)) for _, first, second in design)
    assert len(dealt) == min(6, samples * per_sample)
    assert max(dealt.values()) - min(dealt.values()) <= 1
    # Every system comes up about as often as every other.
    shown = Counter(name for _, first, second in design for name in (first, second))
    assert max(shown.values()) - min(shown.values()) <= 2


def test_the_design_is_seeded():
    first = pairwise_design(range(20), SYSTEMS, seed=1)
    assert pairwise_design(range(20), SYSTEMS, seed=1) == first
    assert pairwise_design(range(20), SYSTEMS, seed=2) != first


def test_two_systems_make_one_pair_per_sample():
    design = pairwise_design(["s1", "s2"], ["a", "b"])
    assert sorted(sample for sample, *_ in design) == ["s1", "s2"]
    assert {(first, second) for _, first, second in design} == {("a", "b")}


@pytest.mark.parametrize(
    ("systems", "per_sample", "message"),
    [
        (["a"], 1, "at least two systems"),
        (["a", "a"], 1, "named twice"),
        (["a", "b", "c"], 4, "between 1 and 3"),
        (["a", "b", "c"], 0, "between 1 and 3"),
    ],
)
def test_a_design_that_cannot_be_made_says_why(systems, per_sample, message):
    with pytest.raises(DesignInvalid, match=message):
        pairwise_design(range(4), systems, pairs_per_sample=per_sample)
    with pytest.raises(DesignInvalid, match="sample is named twice"):
        pairwise_design([1, 1], ["a", "b"])
