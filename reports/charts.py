"""The results dashboard's charts (pygal, through common.charts). No Django here."""

from __future__ import annotations

import math
from typing import Any

import pygal

from common.charts import chart_options, svg_render
from reports.pairwise import Ranking
from reports.statistics import Estimate

_PALETTE = ("#3b6ea5", "#d08c2e", "#4f9a5b", "#b4505a", "#7a5ca8", "#5a8f99", "#8c6d46")
_LOW, _MIDDLE, _HIGH = "#c95c54", "#e3b655", "#5b9a68"
_WIDTH, _ROW, _FRAME = 440, 26, 90


def _options(title: str, rows: int, colours: tuple[str, ...]) -> dict[str, Any]:
    return chart_options(title, width=_WIDTH, height=_FRAME + _ROW * max(rows, 1), colours=colours)


def _tick(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _mean(value: float) -> str:
    return f"{value:.2f}"


def metric_bars(title: str, bars: list[tuple[str, Estimate | None]], *, maximum: float) -> str:
    """One bar per label, its 95% interval as a whisker, and its mean written in the
    label beside the axis: a mean printed on the bar would sit on the whisker."""
    top = maximum if maximum > 0 else 1.0
    chart = pygal.HorizontalBar(
        **_options(title, len(bars), _PALETTE),
        show_legend=False,
        value_formatter=_tick,
        range=(0, top),
        y_labels=[top * step / 4 for step in range(5)],
    )
    # pygal draws the first label at the bottom: reversed, they read top-down.
    ordered = list(reversed(bars))
    chart.x_labels = [
        # The mean first: a long label is cut at its end.
        label if estimate is None else f"{_mean(estimate.mean)} · {label}"
        for label, estimate in ordered
    ]
    chart.add(
        title,
        [
            None
            if estimate is None
            else {
                "value": estimate.mean,
                "ci": {"low": estimate.low, "high": estimate.high},
                "label": f"[{estimate.low:.2f}, {estimate.high:.2f}] n={estimate.n}",
                "formatter": _mean,
            }
            for _, estimate in ordered
        ],
    )
    return svg_render(chart)


def score_distribution(title: str, rows: list[tuple[str, dict[int, int]]], *, maximum: int) -> str:
    """One stacked bar per label: the percentage of each score from 0 to `maximum`,
    red for 0 and green for the best score."""
    scores = list(range(maximum + 1))
    colours = tuple(_LOW if s == 0 else _HIGH if s == maximum else _MIDDLE for s in scores)
    chart = pygal.HorizontalStackedBar(
        **_options(title, len(rows), colours),
        legend_at_bottom=True,
        legend_at_bottom_columns=len(scores),
        value_formatter=lambda value: f"{value:.0f}%",
        range=(0, 100),
    )
    ordered = list(reversed(rows))
    chart.x_labels = [label for label, _ in ordered]
    for score in scores:
        chart.add(
            f"score {score}",
            [
                100 * counts.get(score, 0) / total if (total := sum(counts.values())) else None
                for _, counts in ordered
            ],
        )
    return svg_render(chart)


def strength_bars(title: str, ranking: Ranking) -> str:
    """A Bradley–Terry ranking, strongest on top: each system's strength (log-odds
    against the average system) with its 95% bootstrap interval as a whisker."""
    strengths = [s for s in ranking.strengths if not math.isnan(s.theta)]
    ends = [abs(v) for s in strengths for v in (s.theta, s.low, s.high) if not math.isnan(v)]
    top = max([*ends, 0.5])
    chart = pygal.HorizontalBar(
        **_options(title, len(strengths), _PALETTE),
        show_legend=False,
        value_formatter=_tick,
        range=(-top, top),
        y_labels=[top * step / 2 for step in range(-2, 3)],
    )
    ordered = list(reversed(strengths))
    chart.x_labels = [f"{_mean(s.theta)} · {s.system}" for s in ordered]
    chart.add(
        title,
        [
            {
                "value": s.theta,
                **({"ci": {"low": s.low, "high": s.high}} if s.has_interval else {}),
                "label": (f"[{s.low:.2f}, {s.high:.2f}]" if s.has_interval else "no interval")
                + f" in {s.votes} votes",
                "formatter": _mean,
            }
            for s in ordered
        ],
    )
    return svg_render(chart)


def win_rate_shade(rate: float | None) -> str:
    """A heat-map cell's colour: red where the row's system lost every vote against the
    column's, yellow at half, green where it won every one; none without votes."""
    if rate is None:
        return ""
    low, middle, high = (
        tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in (_LOW, _MIDDLE, _HIGH)
    )
    start, end, t = (low, middle, rate * 2) if rate < 0.5 else (middle, high, rate * 2 - 1)
    return "#" + "".join(f"{round(a + (b - a) * t):02x}" for a, b in zip(start, end, strict=True))
