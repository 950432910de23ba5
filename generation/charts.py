"""Charts for every app's pages, drawn on the server by pygal as inline SVG (the lowest
floor holds them so that every app can use them). No Django here.

pygal puts a `<script>` with the chart's config (labels included) into every SVG for its
optional tooltips; inlined into a page, that script would run, and a label holding
`</script>` could end it early. The charts are static, so the scripts are dropped.
"""

from __future__ import annotations

import math

import pygal
from pygal.etree import etree
from pygal.style import Style


def chart_style(colours: tuple[str, ...]) -> Style:
    return Style(
        background="transparent",
        plot_background="transparent",
        font_family="sans-serif",
        colors=colours,
        title_font_size=13,
        label_font_size=11,
        value_font_size=10,
        legend_font_size=11,
    )


def chart_options(title: str, *, width: int, height: int, colours: tuple[str, ...]) -> dict:
    return {
        "title": title,
        "width": width,
        "height": height,
        "explicit_size": True,
        "style": chart_style(colours),
        "js": [],
        "disable_xml_declaration": True,
        "truncate_label": 22,
        "margin": 6,
        "no_data_text": "no data",
    }


def svg_render(chart: pygal.graph.graph.Graph) -> str:
    """The chart as SVG text with pygal's scripts left out."""
    root = chart.render_tree()
    for parent in list(root.iter()):
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return etree.tostring(root, encoding="unicode")


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
