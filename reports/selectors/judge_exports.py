"""The CSV rows of the LLM-judge exports: the validation per judge and dimension, and
the items where a judge and the experts part."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from reports.judge_validation import Figure
from reports.selectors.export_rows import CsvRow
from reports.selectors.judging import JudgeDisagreement, JudgeValidation

FIGURES = (
    "kappa_judge_expert", "kappa_expert_expert", "spearman", "kendall", "judge_minus_experts",
    "kappa_two_passes", "ranking_tau",
)  # fmt: skip


def _figure(figure: Figure) -> CsvRow:
    return [figure.value if figure.value is not None else "", figure.n, figure.undefined]


def export_judge_validation(*, validations: Sequence[JudgeValidation]) -> Iterator[CsvRow]:
    yield [
        "judge", "prompt_version", "dimension", "items", "verdicts", "failed",
        *(f"{name}{part}" for name in FIGURES for part in ("", "_n", "_undefined")),
        "confusion", "verdict", "reads",
    ]  # fmt: skip
    for validation in validations:
        for row in validation.dimensions:
            yield [
                validation.judge, validation.prompt_version, row.dimension, row.items,
                validation.verdicts, validation.failed,
                *(cell for figure in row.figures for cell in _figure(figure)),
                str(row.confusion), row.verdict, validation.note,
            ]  # fmt: skip


def export_judge_disagreements(
    *, rows: Mapping[str, Sequence[JudgeDisagreement]]
) -> Iterator[CsvRow]:
    yield ["judge", "dataset", "sample", "system", "response_id", "response", "dimension",
           "judge_score", "experts_mean", "experts", "judge_reason"]  # fmt: skip
    for judge, disagreements in rows.items():
        for row in disagreements:
            yield [judge, row.dataset, row.sample, row.system, row.response_id, row.response,
                   row.dimension, row.judge_score, row.experts_mean, row.experts,
                   row.reason]  # fmt: skip
