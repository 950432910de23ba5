"""Reads of the reports app: run progress, Table 1, agreement, annotators, unsafe
responses and the rows of every export. Gold items never enter Table 1 or agreement:
their answers are known, so they measure the annotator, not the system."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Q, QuerySet

from annotation.models import Rating, SafetyFlag, Study
from annotation.rubric import SCALE_KEYS, SCALE_MAXIMUM
from annotation.selectors import StudyProgress, study_pay_rows, study_progress
from generation.models import Dataset, Response, System
from reports.agreement import (
    DimensionAgreement,
    RaterAgreement,
    ScoreRecord,
    agreement_table,
    rater_agreement,
)
from reports.metrics import (
    METRIC_KEYS,
    METRIC_LABELS,
    PROFILE_SACREBLEU,
    PROFILE_SOULCHAT,
    SACREBLEU_KEY,
    sacrebleu_from_statistics,
    sacrebleu_statistics,
)
from reports.models import EvalRun, EvalSample, ResponseScore
from reports.statistics import Estimate, bootstrap_mean, bootstrap_statistic, paired_bootstrap_p

HUMAN_LABELS = {"content": "Con.", "empathy": "Emp.", "helpfulness": "Hel.", "safety": "Saf."}
DOMAINS = {key: list(range(SCALE_MAXIMUM[key] + 1)) for key in SCALE_KEYS}


class RunNotFound(Exception):
    pass


def run_get(*, run_id: int) -> EvalRun:
    run = EvalRun.objects.filter(pk=run_id).select_related("study").first()
    if run is None:
        raise RunNotFound(f"no evaluation run {run_id}")
    return run


# Progress ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SystemProgress:
    system: str
    answered: int
    expected: int
    job_status: str  # of its latest job in this run, "" when none


@dataclass(frozen=True)
class RunProgress:
    status: str
    error: str
    systems: list[SystemProgress]
    answered: int
    expected: int
    scored: int
    study: StudyProgress | None
    study_status: str
    awaiting_study: bool  # the run has a human sample and its study is not open yet
    failed: bool

    @property
    def settled(self) -> bool:
        """Nothing more happens without people: every response scored and the study
        open, or the run failed."""
        return self.failed or (self.scored >= self.expected and not self.awaiting_study)

    @property
    def generation_percent(self) -> float:
        return 100.0 * self.answered / self.expected if self.expected else 100.0

    @property
    def scoring_percent(self) -> float:
        return 100.0 * self.scored / self.expected if self.expected else 100.0

    @property
    def rating_percent(self) -> float:
        if self.study is None or not self.study.slots:
            return 0.0
        return 100.0 * self.study.submitted / self.study.slots


def _run_samples(run: EvalRun) -> QuerySet:
    return EvalSample.objects.filter(run=run).values("sample_id")


def run_responses(*, run: EvalRun) -> QuerySet[Response]:
    return Response.objects.filter(sample_id__in=_run_samples(run), system__in=run.systems.all())


def run_progress(*, run: EvalRun) -> RunProgress:
    samples = EvalSample.objects.filter(run=run).count()
    answered = dict(run_responses(run=run).values_list("system").annotate(n=Count("pk")).order_by())
    latest_jobs = {}
    for job in run.generation_jobs.order_by("pk"):
        latest_jobs[job.system_id] = job.status
    systems = [
        SystemProgress(
            system=system.name,
            answered=answered.get(system.pk, 0),
            expected=samples,
            job_status=latest_jobs.get(system.pk, ""),
        )
        for system in run.systems.order_by("name")
    ]
    study = Study.objects.filter(pk=run.study_id).first()
    return RunProgress(
        status=run.get_status_display(),
        error=run.error,
        systems=systems,
        answered=sum(row.answered for row in systems),
        expected=samples * len(systems),
        scored=ResponseScore.objects.filter(response__in=run_responses(run=run)).count(),
        study=study_progress(study=study) if study else None,
        study_status=study.get_status_display() if study else "",
        awaiting_study=run.human_samples > 0 and study is None,
        failed=run.status == EvalRun.Status.FAILED,
    )


# Table 1 ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str  # "auto" or "human"


@dataclass
class ResultRow:
    dataset: str
    system: str
    samples: int  # samples with a scored response
    empty: int  # of which the response was empty
    rated_items: int
    cells: dict[str, Estimate | None]
    best: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class ResultsTable:
    profile: str
    columns: list[Column]
    rows: list[ResultRow]
    agreement: list[DimensionAgreement]
    seed: int


def _columns(profile: str) -> list[Column]:
    if profile == PROFILE_SACREBLEU:
        auto = [Column(SACREBLEU_KEY, "BLEU (corpus)", "auto")]
    else:
        auto = [Column(key, METRIC_LABELS[key], "auto") for key in METRIC_KEYS]
    return auto + [Column(key, HUMAN_LABELS[key], "human") for key in SCALE_KEYS]


def _auto_values(run: EvalRun) -> dict[tuple[int, int], list[tuple]]:
    """(dataset id, system id) → [(sample id, response id, scores...)] in sample order."""
    rows = (
        ResponseScore.objects.filter(response__in=run_responses(run=run))
        .order_by("response__sample_id")
        .values_list(
            "response__sample__dataset_id",
            "response__system_id",
            "response__sample_id",
            "empty",
            *METRIC_KEYS,
        )
    )
    grouped: dict[tuple[int, int], list[tuple]] = defaultdict(list)
    for dataset_id, system_id, sample_id, empty, *scores in rows.iterator(chunk_size=5000):
        grouped[(dataset_id, system_id)].append((sample_id, empty, *scores))
    return grouped


def _human_ratings(run: EvalRun) -> QuerySet[Rating]:
    return Rating.objects.filter(
        assignment__item__study_id=run.study_id, assignment__item__is_gold=False
    )


def _human_item_means(run: EvalRun) -> dict[tuple[int, int], dict[str, list[float]]]:
    """(dataset id, system id) → dimension → per-item mean scores (an item's raters
    averaged first, so an item rated three times weighs what one rated twice does)."""
    if run.study_id is None:
        return {}
    per_item: dict[int, dict] = {}
    rows = _human_ratings(run).values_list(
        "assignment__item_id",
        "assignment__item__response__sample__dataset_id",
        "assignment__item__response__system_id",
        *SCALE_KEYS,
    )
    for item_id, dataset_id, system_id, *scores in rows.iterator():
        entry = per_item.setdefault(
            item_id, {"key": (dataset_id, system_id), "scores": defaultdict(list)}
        )
        for key, score in zip(SCALE_KEYS, scores, strict=True):
            entry["scores"][key].append(score)
    grouped: dict[tuple[int, int], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for entry in per_item.values():
        for key, values in entry["scores"].items():
            grouped[entry["key"]][key].append(sum(values) / len(values))
    return grouped


def _sacrebleu_cell(run: EvalRun, dataset_id: int, system_id: int) -> Estimate | None:
    pairs = list(
        run_responses(run=run)
        .filter(sample__dataset_id=dataset_id, system_id=system_id)
        .order_by("sample_id")
        .values_list("text", "sample__reference")
    )
    if not pairs:
        return None
    statistics = sacrebleu_statistics(pairs)
    interval = bootstrap_statistic(
        len(statistics),
        lambda indices: sacrebleu_from_statistics([statistics[i] for i in indices]),
        seed=run.seed,
        resamples=200,
    )
    low, high = interval if interval else (float("nan"), float("nan"))
    return Estimate(
        mean=sacrebleu_from_statistics(statistics), low=low, high=high, n=len(statistics)
    )


def results_table(
    *, run: EvalRun, profile: str = PROFILE_SOULCHAT, with_agreement: bool = True
) -> ResultsTable:
    """Table 1: per dataset × system, the automatic metrics (mean ×100) and the human
    means, each with n and a 95% bootstrap interval; the best mean per column and
    dataset is marked."""
    if profile not in (PROFILE_SOULCHAT, PROFILE_SACREBLEU):
        raise ValueError(f"unknown metric profile {profile!r}")
    columns = _columns(profile)
    auto = _auto_values(run)
    human = _human_item_means(run)
    rows = []
    for dataset in run.datasets.order_by("name"):
        dataset_rows = []
        for system in run.systems.order_by("name"):
            values = auto.get((dataset.pk, system.pk), [])
            cells: dict[str, Estimate | None] = {}
            if profile == PROFILE_SACREBLEU:
                cells[SACREBLEU_KEY] = _sacrebleu_cell(run, dataset.pk, system.pk)
            else:
                for offset, key in enumerate(METRIC_KEYS):
                    cells[key] = bootstrap_mean(
                        [row[2 + offset] * 100 for row in values], seed=run.seed
                    )
            ratings = human.get((dataset.pk, system.pk), {})
            for key in SCALE_KEYS:
                cells[key] = bootstrap_mean(ratings.get(key, []), seed=run.seed)
            dataset_rows.append(
                ResultRow(
                    dataset=dataset.name,
                    system=system.name,
                    samples=len(values),
                    empty=sum(1 for row in values if row[1]),
                    rated_items=max((len(v) for v in ratings.values()), default=0),
                    cells=cells,
                )
            )
        for column in columns:
            means = [row.cells[column.key].mean for row in dataset_rows if row.cells[column.key]]
            if len(means) > 1:
                top = max(means)
                for row in dataset_rows:
                    cell = row.cells[column.key]
                    if cell is not None and cell.mean == top:
                        row.best.add(column.key)
        rows.extend(dataset_rows)
    return ResultsTable(
        profile=profile,
        columns=columns,
        rows=rows,
        agreement=run_agreement(run=run) if with_agreement else [],
        seed=run.seed,
    )


@dataclass(frozen=True)
class Comparison:
    dataset: str
    first: str
    second: str
    metric: str
    first_mean: float
    second_mean: float
    samples: int
    p_value: float


def systems_compare(
    *, run: EvalRun, dataset: Dataset, first: System, second: System, metric: str
) -> Comparison:
    """Paired bootstrap p-value of two systems on the samples both were scored (or
    rated) on."""
    if metric in METRIC_KEYS:
        offset = METRIC_KEYS.index(metric)
        auto = _auto_values(run)
        a = {row[0]: row[2 + offset] * 100 for row in auto.get((dataset.pk, first.pk), [])}
        b = {row[0]: row[2 + offset] * 100 for row in auto.get((dataset.pk, second.pk), [])}
    elif metric in SCALE_KEYS:
        a, b = (_human_by_sample(run, dataset, system, metric) for system in (first, second))
    else:
        raise ValueError(f"unknown metric {metric!r}")
    shared = sorted(a.keys() & b.keys())
    if not shared:
        raise ValueError("the two systems share no scored sample")
    first_values = [a[key] for key in shared]
    second_values = [b[key] for key in shared]
    return Comparison(
        dataset=dataset.name,
        first=first.name,
        second=second.name,
        metric=metric,
        first_mean=sum(first_values) / len(shared),
        second_mean=sum(second_values) / len(shared),
        samples=len(shared),
        p_value=paired_bootstrap_p(first_values, second_values, seed=run.seed),
    )


def _human_by_sample(run: EvalRun, dataset: Dataset, system: System, key: str) -> dict:
    values: dict[int, list[int]] = defaultdict(list)
    rows = _human_ratings(run).filter(
        assignment__item__response__system=system,
        assignment__item__response__sample__dataset=dataset,
    )
    for sample_id, score in rows.values_list("assignment__item__response__sample_id", key):
        values[sample_id].append(score)
    return {sample_id: sum(v) / len(v) for sample_id, v in values.items()}


# Agreement and annotators -------------------------------------------------------------


def run_score_records(*, run: EvalRun) -> list[ScoreRecord]:
    if run.study_id is None:
        return []
    records = []
    rows = _human_ratings(run).values_list(
        "assignment__item_id", "assignment__annotator_id", *SCALE_KEYS
    )
    for item_id, annotator_id, *scores in rows.iterator():
        for key, score in zip(SCALE_KEYS, scores, strict=True):
            records.append(ScoreRecord(str(item_id), str(annotator_id), key, score))
    return records


def run_agreement(*, run: EvalRun) -> list[DimensionAgreement]:
    return agreement_table(run_score_records(run=run), domains=DOMAINS, seed=run.seed)


@dataclass(frozen=True)
class AnnotatorRow:
    annotator: str
    items: int
    active_seconds: int
    earned: Decimal
    currency: str
    hourly_wage: Decimal | None
    minimum_hourly_wage: Decimal
    below_minimum: bool
    peer_agreement: RaterAgreement | None
    gold_rated: int
    gold_accuracy: float | None


def run_annotator_rows(*, run: EvalRun) -> list[AnnotatorRow]:
    study = run.study
    if study is None:
        return []
    peers = {row.rater: row for row in rater_agreement(run_score_records(run=run))}
    return [
        AnnotatorRow(
            annotator=row.annotator.user.get_username(),
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
        )
        for row in study_pay_rows(study=study)
    ]


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


# Export rows ------------------------------------------------------------------------


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""


def export_ratings(*, run: EvalRun) -> Iterator[list]:
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


def export_responses(*, run: EvalRun) -> Iterator[list]:
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


def _cell_columns(estimate: Estimate | None) -> list:
    if estimate is None:
        return ["", "", "", 0]
    return [round(estimate.mean, 4), round(estimate.low, 4), round(estimate.high, 4), estimate.n]


def export_table(*, table: ResultsTable) -> Iterator[list]:
    header = ["profile", "dataset", "system", "samples", "empty_responses", "rated_items"]
    for column in table.columns:
        header += [column.label, f"{column.label} ci_low", f"{column.label} ci_high",
                   f"{column.label} n", f"{column.label} best"]  # fmt: skip
    yield header
    for row in table.rows:
        line = [table.profile, row.dataset, row.system, row.samples, row.empty, row.rated_items]
        for column in table.columns:
            line += [*_cell_columns(row.cells[column.key]), column.key in row.best]
        yield line


def export_agreement(*, agreement: list[DimensionAgreement]) -> Iterator[list]:
    yield [
        "dimension", "ratings", "items", "kappa_items", "raters_per_item", "percent_agreement",
        "fleiss_kappa", "kappa_ci_low", "kappa_ci_high", "kappa_band",
        "krippendorff_alpha_ordinal", "alpha_ci_low", "alpha_ci_high", "alpha_band", "note",
    ]  # fmt: skip
    for row in agreement:
        note = row.kappa.undefined or row.alpha.undefined or ""
        yield [
            row.dimension, row.ratings, row.items, row.kappa_items, row.raters,
            "" if row.percent_agreement is None else round(row.percent_agreement, 2),
            *_coefficient_columns(row.kappa), *_coefficient_columns(row.alpha), note,
        ]  # fmt: skip


def _coefficient_columns(coefficient) -> list:
    def rounded(value):
        return "" if value is None else round(value, 4)

    return [
        rounded(coefficient.value),
        rounded(coefficient.low),
        rounded(coefficient.high),
        coefficient.band or "",
    ]


def export_annotators(*, rows: list[AnnotatorRow]) -> Iterator[list]:
    yield [
        "annotator", "items", "active_seconds", "earned", "currency", "hourly_wage",
        "below_minimum", "peer_mean_absolute_difference", "peer_exact_agreement_percent",
        "gold_rated", "gold_accuracy_percent",
    ]  # fmt: skip
    for row in rows:
        peer = row.peer_agreement
        yield [
            row.annotator, row.items, row.active_seconds, row.earned, row.currency,
            "" if row.hourly_wage is None else row.hourly_wage, row.below_minimum,
            "" if peer is None or peer.mean_absolute_difference is None
            else round(peer.mean_absolute_difference, 4),
            "" if peer is None or peer.exact_agreement is None
            else round(peer.exact_agreement, 2),
            row.gold_rated,
            "" if row.gold_accuracy is None else round(row.gold_accuracy * 100, 2),
        ]  # fmt: skip


def export_payroll(*, rows: list[AnnotatorRow]) -> Iterator[list]:
    yield ["annotator", "items", "active_hours", "amount", "currency"]
    for row in rows:
        hours = (Decimal(row.active_seconds) / Decimal(3600)).quantize(Decimal("0.0001"))
        yield [row.annotator, row.items, hours, row.earned, row.currency]


def export_unsafe(*, rows: list[UnsafeResponse]) -> Iterator[list]:
    yield ["dataset", "sample", "system", "response", "flags", "unreviewed", "notes"]
    for row in rows:
        yield [row.dataset, row.sample, row.system, row.text, row.flags, row.unreviewed,
               " | ".join(row.notes)]  # fmt: skip


def runs_with_progress() -> list[tuple[EvalRun, RunProgress]]:
    runs = EvalRun.objects.select_related("study").prefetch_related("datasets", "systems")
    return [(run, run_progress(run=run)) for run in runs[:50]]


def run_score_distributions(*, run: EvalRun) -> dict[str, list[tuple[str, dict[int, int]]]]:
    """Dimension → [(system, score → count)] over the study's non-gold ratings."""
    if run.study_id is None:
        return {}
    counts: dict[str, dict[str, dict[int, int]]] = {key: {} for key in SCALE_KEYS}
    rows = _human_ratings(run).values_list("assignment__item__response__system__name", *SCALE_KEYS)
    for system, *scores in rows.iterator():
        for key, score in zip(SCALE_KEYS, scores, strict=True):
            per_system = counts[key].setdefault(system, dict.fromkeys(DOMAINS[key], 0))
            per_system[score] += 1
    return {key: sorted(systems.items()) for key, systems in counts.items()}
