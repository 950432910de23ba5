"""Agreement equals statsmodels and the krippendorff package; bootstrap is seeded."""

from __future__ import annotations

import random

import krippendorff
import numpy as np
import pytest
from statsmodels.stats.inter_rater import fleiss_kappa

from reports.agreement import (
    UNDEFINED_ALL_EQUAL,
    ScoreRecord,
    agreement_table,
    dimension_agreement,
    landis_koch_band,
    rater_agreement,
)
from reports.statistics import bootstrap_mean, paired_bootstrap_p

# Fleiss (1971) as textbooks print it: 10 subjects, 14 raters, 5 categories.
FLEISS_TABLE = [
    [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
]  # fmt: skip


def records_from_table(table) -> list[ScoreRecord]:
    records = []
    for item, row in enumerate(table):
        rater = 0
        for category, count in enumerate(row):
            for _ in range(count):
                records.append(ScoreRecord(f"s{item}", f"r{rater}", "x", category))
                rater += 1
    return records


def test_kappa_is_the_textbook_value_and_equals_statsmodels():
    result = dimension_agreement(records_from_table(FLEISS_TABLE), dimension="x", domain=range(5))
    assert result.kappa.value == pytest.approx(0.2099, abs=5e-5)
    assert result.kappa.value == fleiss_kappa(np.array(FLEISS_TABLE), method="fleiss")
    assert result.kappa.band == "fair"
    assert result.kappa_items == 10
    assert result.raters == 14
    assert result.kappa.low < result.kappa.value < result.kappa.high


def test_all_equal_ratings_are_undefined_with_full_agreement_not_kappa_one():
    records = [ScoreRecord(f"i{n}", f"r{r}", "safety", 1) for n in range(20) for r in range(3)]
    result = dimension_agreement(records, dimension="safety", domain=[0, 1])
    assert result.kappa.value is None
    assert result.kappa.undefined == UNDEFINED_ALL_EQUAL
    assert result.alpha.undefined == UNDEFINED_ALL_EQUAL
    assert result.percent_agreement == 100.0
    assert UNDEFINED_ALL_EQUAL in result.kappa.describe()


def _random_records(seed: int, items: int = 60, missing: float = 0.2) -> list[ScoreRecord]:
    rng = random.Random(seed)
    records = []
    for item in range(items):
        base = rng.randint(0, 2)
        for rater in range(4):
            if rng.random() < missing:
                continue
            score = min(2, max(0, base + rng.choice([-1, 0, 0, 1])))
            records.append(ScoreRecord(f"i{item}", f"r{rater}", "empathy", score))
    return records


def test_alpha_equals_the_krippendorff_package_with_missing_ratings():
    records = _random_records(3)
    result = dimension_agreement(records, dimension="empathy", domain=[0, 1, 2])
    by_item: dict[str, dict[str, int]] = {}
    for record in records:
        by_item.setdefault(record.item, {})[record.rater] = record.score
    shared = [scores for scores in by_item.values() if len(scores) >= 2]
    data = np.full((4, len(shared)), np.nan)
    for column, scores in enumerate(shared):
        for rater, score in scores.items():
            data[int(rater[1:]), column] = score
    expected = krippendorff.alpha(
        reliability_data=data, level_of_measurement="ordinal", value_domain=[0, 1, 2]
    )
    assert result.alpha.value == pytest.approx(expected, abs=1e-12)


def test_kappa_uses_the_items_with_the_usual_number_of_raters():
    records = _random_records(5, missing=0.3)
    result = dimension_agreement(records, dimension="empathy", domain=[0, 1, 2])
    assert 0 < result.kappa_items < result.items


def test_bootstrap_intervals_are_reproducible_with_a_seed():
    records = _random_records(7)
    domains = {"empathy": [0, 1, 2]}
    first = agreement_table(records, domains=domains, seed=11)[0]
    again = agreement_table(records, domains=domains, seed=11)[0]
    other = agreement_table(records, domains=domains, seed=12)[0]
    assert (first.kappa.low, first.kappa.high) == (again.kappa.low, again.kappa.high)
    assert (first.alpha.low, first.alpha.high) == (again.alpha.low, again.alpha.high)
    assert (first.kappa.low, first.kappa.high) != (other.kappa.low, other.kappa.high)
    mean = bootstrap_mean([1, 2, 3, 4, 5, 9], seed=3)
    assert mean == bootstrap_mean([1, 2, 3, 4, 5, 9], seed=3)
    assert mean.low < mean.mean < mean.high
    assert mean.n == 6


@pytest.mark.parametrize(
    ("value", "band"),
    [(-0.1, "poor"), (0.0, "poor"), (0.1, "slight"), (0.2, "slight"), (0.3, "fair"),
     (0.489, "moderate"), (0.532, "moderate"), (0.7, "substantial"), (0.95, "almost perfect")],
)  # fmt: skip
def test_landis_koch_bands(value, band):
    assert landis_koch_band(value) == band


def test_paired_bootstrap_tells_a_real_difference_from_none():
    rng = random.Random(1)
    a = [rng.random() for _ in range(300)]
    assert paired_bootstrap_p(a, a, seed=0) == 1.0
    assert paired_bootstrap_p([x + 0.2 for x in a], a, seed=0) < 0.01
    noise = [x + rng.uniform(-0.01, 0.01) for x in a]
    assert paired_bootstrap_p(noise, a, seed=0) > 0.05
    with pytest.raises(ValueError, match="same length"):
        paired_bootstrap_p([1.0], [1.0, 2.0])


def test_rater_agreement_measures_each_rater_against_the_others():
    records = [ScoreRecord(f"i{n}", rater, "content", 2) for n in range(5) for rater in "ab"]
    records += [ScoreRecord(f"i{n}", "c", "content", 0) for n in range(5)]
    rows = {row.rater: row for row in rater_agreement(records)}
    assert rows["c"].mean_absolute_difference == 2.0
    assert rows["c"].exact_agreement == 0.0
    assert rows["a"].mean_absolute_difference == 1.0
    assert rows["a"].items == 5
