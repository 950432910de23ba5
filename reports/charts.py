"""Small SVG charts drawn on the server: no JavaScript, nothing vendored, and every
label escaped. No Django here."""

from __future__ import annotations

from html import escape

from reports.statistics import Estimate

_PALETTE = ("#3b6ea5", "#d08c2e", "#4f9a5b", "#b4505a", "#7a5ca8", "#5a8f99", "#8c6d46")
_SCORE_COLOURS = {0: "#c95c54", 1: "#e3b655", 2: "#5b9a68"}


def metric_bars(title: str, bars: list[tuple[str, Estimate | None]], *, maximum: float) -> str:
    """One bar per label with its 95% interval as a whisker."""
    width, row, left = 360, 22, 130
    height = 24 + row * len(bars)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" '
        f'height="{height}" role="img" aria-label="{escape(title)}">',
        f'<text x="0" y="14" class="chart-title">{escape(title)}</text>',
    ]
    scale = (width - left - 50) / maximum if maximum > 0 else 0
    for index, (label, estimate) in enumerate(bars):
        y = 22 + index * row
        colour = _PALETTE[index % len(_PALETTE)]
        parts.append(f'<text x="0" y="{y + 14}">{escape(label[:18])}</text>')
        if estimate is None:
            parts.append(f'<text x="{left}" y="{y + 14}">no data</text>')
            continue
        bar = max(0.0, estimate.mean) * scale
        parts.append(
            f'<rect x="{left}" y="{y + 3}" width="{bar:.1f}" height="14" fill="{colour}">'
            f"<title>{escape(label)}: {estimate.mean:.2f} [{estimate.low:.2f}, "
            f"{estimate.high:.2f}] n={estimate.n}</title></rect>"
        )
        low, high = left + estimate.low * scale, left + estimate.high * scale
        parts.append(
            f'<path d="M{low:.1f},{y + 10} H{high:.1f} M{low:.1f},{y + 5} V{y + 15} '
            f'M{high:.1f},{y + 5} V{y + 15}" stroke="#222" fill="none"/>'
        )
        parts.append(f'<text x="{left + bar + 6:.1f}" y="{y + 14}">{estimate.mean:.2f}</text>')
    parts.append("</svg>")
    return "".join(parts)


def score_distribution(title: str, rows: list[tuple[str, dict[int, int]]]) -> str:
    """One stacked bar per label: the share of each score (0, 1, 2)."""
    width, row, left = 360, 22, 130
    height = 40 + row * len(rows)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" '
        f'height="{height}" role="img" aria-label="{escape(title)}">',
        f'<text x="0" y="14" class="chart-title">{escape(title)}</text>',
    ]
    span = width - left - 10
    for index, (label, counts) in enumerate(rows):
        y = 22 + index * row
        total = sum(counts.values())
        parts.append(f'<text x="0" y="{y + 14}">{escape(label[:18])}</text>')
        x = float(left)
        for score in sorted(counts):
            if not total or not counts[score]:
                continue
            share = counts[score] / total
            colour = _SCORE_COLOURS.get(score, "#999")
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 3}" width="{share * span:.1f}" height="14" '
                f'fill="{colour}"><title>{escape(label)}: score {score}, {counts[score]} '
                f"({share:.0%})</title></rect>"
            )
            x += share * span
    legend_y = 30 + row * len(rows)
    for position, (score, colour) in enumerate(_SCORE_COLOURS.items()):
        x = left + position * 60
        parts.append(f'<rect x="{x}" y="{legend_y - 9}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="{legend_y}">{score}</text>')
    parts.append("</svg>")
    return "".join(parts)
