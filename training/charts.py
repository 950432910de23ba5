"""The loss curve of a training job (pygal, through common.charts). No Django here."""

from __future__ import annotations

from collections.abc import Sequence

import pygal

from common.charts import chart_options, svg_render


def loss_curve(history: Sequence[Sequence[float]], *, total_steps: int) -> str:
    """Training loss against the optimiser step, the x axis running to the last step."""
    chart = pygal.XY(
        **chart_options("training loss", width=640, height=280, colours=("#3b6ea5",)),
        show_legend=False,
        show_dots=len(history) <= 60,
        dots_size=2,
        xrange=(0, max(total_steps, 1)),
        x_title="step",
        value_formatter=lambda value: f"{value:.3g}",
        x_value_formatter=lambda value: f"{value:.0f}",
    )
    chart.add("loss", [(float(step), float(loss)) for step, loss in history])
    return svg_render(chart)
