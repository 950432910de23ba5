"""Every export of a run, in one registry that the dashboard's links, its download view
and `report --export` all read: a kind's rows come from the selectors
(reports.selectors.export_rows), and reports.exports writes them as CSV."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from common.errors import NOT_FOUND, ServiceError
from reports.models import EvalRun
from reports.selectors.differences import run_differences
from reports.selectors.export_rows import (
    CsvRow,
    export_agreement,
    export_annotators,
    export_differences,
    export_payroll,
    export_ratings,
    export_responses,
    export_table,
    export_unsafe,
)
from reports.selectors.judge_exports import export_judge_disagreements, export_judge_validation
from reports.selectors.judging import run_judge_disagreements, run_judge_validation, run_judges
from reports.selectors.pairwise_exports import export_pairwise, export_votes
from reports.selectors.ratings import run_agreement, run_annotator_rows, run_unsafe_responses
from reports.selectors.results import results_note, results_table
from reports.selectors.table import ALL_RATINGS


class ExportNotFound(ServiceError):
    code = NOT_FOUND


@dataclass(frozen=True)
class ExportKind:
    key: str
    label: str
    # The rows of the run's export under a ratings view (AFTER_EXCLUSIONS or ALL_RATINGS).
    rows: Callable[[EvalRun, str], Iterator[CsvRow]]
    # Whether the ratings view changes it (its link then carries the dashboard's view).
    by_ratings: bool = False

    def filename(self, run: EvalRun, ratings: str) -> str:
        suffix = "-all-ratings" if self.by_ratings and ratings == ALL_RATINGS else ""
        return f"run-{run.pk}-{self.key}{suffix}.csv"


def _table(run: EvalRun, ratings: str) -> Iterator[CsvRow]:
    return export_table(table=results_table(run=run, with_agreement=False, ratings=ratings))


def _agreement(run: EvalRun, ratings: str) -> Iterator[CsvRow]:
    # The agreement and the note, not the whole table: its bootstraps cost seconds.
    agreement = run_agreement(run=run, include_excluded=ratings == ALL_RATINGS)
    return export_agreement(agreement=agreement, exclusions=results_note(run=run, ratings=ratings))


def _annotators(run: EvalRun, ratings: str) -> Iterator[CsvRow]:
    return export_annotators(rows=run_annotator_rows(run=run))


def _payroll(run: EvalRun, ratings: str) -> Iterator[CsvRow]:
    return export_payroll(rows=run_annotator_rows(run=run))


def _ratings(run: EvalRun, ratings: str) -> Iterator[CsvRow]:
    return export_ratings(run=run)


def _responses(run: EvalRun, ratings: str) -> Iterator[CsvRow]:
    return export_responses(run=run)


def _unsafe(run: EvalRun, ratings: str) -> Iterator[CsvRow]:
    return export_unsafe(rows=run_unsafe_responses(run=run))


def _differences(run: EvalRun, ratings: str) -> Iterator[CsvRow]:
    return export_differences(tables=run_differences(run=run, ratings=ratings))


def _judges(run: EvalRun, ratings: str) -> Iterator[CsvRow]:
    return export_judge_validation(
        validations=[run_judge_validation(run=run, judge=judge) for judge in run_judges(run)]
    )


def _disagreements(run: EvalRun, ratings: str) -> Iterator[CsvRow]:
    return export_judge_disagreements(
        rows={
            judge.name: run_judge_disagreements(run=run, judge=judge) for judge in run_judges(run)
        }
    )


def _pairwise(run: EvalRun, ratings: str) -> Iterator[CsvRow]:
    return export_pairwise(run=run)


def _votes(run: EvalRun, ratings: str) -> Iterator[CsvRow]:
    return export_votes(run=run)


EXPORT_KINDS: dict[str, ExportKind] = {
    kind.key: kind
    for kind in (
        ExportKind("table", "Table 1", _table, by_ratings=True),
        ExportKind("agreement", "agreement", _agreement, by_ratings=True),
        ExportKind("differences", "system differences", _differences, by_ratings=True),
        ExportKind("annotators", "annotators", _annotators),
        ExportKind("payroll", "payroll", _payroll),
        ExportKind("ratings", "ratings", _ratings),
        ExportKind("responses", "responses with automatic scores", _responses),
        ExportKind("unsafe", "unsafe responses", _unsafe),
        ExportKind("judges", "LLM judges against the experts", _judges),
        ExportKind("judge-disagreements", "where judges and experts part", _disagreements),
        ExportKind("pairwise", "pairwise rankings", _pairwise),
        ExportKind("votes", "pairwise votes", _votes),
    )
}


def export_kind_get(*, key: str) -> ExportKind:
    kind = EXPORT_KINDS.get(key)
    if kind is None:
        raise ExportNotFound(f"no export {key!r}: one of {', '.join(EXPORT_KINDS)}")
    return kind
