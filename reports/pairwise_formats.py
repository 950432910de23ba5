"""The pairwise study's results as text and JSON, for ``report --pairwise``. No Django."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reports.selectors.pairwise_results import PairJudgeTable, PairwiseResults


def _figure(value: float | None, digits: int = 3) -> str:
    return "–" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def pairwise_text(results: PairwiseResults) -> str:
    lines = [
        f"pairwise study {results.study}: {results.votes} votes counted"
        + (
            f"; {results.left_out_votes} votes of {results.left_out_raters} raters left out"
            if results.left_out_votes
            else ""
        )
        + (
            f"; {results.held_back_votes} votes on pairs held back not counted"
            if results.held_back_votes
            else ""
        ),
        "strength: log-odds against the average system (ties half a win each way), "
        "95% percentile intervals over seeded bootstrap resamples of the votes",
    ]
    for table in results.tables:
        ranking = table.ranking
        lines += ["", f"{table.dataset} ({ranking.votes} votes)"]
        if ranking.problem:
            lines.append(f"  no ranking: {ranking.problem}")
        width = max(len(name) for name in ranking.systems)
        for strength in ranking.strengths:
            interval = (
                f"[{_figure(strength.low)}, {_figure(strength.high)}]"
                if strength.has_interval
                else "(no interval)"
            )
            held = (
                f"  length held equal {_figure(table.style.thetas[strength.system])}"
                if table.style
                else ""
            )
            lines.append(
                f"  {strength.system:<{width}}  {_figure(strength.theta):>7} {interval}"
                f"  {strength.votes} votes{held}"
            )
        lines.append("  win rate, row against column (votes):")
        for row in table.matrix:
            cells = "  ".join(
                "·" if cell["against"] == row["system"]
                else f"{_figure(cell['rate'], 2)} ({cell['votes']})"
                for cell in row["cells"]
            )  # fmt: skip
            lines.append(f"    {row['system']:<{width}}  {cells}")
        side = table.side
        lines.append(
            "  side bias: no decisive vote"
            if side.share is None
            else f"  side bias: left won {side.left_wins} of {side.decisive} decisive votes "
            f"({100 * side.share:.1f}%, 95% CI {100 * (side.low or 0):.1f}–"
            f"{100 * (side.high or 0):.1f}%)"
        )
        if table.style:
            lines.append(f"  length coefficient {_figure(table.style.length_coefficient)}")
        elif table.style_problem and not ranking.problem:
            lines.append(f"  no style-controlled fit: {table.style_problem}")
    for judge in results.judges:
        lines += ["", *pair_judge_lines(judge)]
    return "\n".join(lines)


def pair_judge_lines(table: PairJudgeTable) -> list[str]:
    """A pairwise judge: its position bias, its agreement with the experts, its ranking."""
    swaps, agreement = table.swaps, table.agreement
    lines = [
        f"pairwise judge {table.judge}: {swaps.pairs} pairs asked in both orders"
        + (f" ({table.unanswered} more without both answers)" if table.unanswered else ""),
        "  position bias: "
        + (
            "no pair answered both ways"
            if swaps.flip_rate is None
            else f"{swaps.flipped} of {swaps.pairs} verdicts flipped with the order "
            f"({100 * swaps.flip_rate:.1f}%), each counted as a tie"
        ),
        "  against the experts: "
        + (
            "no expert vote on its pairs"
            if agreement.share is None
            else f"{agreement.agreeing} of {agreement.votes} votes agree "
            f"({100 * agreement.share:.1f}%), Cohen's κ "
            + ("undefined" if agreement.kappa is None else f"{agreement.kappa:.3f}")
        ),
    ]
    for dataset, ranking in table.rankings:
        if ranking.problem:
            lines.append(f"  {dataset}: no ranking: {ranking.problem}")
            continue
        order = ", ".join(f"{s.system} {_figure(s.theta)}" for s in ranking.strengths)
        lines.append(f"  {dataset} ranking ({ranking.votes} verdicts): {order}")
    return lines


def pairwise_json(results: PairwiseResults) -> dict[str, Any]:
    def number(value: float | None) -> float | None:
        return None if value is None or math.isnan(value) else value

    return {
        "study": results.study,
        "votes": results.votes,
        "left_out_raters": results.left_out_raters,
        "left_out_votes": results.left_out_votes,
        "held_back_votes": results.held_back_votes,
        "datasets": [
            {
                "dataset": table.dataset,
                "votes": table.ranking.votes,
                "problem": table.ranking.problem,
                "resamples": table.ranking.resamples,
                "fitted_resamples": table.ranking.fitted_resamples,
                "strengths": [
                    {
                        "system": s.system,
                        "strength": number(s.theta),
                        "ci_low": number(s.low),
                        "ci_high": number(s.high),
                        "votes": s.votes,
                        "length_held_equal": None
                        if table.style is None
                        else table.style.thetas[s.system],
                    }
                    for s in table.ranking.strengths
                ],
                "systems": table.ranking.systems,
                "win_rate": table.ranking.win_rate,
                "counts": table.ranking.counts,
                "length_coefficient": None
                if table.style is None
                else table.style.length_coefficient,
                "side_bias": {
                    "left_wins": table.side.left_wins,
                    "decisive": table.side.decisive,
                    "share": table.side.share,
                    "ci_low": table.side.low,
                    "ci_high": table.side.high,
                },
            }
            for table in results.tables
        ],
    }
