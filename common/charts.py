"""Charts for every app's pages, drawn on the server by pygal as inline SVG (the lowest
floor holds them so that every app can use them). No Django here.

pygal puts a `<script>` with the chart's config (labels included) into every SVG for its
optional tooltips; inlined into a page, that script would run, and a label holding
`</script>` could end it early. The charts are static, so the scripts are dropped.
"""

from __future__ import annotations

from typing import Any

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


def chart_options(
    title: str, *, width: int, height: int, colours: tuple[str, ...]
) -> dict[str, Any]:
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
    return str(etree.tostring(root, encoding="unicode"))
