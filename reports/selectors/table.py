"""What Table 1 is made of: its columns, rows and the table, and how a cell is computed
from values (no queries here: reports.selectors.results and .floors fetch the values)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from annotation.selectors.quality import ExclusionSummary
from annotation.selectors.screening import ScreeningCounts
from reports.agreement import DimensionAgreement
from reports.metrics import sacrebleu_from_statistics, sacrebleu_statistics
from reports.statistics import Estimate, bootstrap_statistic

DIVERSITY_LABELS = {"distinct_1": "D-1", "distinct_2": "D-2", "length": "Len."}
# Which ratings the human columns read: what exclusions left in, or every rating.
AFTER_EXCLUSIONS, ALL_RATINGS = "after-exclusions", "all"
RATINGS_VIEWS = (AFTER_EXCLUSIONS, ALL_RATINGS)
# What a row is: a system's answers, the human reference (each sample's own counsellor
# reply, rated blind: the ceiling of the human columns), or the floor (a random
# counsellor turn: what the automatic columns are read against).
SYSTEM_ROW, REFERENCE_ROW, FLOOR_ROW = "system", "reference", "floor"
ROW_ORDER = (SYSTEM_ROW, REFERENCE_ROW, FLOOR_ROW)
FLOOR_LABEL = "random counsellor turn (floor)"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str  # "auto", "diversity" or "human"


def table_note(*, ratings: str, exclusions: ExclusionSummary, screening: ScreeningCounts) -> str:
    """What a caption says about exclusions and identity screening, or ""."""
    notes = []
    described = exclusions.describe()
    if described and ratings == ALL_RATINGS:
        notes.append(f"All ratings, exclusions ignored ({described}).")
    elif described:
        notes.append(f"After exclusions: {described}.")
    if screening.found:
        notes.append(f"{screening.describe()}.")
    return " ".join(notes)


@dataclass
class ResultRow:
    dataset: str
    system: str
    samples: int  # samples with a scored response (the reference row: with an answer)
    empty: int  # of which the response was empty
    rated_items: int
    cells: dict[str, Estimate | None]
    best: set[str] = field(default_factory=set)
    ratings_left_out: int = 0  # of this row's items, by exclusions (0 in the "all" view)
    kind: str = SYSTEM_ROW  # one of ROW_ORDER


@dataclass(frozen=True)
class ResultsTable:
    profile: str
    columns: list[Column]
    rows: list[ResultRow]
    agreement: list[DimensionAgreement]
    seed: int
    # Which ratings the human columns and agreement read, and what exclusions left out
    # (listed in either view, so that a reader of "all ratings" knows of them too).
    ratings: str = AFTER_EXCLUSIONS
    exclusions: ExclusionSummary = field(default_factory=lambda: ExclusionSummary([], 0))
    screening: ScreeningCounts = field(default_factory=lambda: ScreeningCounts(0, 0, 0, 0))
    # One per dataset: a real counsellor turn from another dialogue as every answer.
    floors: list[ResultRow] = field(default_factory=list)

    def ordered_rows(self) -> list[ResultRow]:
        """Each dataset's systems, then its human reference (when rated), then its floor:
        how every format lays the table out."""
        rows = [*self.rows, *self.floors]
        datasets = list(dict.fromkeys(row.dataset for row in rows))
        return [
            row
            for dataset in datasets
            for kind in ROW_ORDER
            for row in rows
            if row.dataset == dataset and row.kind == kind
        ]

    @property
    def note(self) -> str:
        """What the table's caption says about exclusions and identity screening, or ""."""
        return table_note(
            ratings=self.ratings, exclusions=self.exclusions, screening=self.screening
        )


def sacrebleu_estimate(pairs: Sequence[tuple[str, str]], *, seed: int) -> Estimate | None:
    """Corpus BLEU (profile sacrebleu) of (hypothesis, reference) pairs with a seeded
    bootstrap interval over pairs (200 resamples: each recomputes the corpus score)."""
    if not pairs:
        return None
    statistics = sacrebleu_statistics(list(pairs))
    interval = bootstrap_statistic(
        len(statistics),
        lambda indices: sacrebleu_from_statistics([statistics[i] for i in indices]),
        seed=seed,
        resamples=200,
    )
    low, high = interval if interval else (float("nan"), float("nan"))
    return Estimate(
        mean=sacrebleu_from_statistics(statistics), low=low, high=high, n=len(statistics)
    )
