"""The dashboard's pygal charts: well-formed SVG with no script in it, labels escaped,
means and shares as printed values."""

from __future__ import annotations

import re
from xml.etree import ElementTree

from reports.charts import metric_bars, score_distribution
from reports.statistics import Estimate

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '</script><script>alert("x")</script>'


def values(svg: str) -> list[str]:
    return re.findall(r'<desc class="value">([^<]*)</desc>', svg)


def test_metric_bars_print_each_mean_with_a_whisker_and_skip_missing_cells():
    svg = metric_bars(
        "B-1 ×100, 95% CI",
        [("demo/a", Estimate(mean=42.5, low=30.0, high=55.25, n=7)), (HOSTILE, None)],
        maximum=60.0,
    )
    root = ElementTree.fromstring(svg)  # noqa: S314 (our own output)
    assert root.tag == f"{SVG}svg"
    assert not list(root.iter(f"{SVG}script"))
    assert "<script" not in svg
    assert "&lt;/script&gt;" in svg
    assert values(svg) == ["42.50"]
    # The mean is in the label beside the axis, never printed over the whisker.
    assert "42.50 · demo/a" in svg
    assert not re.search(r'<text[^>]*class="value', svg)
    assert svg.count('class="ci"') == 1
    assert "B-1 ×100, 95% CI" in svg


def test_score_distribution_shows_the_share_of_each_score():
    rows = [("demo/a", {0: 1, 1: 1, 2: 2}), ("demo/b", {})]
    svg = score_distribution("Con. scores", rows, maximum=2)
    ElementTree.fromstring(svg)  # noqa: S314 (our own output)
    assert "<script" not in svg
    # The row without ratings draws nothing (pygal reports its stack as 0%).
    assert sorted(value for value in values(svg) if value != "0%") == ["25%", "25%", "50%"]
    assert all(f"score {score}" in svg for score in (0, 1, 2))


def test_a_binary_scale_has_two_scores_with_the_best_in_green():
    svg = score_distribution("Saf. scores", [("demo/a", {0: 1, 1: 3})], maximum=1)
    assert "score 2" not in svg
    assert sorted(values(svg)) == ["25%", "75%"]
    assert svg.index("#c95c54") < svg.index("#5b9a68")
    assert "#e3b655" not in svg
