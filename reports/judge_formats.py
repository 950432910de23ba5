"""How an LLM judge's validation against the experts is written for people (the judge
and report commands): a block per judge, three lines and a verdict per dimension."""

from __future__ import annotations

import dataclasses
from typing import Any

from reports.judge_validation import Figure
from reports.selectors.judging import JudgeValidation


def _figure(figure: Figure, digits: int = 3) -> str:
    if figure.value is None:
        return f"– ({figure.undefined})"
    return f"{figure.value:.{digits}f} (n={figure.n})"


def validation_lines(validation: JudgeValidation) -> list[str]:
    rate = validation.failure_rate
    lines = [
        f"{validation.judge} ({validation.prompt_version}) against the experts "
        f"({validation.note}): {validation.verdicts} verdicts, {validation.failed} failed"
        + ("" if rate is None else f" ({100 * rate:.1f}%)")
    ]
    for row in validation.dimensions:
        lines += [
            f"  {row.dimension:<12} items {row.items}: weighted κ judge–expert "
            f"{_figure(row.judge_expert_kappa)}, expert–expert {_figure(row.expert_pair_kappa)}",
            f"  {'':<12} Spearman {_figure(row.spearman)}, Kendall {_figure(row.kendall)}, "
            f"judge − experts {_figure(row.mean_difference)}, passes κ "
            f"{_figure(row.self_consistency)}, ranking τ {_figure(row.ranking_tau)}",
            f"  {'':<12} confusion (rows expert, columns judge): {row.confusion}",
            f"  {'':<12} {row.verdict}",
        ]
    return lines


def validation_json(validation: JudgeValidation) -> dict[str, Any]:
    return {**dataclasses.asdict(validation), "failure_rate": validation.failure_rate}
