"""The study's ratings as the analysis reads them: agreement, annotators, unsafe
responses, score distributions. Gold items never enter agreement or the tables: their
answers are known, so they measure the annotator, not the system."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from annotation.models import Rating, SafetyFlag
from annotation.rater_quality import RaterQuality
from annotation.rubric import SCALE_KEYS, SCALE_MAXIMUM
from annotation.selectors import study_pay_rows
from annotation.selectors.quality import (
    ExclusionSummary,
    excluded_ratings,
    ratings_in_analysis,
    study_exclusions,
    study_rater_quality,
)
from generation.models import Response
from reports.agreement import (
    DimensionAgreement,
    RaterAgreement,
    ScoreRecord,
    agreement_table,
    rater_agreement,
)
from reports.models import EvalRun

HUMAN_LABELS = {"content": "Con.", "empathy": "Emp.", "helpfulness": "Hel.", "safety": "Saf."}
DOMAINS = {key: list(range(SCALE_MAXIMUM[key] + 1)) for key in SCALE_KEYS}


def human_ratings(run: EvalRun, *, include_excluded: bool = False) -> QuerySet[Rating]:
    """The ordinary ratings of the run's study that its analysis uses: after exclusions,
    unless `include_excluded` (the "all ratings" view)."""
    return ratings_in_analysis(study_id=run.study_id, include_excluded=include_excluded).filter(
        assignment__item__is_gold=False
    )


@dataclass(frozen=True, slots=True)
class RatedItem:
    """One ordinary (not gold) rating of a run's study, as every figure reads it."""

    rating_id: int
    item_id: int
    annotator_id: int
    dataset_id: int
    system_id: int
    system: str
    sample_id: int
    excluded: bool  # left out by a live exclusion
    scores: tuple[int, ...]  # in SCALE_KEYS order


@dataclass(frozen=True)
class RunRatings:
    rows: tuple[RatedItem, ...]

    def view(self, *, include_excluded: bool) -> list[RatedItem]:
        """All of them (the "all ratings" view), or those no exclusion left out."""
        return [row for row in self.rows if include_excluded or not row.excluded]


def _rated_item(row: tuple[Any, ...]) -> RatedItem:
    rating_id, item, annotator, dataset, system_id, system, sample, excluded = row[:8]
    return RatedItem(
        rating_id=rating_id,
        item_id=item,
        annotator_id=annotator,
        dataset_id=dataset,
        system_id=system_id,
        system=system,
        sample_id=sample,
        excluded=excluded,
        scores=tuple(row[8:]),
    )


def run_ratings(*, run: EvalRun) -> RunRatings:
    """Every ordinary rating of the run's study, the excluded ones flagged, in one query:
    a page reads them once for Table 1, agreement, annotators, charts and comparisons."""
    if run.study_id is None:
        return RunRatings(())
    left_out = excluded_ratings(study_id=run.study_id).filter(pk=OuterRef("pk"))
    rows = (
        human_ratings(run, include_excluded=True)
        .annotate(left_out=Exists(left_out))
        .values_list(
            "pk",
            "assignment__item_id",
            "assignment__annotator_id",
            "assignment__item__response__sample__dataset_id",
            "assignment__item__response__system_id",
            "assignment__item__response__system__name",
            "assignment__item__response__sample_id",
            "left_out",
            *SCALE_KEYS,
        )
    )
    return RunRatings(tuple(_rated_item(row) for row in rows.iterator(chunk_size=5000)))


def run_score_records(
    *, run: EvalRun, include_excluded: bool = False, rated: RunRatings | None = None
) -> list[ScoreRecord]:
    rated = rated if rated is not None else run_ratings(run=run)
    return [
        ScoreRecord(str(row.item_id), str(row.annotator_id), key, score)
        for row in rated.view(include_excluded=include_excluded)
        for key, score in zip(SCALE_KEYS, row.scores, strict=True)
    ]


# The agreement table is a pure function of the ratings and the run's seed (its
# bootstrap intervals are seeded), and its intervals are most of a dashboard load: kept
# per ratings fingerprint, so a reload or an export after a visit reuses them, and any
# new, revised or left-out rating makes a new key.
AGREEMENT_CACHE_SECONDS = 24 * 3600


def _agreement_key(seed: int, records: list[ScoreRecord]) -> str:
    digest = hashlib.sha256(f"{seed}".encode())
    for record in records:
        digest.update(f"|{record.item}:{record.rater}:{record.dimension}:{record.score}".encode())
    return "reports:agreement:" + digest.hexdigest()


def run_agreement(
    *, run: EvalRun, include_excluded: bool = False, rated: RunRatings | None = None
) -> list[DimensionAgreement]:
    records = run_score_records(run=run, include_excluded=include_excluded, rated=rated)
    key = _agreement_key(run.seed, records)
    table: list[DimensionAgreement] | None = cache.get(key)
    if table is None:
        table = agreement_table(records, domains=DOMAINS, seed=run.seed)
        cache.set(key, table, AGREEMENT_CACHE_SECONDS)
    return table


def run_exclusions(*, run: EvalRun) -> ExclusionSummary:
    return study_exclusions(study_id=run.study_id)


@dataclass(frozen=True)
class AnnotatorRow:
    annotator: str
    annotator_id: int
    items: int
    active_seconds: int
    earned: Decimal  # for all their work: exclusions never change pay
    currency: str
    hourly_wage: Decimal | None
    minimum_hourly_wage: Decimal
    below_minimum: bool
    peer_agreement: RaterAgreement | None
    gold_rated: int
    gold_accuracy: float | None
    quality: RaterQuality | None
    too_fast_seconds: int
    excluded: str  # the reason the whole rater is left out of the analysis, or ""
    exclusion_id: int | None
    ratings_left_out: int


def run_annotator_rows(*, run: EvalRun, rated: RunRatings | None = None) -> list[AnnotatorRow]:
    """Pay, peer agreement and quality per annotator, over all their ratings (quality is
    what an exclusion is decided on, so it is shown whether or not one was made)."""
    study = run.study
    if study is None:
        return []
    peers = {
        row.rater: row
        for row in rater_agreement(run_score_records(run=run, include_excluded=True, rated=rated))
    }
    quality = {row.annotator.pk: row for row in study_rater_quality(study=study)}
    rows = []
    for row in study_pay_rows(study=study):
        rater = quality.get(row.annotator.pk)
        rows.append(
            AnnotatorRow(
                annotator=row.annotator.user.get_username(),
                annotator_id=row.annotator.pk,
                items=row.submitted,
                active_seconds=row.active_seconds,
                earned=row.earned,
                currency=study.currency,
                hourly_wage=row.hourly_wage,
                minimum_hourly_wage=study.minimum_hourly_wage,
                below_minimum=row.below_minimum,
                peer_agreement=peers.get(str(row.annotator.pk)),
                gold_rated=row.gold_rated,
                gold_accuracy=row.gold_accuracy,
                quality=rater.quality if rater else None,
                too_fast_seconds=study.too_fast_seconds,
                excluded=rater.exclusion.reason if rater and rater.exclusion else "",
                exclusion_id=rater.exclusion.pk if rater and rater.exclusion else None,
                ratings_left_out=rater.ratings_left_out if rater else 0,
            )
        )
    return rows


@dataclass(frozen=True)
class UnsafeResponse:
    dataset: str
    sample: str
    system: str
    text: str
    flags: int
    unreviewed: int
    notes: list[str]


def run_unsafe_responses(*, run: EvalRun) -> list[UnsafeResponse]:
    """Responses any rater gave Safety 0, those with unreviewed flags and most flags first."""
    if run.study_id is None:
        return []
    flags = (
        SafetyFlag.objects.filter(rating__assignment__item__study_id=run.study_id)
        .values("response_id")
        .annotate(flags=Count("pk"), unreviewed=Count("pk", filter=Q(reviewed_at__isnull=True)))
        .order_by("-unreviewed", "-flags", "response_id")
    )
    responses = Response.objects.select_related("sample__dataset", "system").in_bulk(
        [row["response_id"] for row in flags]
    )
    notes: dict[int, list[str]] = defaultdict(list)
    for response_id, comment in SafetyFlag.objects.filter(
        rating__assignment__item__study_id=run.study_id
    ).values_list("response_id", "rating__comment"):
        if comment:
            notes[response_id].append(comment)
    return [
        UnsafeResponse(
            dataset=responses[row["response_id"]].sample.dataset.name,
            sample=responses[row["response_id"]].sample.source_id,
            system=responses[row["response_id"]].system.name,
            text=responses[row["response_id"]].text,
            flags=row["flags"],
            unreviewed=row["unreviewed"],
            notes=notes[row["response_id"]],
        )
        for row in flags
    ]


def run_score_distributions(
    *, run: EvalRun, include_excluded: bool = False, rated: RunRatings | None = None
) -> dict[str, list[tuple[str, dict[int, int]]]]:
    """Dimension → [(system, score → count)] over the study's non-gold ratings."""
    if run.study_id is None:
        return {}
    rated = rated if rated is not None else run_ratings(run=run)
    counts: dict[str, dict[str, dict[int, int]]] = {key: {} for key in SCALE_KEYS}
    for row in rated.view(include_excluded=include_excluded):
        for key, score in zip(SCALE_KEYS, row.scores, strict=True):
            per_system = counts[key].setdefault(row.system, dict.fromkeys(DOMAINS[key], 0))
            per_system[score] += 1
    return {key: sorted(systems.items()) for key, systems in counts.items()}
