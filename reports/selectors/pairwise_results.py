"""The results of a pairwise study, per dataset: the Bradley–Terry ranking of its systems
with bootstrap intervals, the win-rate matrix and vote counts, the style-controlled fit
and the side bias (reports.pairwise), and what was left out and why.

Counted: every vote of a rater not left out of the study, on a pair that was served
(one held back or left out for naming a system is never counted, whatever its votes).
The winner comes from the side chosen and the side the item's first response was shown
on to that rater, both stored with the vote."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db.models.functions import Length

from annotation.models import Item, PairChoice, PairVote, RaterExclusion, Study
from annotation.models.studies import UNSERVED_SCREENINGS
from reports.charts import win_rate_shade
from reports.pairwise import (
    FIRST,
    SECOND,
    TIE,
    Ranking,
    SideBias,
    StyleControlled,
    Vote,
    bradley_terry,
    side_bias,
    style_controlled,
)


@dataclass(frozen=True)
class PairwiseTable:
    """One dataset's ranking."""

    dataset: str
    ranking: Ranking
    style: StyleControlled | None  # None where it cannot be fitted (style_problem says why)
    style_problem: str
    side: SideBias

    @property
    def matrix(self) -> list[dict[str, Any]]:
        """The win-rate matrix as rows the page draws: each cell's share and votes."""
        systems = self.ranking.systems
        return [
            {
                "system": system,
                "cells": [
                    {
                        "against": other,
                        "rate": self.ranking.win_rate[i][j],
                        "votes": self.ranking.counts[i][j],
                        "shade": win_rate_shade(self.ranking.win_rate[i][j]),
                    }
                    for j, other in enumerate(systems)
                ],
            }
            for i, system in enumerate(systems)
        ]


@dataclass(frozen=True)
class PairwiseResults:
    """What the dashboard, ``report`` and the export show of a pairwise study."""

    study: str
    tables: list[PairwiseTable]
    votes: int  # counted
    left_out_raters: int  # raters left out of the study's analysis
    left_out_votes: int  # their votes
    held_back_votes: int  # votes on pairs held back or left out for naming a system


def _outcome(overall: str, response_on_left: bool | None) -> float:
    if overall in (PairChoice.TIE, PairChoice.BOTH_BAD):
        return TIE
    return FIRST if (overall == PairChoice.LEFT) == response_on_left else SECOND


def study_pairwise_results(*, study: Study, seed: int = 0) -> PairwiseResults:
    """Every dataset of the study ranked from its counted votes (seeded intervals)."""
    left_out = set(
        RaterExclusion.objects.filter(
            study=study, annotator__isnull=False, undone_at__isnull=True
        ).values_list("annotator_id", flat=True)
    )
    systems: dict[str, set[str]] = defaultdict(set)
    for dataset, first, second in Item.objects.filter(study=study).values_list(
        "response__sample__dataset__name", "response__system__name", "other_response__system__name"
    ):
        systems[dataset] |= {first, second}
    rows = (
        PairVote.objects.filter(assignment__item__study=study)
        .annotate(
            first_length=Length("assignment__item__response__text"),
            second_length=Length("assignment__item__other_response__text"),
        )
        .values_list(
            "overall", "assignment__response_on_left", "assignment__annotator_id",
            "assignment__item__screening", "assignment__item__response__sample__dataset__name",
            "assignment__item__response__system__name",
            "assignment__item__other_response__system__name", "first_length", "second_length",
        )
        .order_by("pk")
    )  # fmt: skip
    votes: dict[str, list[Vote]] = defaultdict(list)
    left_won: dict[str, list[bool | None]] = defaultdict(list)
    left_out_votes = held_back = 0
    for overall, on_left, annotator, screening, dataset, first, second, a, b in rows:
        if screening in UNSERVED_SCREENINGS:
            held_back += 1
            continue
        if annotator in left_out:
            left_out_votes += 1
            continue
        votes[dataset].append(Vote(first, second, _outcome(overall, on_left), a, b))
        left_won[dataset].append(
            True if overall == PairChoice.LEFT else False if overall == PairChoice.RIGHT else None
        )
    tables = []
    for dataset in sorted(systems):
        names = sorted(systems[dataset])
        ranking = bradley_terry(votes[dataset], names, seed=seed)
        style, problem = None, ranking.problem
        if not problem:
            try:
                style = style_controlled(votes[dataset], names)
            except np.linalg.LinAlgError:
                style = None
            if (
                style is None
                or not np.isfinite([*style.thetas.values(), style.length_coefficient]).all()
            ):
                style, problem = (
                    None,
                    "the lengths and the systems cannot be told apart in these votes",
                )
        tables.append(
            PairwiseTable(
                dataset=dataset,
                ranking=ranking,
                style=style,
                style_problem=problem,
                side=side_bias(left_won[dataset]),
            )
        )
    return PairwiseResults(
        study=study.name,
        tables=tables,
        votes=sum(len(found) for found in votes.values()),
        left_out_raters=len(left_out),
        left_out_votes=left_out_votes,
        held_back_votes=held_back,
    )
