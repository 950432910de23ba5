"""What identity screening found in a study, and what admins decided."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from annotation.models import Item

Screening = Item.Screening


@dataclass(frozen=True)
class ScreeningCounts:
    held: int  # awaiting a decision
    masked: int
    released: int
    excluded: int

    @property
    def found(self) -> int:
        return self.held + self.masked + self.released + self.excluded

    def describe(self) -> str:
        """Table 1's note on the responses that named their system, or ""."""
        if not self.found:
            return ""
        return (
            f"{self.found} response{'s' if self.found != 1 else ''} named a system and "
            f"{'were' if self.found != 1 else 'was'} held back from annotators: "
            f"{self.masked} masked, {self.released} released as written, "
            f"{self.excluded} left out, {self.held} awaiting a decision"
        )


def study_screening_counts(*, study_id: int | None) -> ScreeningCounts:
    if study_id is None:  # a run whose study is not open yet
        return ScreeningCounts(0, 0, 0, 0)
    counts = Counter(
        Item.objects.filter(study_id=study_id)
        .exclude(screening=Screening.CLEAR)
        .values_list("screening", flat=True)
    )
    return ScreeningCounts(
        held=counts[Screening.HELD],
        masked=counts[Screening.MASKED],
        released=counts[Screening.RELEASED],
        excluded=counts[Screening.EXCLUDED],
    )


def study_screened_items(*, study_id: int) -> list[Item]:
    """The items screening found something in, those awaiting a decision first."""
    return list(
        Item.objects.filter(study_id=study_id)
        .exclude(screening=Screening.CLEAR)
        .select_related(
            "response__system", "response__sample", "other_response__system", "screened_by"
        )
        .order_by("-screening", "pk")
    )
