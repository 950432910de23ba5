"""The mixed model's system differences as text, JSON and LaTeX (the CSV rows are
reports.selectors.export_rows'): every figure with its interval, raw and Holm p-values,
the variance components, and a dimension the model cannot carry said in words."""

from __future__ import annotations

from typing import Any

from reports.formats import latex_escape
from reports.mixed_model import Difference, ModelFit
from reports.selectors.differences import DifferencesTable

LABELS = {"content": "Content", "empathy": "Empathy", "helpfulness": "Helpfulness",
          "safety": "Safety"}  # fmt: skip


def _p(value: float | None) -> str:
    if value is None:
        return "–"
    return "< 0.0001" if value < 0.0001 else f"{value:.4f}"


def _variance_line(fit: ModelFit) -> str:
    if fit.variance is None:
        return ""
    item, rater, residual = fit.variance.sds
    return f"SD item {item:.3f}, rater {rater:.3f}, residual {residual:.3f}"


def differences_text(tables: list[DifferencesTable]) -> str:
    lines = []
    for table in tables:
        lines.append(f"{table.dataset}: system differences ({table.note})")
        for fit in table.fits:
            head = f"  {LABELS.get(fit.dimension, fit.dimension)}"
            scope = f"{fit.ratings} ratings, {fit.items} items, {fit.raters} raters"
            if fit.problem:
                lines.append(f"{head}: no model ({fit.problem}; {scope})")
                continue
            extra = f"; {fit.note}" if fit.note else ""
            lines.append(f"{head} ({scope}; {_variance_line(fit)}{extra})")
            for d in fit.differences:
                lines.append(
                    f"    {d.first} − {d.second}: {d.estimate:+.3f} [{d.low:+.3f}, {d.high:+.3f}]"
                    f"  p {_p(d.p_value)}  Holm p {_p(d.p_holm)}"
                )
    return "\n".join(lines) if lines else "No human ratings: no differences to model."


def _difference_json(d: Difference) -> dict[str, Any]:
    return {
        "first": d.first,
        "second": d.second,
        "estimate": d.estimate,
        "ci95": [d.low, d.high],
        "p_value": d.p_value,
        "p_holm": d.p_holm,
    }


def differences_json(tables: list[DifferencesTable]) -> list[dict[str, Any]]:
    return [
        {
            "dataset": table.dataset,
            "ratings": table.ratings,
            "note": table.note,
            "dimensions": [
                {
                    "dimension": fit.dimension,
                    "ratings": fit.ratings,
                    "items": fit.items,
                    "raters": fit.raters,
                    "problem": fit.problem,
                    "note": fit.note,
                    "means": fit.means,
                    "variance": None
                    if fit.variance is None
                    else {
                        "item": fit.variance.item,
                        "rater": fit.variance.rater,
                        "residual": fit.variance.residual,
                    },
                    "differences": [_difference_json(d) for d in fit.differences],
                }
                for fit in table.fits
            ],
        }
        for table in tables
    ]


def differences_latex(tables: list[DifferencesTable]) -> str:
    lines = [
        r"\begin{table}[t]",
        r"\centering",
        r"\begin{tabular}{llrrrr}",
        r"\toprule",
        r"Dimension & Pair & Difference & 95\% CI & $p$ & $p_{\mathrm{Holm}}$ \\",
        r"\midrule",
    ]
    notes = []
    for table in tables:
        for fit in table.fits:
            label = latex_escape(LABELS.get(fit.dimension, fit.dimension))
            if fit.problem:
                lines.append(rf"{label} & \multicolumn{{5}}{{l}}{{{latex_escape(fit.problem)}}} \\")
                continue
            for d in fit.differences:
                pair = latex_escape(f"{d.first} − {d.second}")
                lines.append(
                    f"{label} & {pair} & {d.estimate:+.3f} & [{d.low:+.3f}, {d.high:+.3f}] & "
                    f"{latex_escape(_p(d.p_value))} & {latex_escape(_p(d.p_holm))} \\\\"
                )
        notes.append(f"{table.dataset}: {table.note}")
    lines += [
        r"\bottomrule",
        r"\end{tabular}",
        rf"\caption{{System differences on the CEHS scales. {latex_escape('; '.join(notes))}.}}",
        r"\end{table}",
    ]
    return "\n".join(lines)
