"""Table 1 as text, JSON or a LaTeX booktabs table like the paper's (formatting only: it
reads the dataclasses of reports.selectors.results and queries nothing)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reports.agreement import Coefficient, DimensionAgreement
from reports.statistics import Estimate

if TYPE_CHECKING:
    from reports.selectors.table import ResultsTable


def _number(estimate: Estimate | None, digits: int = 2) -> str:
    return "–" if estimate is None else f"{estimate.mean:.{digits}f}"


def column_digits(kind: str) -> int:
    # Metrics, Distinct-n (×100) and lengths get two decimals, as in the paper; CEHS means,
    # the experts' or a judge's, are 0–2 (three).
    return 3 if kind in ("human", "judge") else 2


def table_text(table: ResultsTable, *, human: bool = True) -> str:
    columns = [c for c in table.columns if human or c.kind == "auto"]
    lines = [f"profile {table.profile}; mean [95% CI], n per cell; * best in its dataset"]
    header = f"{'dataset':<18} {'system':<18} {'n':>6} {'empty':>5}"
    for column in columns:
        header += f" {column.label:>22}"
    lines.append(header)
    for row in table.ordered_rows():
        line = f"{row.dataset:<18} {row.system:<18} {row.samples:>6} {row.empty:>5}"
        for column in columns:
            cell = row.cells[column.key]
            digits = column_digits(column.kind)
            if cell is None:
                text = "–"
            else:
                mark = "*" if column.key in row.best else ""
                interval = (
                    f"[{cell.low:.{digits}f},{cell.high:.{digits}f}]"
                    if cell.has_interval
                    else "[no CI]"
                )
                text = f"{mark}{cell.mean:.{digits}f} {interval}"
                text += f" {cell.n}"
            line += f" {text:>22}"
        lines.append(line)
    legend = row_legend(table)
    if legend:
        lines.append(legend)
    if human and table.note:
        lines.append(table.note)
    if human and table.agreement:
        lines.append("")
        lines.append("agreement (items rated by the usual number of raters; gold items left out)")
        lines.append(agreement_lines(table.agreement))
    return "\n".join(lines)


REFERENCE_LEGEND = (
    "each sample's own counsellor reply, rated blind like any system (the human ceiling; "
    "no automatic scores: it is the reference)"
)
FLOOR_LEGEND = "each sample answered by a real counsellor turn from another dialogue (seeded)"


def row_legend(table: ResultsTable) -> str:
    """What the reference and floor rows are, for the formats that show them, or ""."""
    kinds = {row.kind for row in table.ordered_rows()}
    parts = []
    if "reference" in kinds:
        names = sorted({row.system for row in table.rows if row.kind == "reference"})
        parts.append(f"{', '.join(names)}: {REFERENCE_LEGEND}")
    if "floor" in kinds:
        parts.append(f"floor: {FLOOR_LEGEND}")
    return "; ".join(parts) + "." if parts else ""


def agreement_lines(rows: list[DimensionAgreement]) -> str:
    """One line per dimension: κ and α with intervals and bands, or why undefined."""
    lines = []
    for row in rows:
        percent = "" if row.percent_agreement is None else f", {row.percent_agreement:.1f}% agree"
        lines.append(
            f"  {row.dimension:<12} κ {row.kappa.describe()}; α {row.alpha.describe()}"
            f" ({row.kappa_items} items × {row.raters} raters{percent})"
        )
        lines.append(
            f"  {'':<12} AC1 {row.ac1.describe()}; AC2 {row.ac2.describe()}{_gwet_note(row)}"
        )
    return "\n".join(lines)


def _gwet_note(row: DimensionAgreement) -> str:
    """What AC1 is read against: how often raters agree and how lopsided the scores are."""
    parts = []
    if row.observed_agreement is not None:
        parts.append(f"observed agreement {row.observed_agreement:.1f}%")
    if row.majority_prevalence is not None:
        parts.append(f"{row.majority_prevalence:.1f}% of ratings are {row.majority_category}")
    return f" ({', '.join(parts)})" if parts else ""


def _estimate_json(estimate: Estimate | None) -> dict | None:
    if estimate is None:
        return None
    # No interval is null, not NaN (which is not JSON).
    ci95 = [estimate.low, estimate.high] if estimate.has_interval else None
    return {"mean": estimate.mean, "ci95": ci95, "n": estimate.n}


def _coefficient_json(value: Coefficient) -> dict:
    return {
        "value": value.value,
        "ci95": [value.low, value.high],
        "band": value.band,
        "undefined": value.undefined,
    }


def agreement_json(rows: list[DimensionAgreement]) -> list[dict]:
    return [
        {
            "dimension": row.dimension,
            "ratings": row.ratings,
            "items": row.items,
            "kappa_items": row.kappa_items,
            "raters_per_item": row.raters,
            "percent_agreement": row.percent_agreement,
            "fleiss_kappa": _coefficient_json(row.kappa),
            "krippendorff_alpha_ordinal": _coefficient_json(row.alpha),
            "gwet_ac1": _coefficient_json(row.ac1),
            "gwet_ac2_ordinal": _coefficient_json(row.ac2),
            "observed_agreement": row.observed_agreement,
            "majority_category": row.majority_category,
            "majority_prevalence": row.majority_prevalence,
        }
        for row in rows
    ]


def _row_json(row) -> dict:
    return {
        "kind": row.kind,
        "dataset": row.dataset,
        "system": row.system,
        "samples": row.samples,
        "empty_responses": row.empty,
        "rated_items": row.rated_items,
        "ratings_left_out": row.ratings_left_out,
        "cells": {key: _estimate_json(value) for key, value in row.cells.items()},
        "best": sorted(row.best),
    }


def table_json(table: ResultsTable) -> dict:
    return {
        "profile": table.profile,
        "bootstrap_seed": table.seed,
        "ratings": table.ratings,
        "exclusions": {
            "ratings_left_out": table.exclusions.ratings_left_out,
            "entries": [
                {
                    "what": entry.what,
                    "reason": entry.reason,
                    "by": entry.by,
                    "at": entry.at.isoformat(),
                    "ratings": entry.ratings,
                }
                for entry in table.exclusions.entries
            ],
        },
        "note": table.note,
        "identity_screening": {
            "held": table.screening.held,
            "masked": table.screening.masked,
            "released": table.screening.released,
            "excluded": table.screening.excluded,
        },
        "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in table.columns],
        "rows": [_row_json(row) for row in table.rows],
        # Per dataset, every drawn sample answered by a real counsellor turn from another
        # dialogue: what the rows' automatic scores are read against.
        "floors": [_row_json(row) for row in table.floors],
        "agreement": agreement_json(table.agreement),
    }


_LATEX_SPECIAL = {
    "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
    "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}",
}  # fmt: skip


def latex_escape(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(character, character) for character in text)


def table_latex(table: ResultsTable) -> str:
    """Laid out like the paper's Table 1: a block of rows per dataset, one row per
    system, automatic metrics then CEHS, best value per column in bold."""
    columns = table.columns
    spec = "ll" + "c" * len(columns)
    groups = [
        (kind, title, sum(1 for column in columns if column.kind == kind))
        for kind, title in (
            ("auto", f"Automatic ({latex_escape(table.profile)})"),
            ("diversity", "Distinct-n, length"),
            ("human", "Human (CEHS)"),
            ("judge", "LLM judge (CEHS)"),
        )
    ]
    groups = [group for group in groups if group[2]]
    header, rules, first = " & ", [], 3
    for _, title, width in groups:
        header += rf" & \multicolumn{{{width}}}{{c}}{{{title}}}"
        rules.append(rf"\cmidrule(lr){{{first}-{first + width - 1}}}")
        first += width
    lines = [
        r"\begin{table*}[t]",
        r"\centering",
        rf"\begin{{tabular}}{{{spec}}}",
        r"\toprule",
        header.strip() + r" \\",
        " ".join(rules),
        "Dataset & Model & " + " & ".join(latex_escape(c.label) for c in columns) + r" \\",
        r"\midrule",
    ]
    ordered = table.ordered_rows()
    datasets = list(dict.fromkeys(row.dataset for row in ordered))
    for index, dataset in enumerate(datasets):
        rows = [row for row in ordered if row.dataset == dataset]
        for position, row in enumerate(rows):
            cells = []
            for column in columns:
                text = _number(row.cells[column.key], column_digits(column.kind))
                cells.append(rf"\textbf{{{text}}}" if column.key in row.best else text)
            name = (
                rf"\multirow{{{len(rows)}}}{{*}}{{{latex_escape(dataset)}}}"
                if position == 0
                else ""
            )
            system = latex_escape(row.system)
            if row.kind == "floor":
                system = r"\textit{random counsellor turn}$^\dagger$"
            elif row.kind == "reference":
                system = r"\textit{counsellor's reply}$^\ddagger$"
            lines.append(f"{name} & {system} & " + " & ".join(cells) + r" \\")
        if index < len(datasets) - 1:
            lines.append(r"\midrule")
    kappa = "; ".join(
        f"{latex_escape(row.dimension)} "
        + (
            f"$\\kappa$ = {row.kappa.value:.3f} ({row.kappa.band})"
            if row.kappa.value is not None
            else f"$\\kappa$ {latex_escape(row.kappa.undefined or 'undefined')}"
        )
        + (f", AC1 = {row.ac1.value:.3f}" if row.ac1.value is not None else "")
        for row in table.agreement
    )
    note = f" {latex_escape(table.note)}" if table.note else ""
    if any(row.kind == "reference" for row in table.rows):
        note += rf" $^\ddagger$Human reference: {latex_escape(REFERENCE_LEGEND)}."
    if table.floors:
        note += (
            r" $^\dagger$Floor: each sample answered by a real counsellor turn from another "
            "dialogue of the same dataset (seeded)."
        )
    lines += [
        r"\bottomrule",
        r"\end{tabular}",
        rf"\caption{{Automatic metrics ×100 and CEHS means; best per dataset in bold. "
        rf"{kappa}{note}}}",
        r"\end{table*}",
    ]
    return "\n".join(lines)
