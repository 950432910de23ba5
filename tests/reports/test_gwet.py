"""Gwet's AC1 and AC2 equal to the irrCAC package (within 1e-9), on hand-made and on
generated data, and as the agreement table carries them."""

from __future__ import annotations

import numpy as np
import pytest

from reports.agreement import ScoreRecord, dimension_agreement
from reports.gwet import IDENTITY, ORDINAL, category_counts, gwet_ac, gwet_weights

irrcac_raw = pytest.importorskip("irrCAC.raw")
pd = pytest.importorskip("pandas")


def reference(matrix: np.ndarray, domain: list[int], kind: str) -> dict:
    """irrCAC on items × raters (NaN: not rated), its categories given, unrounded."""
    frame = pd.DataFrame(matrix)
    return irrcac_raw.CAC(frame, weights=kind, categories=domain, digits=15).gwet()["est"]


def items_of(matrix: np.ndarray) -> list[dict[str, int]]:
    return [
        {f"r{rater}": int(score) for rater, score in enumerate(row) if not np.isnan(score)}
        for row in matrix
    ]


# Safety as studies see it: 20 items × 3 raters, nearly every score 1.
SAFETY = np.ones((20, 3))
SAFETY[3, 0] = SAFETY[11, 2] = SAFETY[17, 1] = 0


@pytest.mark.parametrize("kind", [IDENTITY, ORDINAL])
def test_a_lopsided_safety_scale_equals_irrcac(kind):
    parts = gwet_ac(category_counts(items_of(SAFETY), [0, 1]), gwet_weights(2, kind))
    expected = reference(SAFETY, [0, 1], kind)
    assert parts.value == pytest.approx(expected["coefficient_value"], abs=1e-9)
    assert parts.observed == pytest.approx(expected["pa"], abs=1e-9)
    assert parts.chance == pytest.approx(expected["pe"], abs=1e-9)


def test_where_kappa_collapses_ac1_stays_high():
    records = [
        ScoreRecord(f"i{item}", f"r{rater}", "safety", int(SAFETY[item, rater]))
        for item in range(20)
        for rater in range(3)
    ]
    row = dimension_agreement(records, dimension="safety", domain=[0, 1], resamples=200)
    assert row.kappa.value < 0  # the kappa paradox: 90% agreement, κ below 0
    assert row.ac1.value > 0.85
    assert row.observed_agreement == pytest.approx(90.0)
    assert (row.majority_category, row.majority_prevalence) == (1, pytest.approx(95.0))


@pytest.mark.parametrize("seed", range(40))
def test_generated_ratings_with_missing_scores_equal_irrcac(seed):
    rng = np.random.default_rng(seed)
    items, raters, points = rng.integers(3, 40), rng.integers(2, 6), int(rng.choice([2, 3, 5]))
    matrix = rng.integers(0, points, size=(items, raters)).astype(float)
    matrix[rng.random(matrix.shape) < 0.25] = np.nan
    matrix[0, :2] = [0, 0]  # one item rated twice at least
    domain = list(range(points))
    counts = category_counts(items_of(matrix), domain)
    for kind in (IDENTITY, ORDINAL):
        parts = gwet_ac(counts, gwet_weights(points, kind))
        expected = reference(matrix, domain, kind)
        assert parts.value == pytest.approx(expected["coefficient_value"], abs=1e-9)
        assert parts.observed == pytest.approx(expected["pa"], abs=1e-9)


def test_ordinal_weights_equal_irrcacs():
    from irrCAC.weights import Weights

    assert np.allclose(gwet_weights(3, ORDINAL), Weights([0, 1, 2]).ordinal())
    assert np.allclose(gwet_weights(5, ORDINAL), Weights(list(range(5))).ordinal())


def test_ac2_on_a_two_point_scale_is_ac1():
    counts = category_counts(items_of(SAFETY), [0, 1])
    assert gwet_ac(counts, gwet_weights(2, ORDINAL)) == gwet_ac(counts, gwet_weights(2, IDENTITY))


def test_no_item_rated_twice_is_undefined_not_a_number():
    records = [ScoreRecord(f"i{n}", "r1", "empathy", n % 3) for n in range(5)]
    row = dimension_agreement(records, dimension="empathy", domain=[0, 1, 2], resamples=100)
    assert row.ac1.value is None
    assert row.ac1.undefined == "undefined (no item rated twice)"
    assert row.observed_agreement is None


def test_the_interval_is_seeded_and_holds_the_value():
    records = [
        ScoreRecord(f"i{item}", f"r{rater}", "content", (item + rater * (item % 2)) % 3)
        for item in range(30)
        for rater in range(3)
    ]
    first = dimension_agreement(records, dimension="content", domain=[0, 1, 2], seed=3)
    again = dimension_agreement(records, dimension="content", domain=[0, 1, 2], seed=3)
    assert (first.ac1.low, first.ac1.high) == (again.ac1.low, again.ac1.high)
    assert first.ac1.low <= first.ac1.value <= first.ac1.high
    assert first.ac2.low <= first.ac2.value <= first.ac2.high


def test_a_score_off_the_scale_is_refused_by_name():
    with pytest.raises(ValueError, match=r"score 3 is not on the scale \[0, 1, 2\]"):
        category_counts([{"r1": 3}], [0, 1, 2])


def test_unknown_weights_are_refused():
    with pytest.raises(ValueError, match="unknown weights"):
        gwet_weights(3, "quadratic")
