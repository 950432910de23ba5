"""The pairwise study's exports: its rankings per dataset (with the win-rate matrix and
the side bias beside them), and every vote as it was counted or why it was not."""

from __future__ import annotations

import math
from collections.abc import Iterator

from annotation.models import PairVote, RaterExclusion
from annotation.models.studies import UNSERVED_SCREENINGS
from reports.models import EvalRun
from reports.selectors.export_rows import CsvRow
from reports.selectors.pairwise_results import study_pairwise_results


def _number(value: float | None, digits: int = 6) -> object:
    # + 0.0: a −0.0 from rounding a tiny negative is written as 0.0.
    return "" if value is None or math.isnan(value) else round(value, digits) + 0.0


def export_pairwise(*, run: EvalRun) -> Iterator[CsvRow]:
    """One row per dataset and system: strength, interval, votes, the style-controlled
    strength, then its win rate and votes against each other system; the dataset's side
    bias on each of its rows. A dataset without a fit says why in ``problem``."""
    yield [
        "dataset", "system", "strength", "ci_low", "ci_high", "votes", "strength_length_held",
        "length_coefficient", "against", "win_rate", "votes_against", "left_wins",
        "decisive_votes", "left_share", "left_ci_low", "left_ci_high", "resamples",
        "fitted_resamples", "problem",
    ]  # fmt: skip
    if run.pair_study is None:
        return
    results = study_pairwise_results(study=run.pair_study, seed=run.seed)
    for table in results.tables:
        ranking, side, style = table.ranking, table.side, table.style
        index = {name: i for i, name in enumerate(ranking.systems)}
        for strength in ranking.strengths:
            i = index[strength.system]
            for j, other in enumerate(ranking.systems):
                if other == strength.system:
                    continue
                yield [
                    table.dataset, strength.system, _number(strength.theta),
                    _number(strength.low), _number(strength.high), strength.votes,
                    "" if style is None else _number(style.thetas[strength.system]),
                    "" if style is None else _number(style.length_coefficient), other,
                    _number(ranking.win_rate[i][j]), ranking.counts[i][j], side.left_wins,
                    side.decisive, _number(side.share), _number(side.low), _number(side.high),
                    ranking.resamples, ranking.fitted_resamples, ranking.problem,
                ]  # fmt: skip


def export_votes(*, run: EvalRun) -> Iterator[CsvRow]:
    """Every vote of the run's pairwise study: the pair's systems in the design's order,
    the side the first one was shown on, the choice, and whether it counts (and if not,
    why), so that any figure can be recomputed outside."""
    yield [
        "dataset", "item", "sample_id", "first_system", "second_system", "first_on_left",
        "overall", "content", "empathy", "helpfulness", "safety", "annotator",
        "active_seconds", "submitted_at", "counted", "not_counted_because",
    ]  # fmt: skip
    study = run.pair_study
    if study is None:
        return
    left_out = set(
        RaterExclusion.objects.filter(
            study=study, annotator__isnull=False, undone_at__isnull=True
        ).values_list("annotator_id", flat=True)
    )
    votes = (
        PairVote.objects.filter(assignment__item__study=study)
        .select_related(
            "assignment__annotator__user", "assignment__item__response__system",
            "assignment__item__response__sample__dataset",
            "assignment__item__other_response__system",
        )
        .order_by("pk")
    )  # fmt: skip
    for vote in votes.iterator(chunk_size=2000):
        assignment, item = vote.assignment, vote.assignment.item
        why = (
            "the pair was held back for naming a system"
            if item.screening in UNSERVED_SCREENINGS
            else "its rater is left out of the analysis"
            if assignment.annotator_id in left_out
            else ""
        )
        yield [
            item.response.sample.dataset.name, item.public_id, item.response.sample_id,
            item.response.system.name,
            item.other_response.system.name if item.other_response else "",
            assignment.response_on_left, vote.overall, vote.content, vote.empathy,
            vote.helpfulness, vote.safety, assignment.annotator.user.username,
            vote.active_seconds, assignment.submitted_at.isoformat() if assignment.submitted_at
            else "", not why, why,
        ]  # fmt: skip
