"""The corpus statistics page's charts (pygal, through common.charts). No Django here."""

from __future__ import annotations

import math

import pygal

from common.charts import chart_options, svg_render


def count_bars(
    title: str, counts: dict[str, int], *, x_title: str = "", colour: str = "#3b6ea5"
) -> str:
    """One bar per key, in the order given (rounds, topics, rejection reasons)."""
    chart = pygal.Bar(
        **chart_options(title, width=640, height=300, colours=(colour,)),
        show_legend=False,
        print_values=True,
        x_title=x_title,
        x_label_rotation=30 if len(counts) > 8 else 0,
        value_formatter=lambda value: f"{value:.0f}",
    )
    chart.x_labels = list(counts)
    # Whole numbers on the axis: pygal's own ticks for a maximum of 2 are 0, 0.2, 0.4, …
    top = max(counts.values(), default=0)
    step = max(1, math.ceil(top / 8))
    chart.y_labels = list(range(0, top + step + 1, step))
    chart.add("count", [int(value) for value in counts.values()])
    return svg_render(chart)


def word_weights(title: str, words: list[tuple[str, float]]) -> str:
    """The heaviest words first, as horizontal bars: a word cloud's content, readable."""
    chart = pygal.HorizontalBar(
        **chart_options(title, width=640, height=max(200, 18 * len(words) + 60),
                        colours=("#b5651d",)),
        show_legend=False,
        value_formatter=lambda value: f"{value:.3f}",
    )  # fmt: skip
    ordered = list(reversed(words))  # pygal draws the first bar at the bottom
    chart.x_labels = [word for word, _ in ordered]
    chart.add("TF-IDF weight", [float(weight) for _, weight in ordered])
    return svg_render(chart)
