"""The rows of every export: a header, then one list per line, streamed from the
selectors (reports.exports writes them as CSV)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

from annotation.models import Rating
from annotation.rubric import SCALE_KEYS
from reports.agreement import Coefficient, DimensionAgreement
from reports.metrics import METRIC_KEYS, PROFILE_SOULCHAT
from reports.models import EvalRun, EvalSample
from reports.selectors.differences import DifferencesTable
from reports.selectors.ratings import AnnotatorRow, UnsafeResponse
from reports.selectors.runs import run_responses
from reports.selectors.table import ResultsTable
from reports.statistics import Estimate

# One line of a CSV: the csv module writes str() of each cell, "" for None.
CsvRow = list[object]


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""


def export_ratings(*, run: EvalRun) -> Iterator[CsvRow]:
    yield [
        "item", "dataset", "sample", "system", "annotator", *SCALE_KEYS, "comment",
        "active_seconds", "gold", "leased_at", "submitted_at", "rating_id",
    ]  # fmt: skip
    if run.study_id is None:
        return
    rows = (
        Rating.objects.filter(assignment__item__study_id=run.study_id)
        .order_by("pk")
        .values_list(
            "assignment__item__public_id",
            "assignment__item__response__sample__dataset__name",
            "assignment__item__response__sample__source_id",
            "assignment__item__response__system__name",
            "assignment__annotator__user__username",
            *SCALE_KEYS,
            "comment",
            "active_seconds",
            "assignment__item__is_gold",
            "assignment__leased_at",
            "assignment__submitted_at",
            "pk",
        )
    )
    for row in rows.iterator(chunk_size=2000):
        *head, leased_at, submitted_at, pk = row
        yield [*head, _iso(leased_at), _iso(submitted_at), pk]


def export_responses(*, run: EvalRun) -> Iterator[CsvRow]:
    yield [
        "dataset", "sample", "system", "human_sample", "response", "reference", "empty",
        *(f"{key}_x100" for key in METRIC_KEYS), "profile",
    ]  # fmt: skip
    human = set(EvalSample.objects.filter(run=run, human=True).values_list("sample_id", flat=True))
    rows = (
        run_responses(run=run)
        .order_by("sample_id", "system__name")
        .values_list(
            "sample__dataset__name",
            "sample__source_id",
            "sample_id",
            "system__name",
            "text",
            "sample__reference",
            "automatic_scores__empty",
            *(f"automatic_scores__{key}" for key in METRIC_KEYS),
        )
    )
    for dataset, source_id, sample_id, system, text, reference, empty, *scores in rows.iterator(
        chunk_size=2000
    ):
        yield [
            dataset, source_id, system, sample_id in human, text, reference,
            "" if empty is None else empty,
            *("" if score is None else round(score * 100, 6) for score in scores),
            PROFILE_SOULCHAT,
        ]  # fmt: skip


def _cell_columns(estimate: Estimate | None) -> CsvRow:
    if estimate is None:
        return ["", "", "", 0]
    if not estimate.has_interval:
        return [round(estimate.mean, 4), "", "", estimate.n]
    return [round(estimate.mean, 4), round(estimate.low, 4), round(estimate.high, 4), estimate.n]


def export_table(*, table: ResultsTable) -> Iterator[CsvRow]:
    header = ["profile", "dataset", "system", "samples", "empty_responses", "rated_items"]
    for column in table.columns:
        header += [column.label, f"{column.label} ci_low", f"{column.label} ci_high",
                   f"{column.label} n", f"{column.label} best"]  # fmt: skip
    # Which ratings the human columns read, and what exclusions left out of them.
    yield [*header, "ratings", "ratings_left_out", "note", "kind"]
    for row in table.ordered_rows():
        line = [table.profile, row.dataset, row.system, row.samples, row.empty, row.rated_items]
        for column in table.columns:
            line += [*_cell_columns(row.cells[column.key]), column.key in row.best]
        yield [*line, table.ratings, row.ratings_left_out, table.note, row.kind]


def export_agreement(
    *, agreement: list[DimensionAgreement], exclusions: str = ""
) -> Iterator[CsvRow]:
    """One row per dimension; `exclusions` is what the analysis left out, in words."""
    yield [
        "dimension", "ratings", "items", "kappa_items", "raters_per_item", "percent_agreement",
        "fleiss_kappa", "kappa_ci_low", "kappa_ci_high", "kappa_band",
        "krippendorff_alpha_ordinal", "alpha_ci_low", "alpha_ci_high", "alpha_band", "note",
        "exclusions", "gwet_ac1", "ac1_ci_low", "ac1_ci_high", "ac1_band", "gwet_ac2_ordinal",
        "ac2_ci_low", "ac2_ci_high", "ac2_band", "observed_agreement", "majority_category",
        "majority_prevalence",
    ]  # fmt: skip
    for row in agreement:
        note = row.kappa.undefined or row.alpha.undefined or ""
        yield [
            row.dimension, row.ratings, row.items, row.kappa_items, row.raters,
            "" if row.percent_agreement is None else round(row.percent_agreement, 2),
            *_coefficient_columns(row.kappa), *_coefficient_columns(row.alpha), note,
            exclusions, *_coefficient_columns(row.ac1), *_coefficient_columns(row.ac2),
            _rounded(row.observed_agreement, 2),
            "" if row.majority_category is None else row.majority_category,
            _rounded(row.majority_prevalence, 2),
        ]  # fmt: skip


def _coefficient_columns(coefficient: Coefficient) -> CsvRow:
    def rounded(value: float | None) -> float | str:
        return "" if value is None else round(value, 4)

    return [
        rounded(coefficient.value),
        rounded(coefficient.low),
        rounded(coefficient.high),
        coefficient.band or "",
    ]


def _rounded(value: float | None, digits: int) -> float | str:
    return "" if value is None else round(value, digits)


def export_annotators(*, rows: list[AnnotatorRow]) -> Iterator[CsvRow]:
    yield [
        "annotator", "items", "active_seconds", "earned", "currency", "hourly_wage",
        "below_minimum", "peer_mean_absolute_difference", "peer_exact_agreement_percent",
        "gold_rated", "gold_accuracy_percent", "median_seconds_per_item",
        "seconds_min", "seconds_q1", "seconds_q3", "seconds_max", "too_fast_seconds",
        "too_fast_percent", "straight_lining_percent",
        *(f"loo_spearman_{key}" for key in SCALE_KEYS), "flags", "excluded",
        "ratings_left_out",
    ]  # fmt: skip
    for row in rows:
        peer, quality = row.peer_agreement, row.quality
        spread = quality.seconds_spread if quality else ("",) * 5
        yield [
            row.annotator, row.items, row.active_seconds, row.earned, row.currency,
            "" if row.hourly_wage is None else row.hourly_wage, row.below_minimum,
            _rounded(peer.mean_absolute_difference if peer else None, 4),
            _rounded(peer.exact_agreement if peer else None, 2),
            row.gold_rated,
            "" if row.gold_accuracy is None else round(row.gold_accuracy * 100, 2),
            quality.median_seconds if quality else "", spread[0], spread[1], spread[3],
            spread[4], row.too_fast_seconds,
            round(quality.too_fast_share * 100, 2) if quality else "",
            round(quality.straight_lining_share * 100, 2) if quality else "",
            *(
                (_rounded(quality.agreement[key].value, 4)
                 if quality.agreement[key].value is not None
                 else quality.agreement[key].undefined)
                if quality else ""
                for key in SCALE_KEYS
            ),
            " | ".join(quality.flags) if quality else "", row.excluded, row.ratings_left_out,
        ]  # fmt: skip


def export_payroll(*, rows: list[AnnotatorRow]) -> Iterator[CsvRow]:
    yield ["annotator", "items", "active_hours", "amount", "currency"]
    for row in rows:
        hours = (Decimal(row.active_seconds) / Decimal(3600)).quantize(Decimal("0.0001"))
        yield [row.annotator, row.items, hours, row.earned, row.currency]


def export_unsafe(*, rows: list[UnsafeResponse]) -> Iterator[CsvRow]:
    yield ["dataset", "sample", "system", "response", "flags", "unreviewed", "notes"]
    for row in rows:
        yield [row.dataset, row.sample, row.system, row.text, row.flags, row.unreviewed,
               " | ".join(row.notes)]  # fmt: skip


def export_differences(*, tables: list[DifferencesTable]) -> Iterator[CsvRow]:
    """One row per pair of systems and dimension; a dimension without a model is one row
    with the reason in `problem`."""
    yield [
        "dataset", "dimension", "first", "second", "difference", "ci_low", "ci_high",
        "p_value", "p_holm", "ratings", "items", "raters", "item_variance", "rater_variance",
        "residual_variance", "problem", "note", "model",
    ]  # fmt: skip
    for table in tables:
        for fit in table.fits:
            scope = [fit.ratings, fit.items, fit.raters]
            variance: CsvRow = (
                ["", "", ""]
                if fit.variance is None
                else [_rounded(value, 6) for value in
                      (fit.variance.item, fit.variance.rater, fit.variance.residual)]
            )  # fmt: skip
            if fit.problem:
                yield [table.dataset, fit.dimension, "", "", "", "", "", "", "", *scope,
                       *variance, fit.problem, fit.note, table.note]  # fmt: skip
                continue
            for d in fit.differences:
                yield [
                    table.dataset, fit.dimension, d.first, d.second, round(d.estimate, 6),
                    round(d.low, 6), round(d.high, 6), _rounded(d.p_value, 8),
                    _rounded(d.p_holm, 8), *scope, *variance, "", fit.note, table.note,
                ]  # fmt: skip
