"""The results of a pairwise study, per dataset: the Bradley–Terry ranking of its systems
with bootstrap intervals, the win-rate matrix and vote counts, the style-controlled fit
and the side bias (reports.pairwise), and what was left out and why.

Counted: every vote of a rater not left out of the study, on a pair that was served
(one held back or left out for naming a system is never counted, whatever its votes).
The winner comes from the side chosen and the side the item's first response was shown
on to that rater, both stored with the vote."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db.models.functions import Length

from annotation.models import Item, PairChoice, PairVote, RaterExclusion, Study
from annotation.models.studies import UNSERVED_SCREENINGS
from judging.models import Verdict
from judging.prompt import PAIR_PROMPT_VERSION
from reports.charts import win_rate_shade
from reports.pairwise import (
    FIRST,
    SECOND,
    TIE,
    JudgeSwap,
    Ranking,
    SideBias,
    StyleControlled,
    Vote,
    VoteAgreement,
    bradley_terry,
    judge_swaps,
    side_bias,
    style_controlled,
    swapped_verdict,
    vote_agreement,
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
class PairJudgeTable:
    """A pairwise LLM judge on the study's pairs: each pair asked in both orders, a
    verdict the order decided counted as a tie (its share is the judge's position bias),
    its agreement with the experts' counted votes on the same pairs, and its own ranking."""

    judge: str
    swaps: JudgeSwap  # pairs answered in both orders, and how many flipped
    unanswered: int  # pairs with an order failed or still pending
    agreement: VoteAgreement
    rankings: list[tuple[str, Ranking]]  # per dataset, from the judge's verdicts


@dataclass(frozen=True)
class PairwiseResults:
    """What the dashboard, ``report`` and the export show of a pairwise study."""

    study: str
    tables: list[PairwiseTable]
    votes: int  # counted
    left_out_raters: int  # raters left out of the study's analysis
    left_out_votes: int  # their votes
    held_back_votes: int  # votes on pairs held back or left out for naming a system
    judges: list[PairJudgeTable] = field(default_factory=list)


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
            "assignment__item_id",
        )
        .order_by("pk")
    )  # fmt: skip
    votes: dict[str, list[Vote]] = defaultdict(list)
    left_won: dict[str, list[bool | None]] = defaultdict(list)
    left_out_votes = held_back = 0
    human: dict[int, list[float]] = defaultdict(list)
    for overall, on_left, annotator, screening, dataset, first, second, a, b, item in rows:
        if screening in UNSERVED_SCREENINGS:
            held_back += 1
            continue
        if annotator in left_out:
            left_out_votes += 1
            continue
        votes[dataset].append(Vote(first, second, _outcome(overall, on_left), a, b))
        human[item].append(votes[dataset][-1].outcome)
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
        judges=_judges(study, human, seed),
    )


_BETTER = {"first": FIRST, "second": SECOND, "tie": TIE}


def _judges(study: Study, human: dict[int, list[float]], seed: int) -> list[PairJudgeTable]:
    """Every judge that compared the study's served pairs, under the pairwise prompt."""
    pairs = {}  # (first response, second response) in the item's order → the item
    about = {}  # item → (dataset, first system, second system)
    for item, first, second, dataset, a, b in (
        Item.objects.filter(study=study, other_response__isnull=False)
        .exclude(screening__in=UNSERVED_SCREENINGS)
        .values_list(
            "pk", "response_id", "other_response_id", "response__sample__dataset__name",
            "response__system__name", "other_response__system__name",
        )
    ):  # fmt: skip
        pairs[first, second] = item
        about[item] = (dataset, a, b)
    found: dict[str, dict[int, dict[bool, float | None]]] = defaultdict(lambda: defaultdict(dict))
    verdicts = Verdict.objects.filter(
        prompt_version=PAIR_PROMPT_VERSION,
        judge_pass=1,
        other_response__isnull=False,
        response_id__in={key for both in pairs for key in both},
    ).values_list("judge__name", "response_id", "other_response_id", "status", "scores")
    for judge, response, other, status, scores in verdicts:
        forward = (response, other) in pairs
        known = pairs.get((response, other)) or pairs.get((other, response))
        if known is None:
            continue
        outcome = _BETTER[scores["better"]] if status == Verdict.Status.SCORED else None
        # Asked the other way round: its "first" is the item's second response.
        if outcome is not None and not forward:
            outcome = 1.0 - outcome
        found[judge][known][forward] = outcome
    systems: dict[str, set[str]] = defaultdict(set)
    for dataset, a, b in about.values():
        systems[dataset] |= {a, b}
    tables = []
    for judge in sorted(found):
        answered: dict[int, tuple[float, float]] = {}
        for item, asked in found[judge].items():
            forward_outcome, swapped = asked.get(True), asked.get(False)
            if forward_outcome is not None and swapped is not None:
                answered[item] = (forward_outcome, swapped)
        resolved = {item: swapped_verdict(*both) for item, both in answered.items()}
        by_dataset: dict[str, list[Vote]] = defaultdict(list)
        for item, outcome in resolved.items():
            dataset, a, b = about[item]
            by_dataset[dataset].append(Vote(a, b, outcome))
        tables.append(
            PairJudgeTable(
                judge=judge,
                swaps=judge_swaps(list(answered.values())),
                unanswered=len(found[judge]) - len(answered),
                agreement=vote_agreement(
                    [(resolved[item], vote) for item in resolved for vote in human.get(item, [])]
                ),
                rankings=[
                    (
                        dataset,
                        bradley_terry(by_dataset[dataset], sorted(systems[dataset]), seed=seed),
                    )
                    for dataset in sorted(systems)
                ],
            )
        )
    return tables
