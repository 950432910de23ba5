"""Rater quality on hand-made studies whose answers are known (no database)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr

from annotation.rater_quality import (
    GOLD_ACCURACY_MINIMUM,
    ITEMS_TO_JUDGE,
    RatingFact,
    rater_quality,
)

DIMENSIONS = ("content", "empathy", "helpfulness", "safety")


def quality(facts, too_fast=20):
    return {row.rater: row for row in rater_quality(facts, dimensions=DIMENSIONS,
                                                    too_fast_seconds=too_fast)}  # fmt: skip


def test_time_per_item_and_the_share_under_the_threshold():
    seconds = [5, 12, 19, 20, 40, 60, 95, 180]
    facts = [RatingFact("a", f"i{n}", s, (1, 1, 1, 1)) for n, s in enumerate(seconds)]
    row = quality(facts)["a"]
    assert row.items == 8
    assert row.median_seconds == 30.0
    first, middle, third = np.percentile(seconds, [25, 50, 75])
    assert row.seconds_spread == (5.0, first, middle, third, 180.0)
    # 20 s itself is not under 20 s.
    assert (row.too_fast, row.too_fast_share) == (3, 3 / 8)
    assert row.flags[0] == "38% of ratings under 20 s (median 30 s)"
    assert quality(facts, too_fast=5)["a"].too_fast == 0


def test_straight_lining_counts_the_most_common_four_scores():
    tuples = [(2, 1, 1, 1)] * 9 + [(1, 1, 1, 1)]
    row = quality([RatingFact("a", f"i{n}", 60, t) for n, t in enumerate(tuples)])["a"]
    assert (row.straight_lining_share, row.usual_scores) == (0.9, (2, 1, 1, 1))
    assert "the same scores 2/1/1/1 on 90% of items" in row.flags
    # Exactly 80% is not beyond the threshold; too few items are not judged at all.
    at_edge = [(2, 1, 1, 1)] * 8 + [(1, 1, 1, 1), (0, 0, 0, 1)]
    assert not quality([RatingFact("a", f"i{n}", 60, t) for n, t in enumerate(at_edge)])["a"].flags
    few = [RatingFact("a", f"i{n}", 60, (2, 2, 2, 1)) for n in range(ITEMS_TO_JUDGE - 1)]
    assert quality(few)["a"].straight_lining_share == 1.0
    assert not quality(few)["a"].flags


def test_gold_accuracy_is_the_share_of_scales_that_matched():
    facts = [
        RatingFact("a", "g1", 60, (2, 1, 1, 1), gold=True, gold_matches=4),
        RatingFact("a", "g2", 60, (0, 0, 0, 1), gold=True, gold_matches=1),
        RatingFact("a", "i1", 60, (1, 1, 1, 1)),
    ]
    row = quality(facts)["a"]
    assert (row.gold_rated, row.gold_accuracy) == (2, 5 / 8)
    assert GOLD_ACCURACY_MINIMUM > 5 / 8
    assert "gold accuracy 62% (of 2 gold items)" in row.flags
    assert quality(facts[2:])["a"].gold_accuracy is None


def test_leave_one_out_agreement_is_spearman_with_the_other_raters_means():
    # b and c agree with each other; a's content scores run against theirs.
    scores = {
        "a": [0, 2, 1, 0, 2],
        "b": [2, 0, 1, 2, 1],
        "c": [2, 1, 1, 2, 0],
    }
    facts = [
        RatingFact(rater, f"i{n}", 60, (score, 1, n % 3, 1))
        for rater, row in scores.items() for n, score in enumerate(row)
    ]  # fmt: skip
    rows = quality(facts)
    others = [(b + c) / 2 for b, c in zip(scores["b"], scores["c"], strict=True)]
    expected = spearmanr(scores["a"], others).statistic
    assert rows["a"].agreement["content"].value == pytest.approx(expected, abs=1e-12)
    assert rows["a"].agreement["content"].items == 5
    # Every empathy score is 1: no correlation can be computed, and it says why.
    assert rows["a"].agreement["empathy"].value is None
    assert rows["a"].agreement["empathy"].undefined == "undefined (every empathy score the same)"
    assert rows["a"].agreement["helpfulness"].value == pytest.approx(1.0)
    assert rows["a"].agreement["safety"].describe() == "undefined (every safety score the same)"


def test_agreement_needs_three_shared_items_and_ignores_excluded_and_gold_ratings():
    facts = [
        RatingFact("a", "i1", 60, (0, 0, 0, 0)), RatingFact("a", "i2", 60, (1, 1, 1, 1)),
        RatingFact("a", "i3", 60, (2, 2, 2, 1)),
        RatingFact("b", "i1", 60, (0, 0, 0, 0)), RatingFact("b", "i2", 60, (1, 1, 1, 1)),
        # b's third rating is left out of the analysis; the gold item never counts.
        RatingFact("b", "i3", 60, (2, 2, 2, 1), kept=False),
        RatingFact("b", "g", 60, (2, 2, 2, 1), gold=True, gold_matches=4),
        RatingFact("a", "g", 60, (2, 2, 2, 1), gold=True, gold_matches=4),
    ]  # fmt: skip
    row = quality(facts)["a"]
    assert row.agreement["content"].describe() == "undefined (2 items shared with other raters)"
    # b's own figures still count all of b's ratings.
    assert quality(facts)["b"].items == 4


def test_a_fast_rater_against_the_others_is_flagged_for_both_and_a_careful_one_not():
    careful = [
        RatingFact("careful", f"i{n}", 90 + n, ((n % 3), (n + 1) % 3, (n * 2) % 3, 1))
        for n in range(12)
    ]
    peers = [RatingFact("peer", fact.item, 80, fact.scores) for fact in careful]
    # Two seconds an item, and each score the opposite of what the others gave.
    fast = [
        RatingFact("fast", fact.item, 2, (*(2 - score for score in fact.scores[:3]), 1))
        for fact in careful
    ]
    rows = quality(careful + peers + fast)
    assert rows["careful"].flags == []
    assert rows["fast"].flagged
    assert rows["fast"].flags[0] == "100% of ratings under 20 s (median 2 s)"
    assert rows["fast"].flags[1].startswith("little agreement with the other raters (ρ content -")
    assert len(rows["fast"].flags) == 2
