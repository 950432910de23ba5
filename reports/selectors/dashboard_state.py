"""What the dashboard's figures are computed from, summed up in a digest small enough to
read on every load: the figures are kept under it, and any rating, revision, exclusion,
screening decision, safety review, verdict, response or score makes another one, so a
kept page can never be stale.

Each table is summed up by what changes whenever its rows do: a count and the last id
for rows that are only ever added (responses, scores, floor scores, items), the latest
change time for rows saved with one (ratings, revisions, exclusions, flags, the study),
and for verdicts, which are rewritten in bulk without one, the count in each status and
the sum of their attempts (every answer stored counts an attempt)."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db.models import Count, Max, Q, Sum

from annotation.models import (
    Annotator,
    Assignment,
    Item,
    RaterExclusion,
    Rating,
    RatingRevision,
    SafetyFlag,
)
from judging.models import Verdict
from reports.models import EvalRun, FloorScore
from reports.selectors.runs import ResponseCounts, RunProgress, run_response_counts

DIGEST_VERSION = "1"  # bump when what the figures are computed from changes


def _study_state(study_id: int) -> list[Any]:
    submitted = Assignment.Status.SUBMITTED
    return [
        Rating.objects.filter(assignment__item__study_id=study_id).aggregate(
            n=Count("pk"), last=Max("pk"), changed=Max("updated_at"), revised=Max("revised_at")
        ),
        RatingRevision.objects.filter(rating__assignment__item__study_id=study_id).aggregate(
            n=Count("pk"), last=Max("pk")
        ),
        Assignment.objects.filter(item__study_id=study_id, status=submitted).aggregate(
            n=Count("pk"), changed=Max("updated_at"), seconds=Sum("active_seconds")
        ),
        RaterExclusion.objects.filter(study_id=study_id).aggregate(
            n=Count("pk"),
            last=Max("pk"),
            changed=Max("updated_at"),
            undone=Count("pk", filter=Q(undone_at__isnull=False)),
            undone_at=Max("undone_at"),
        ),
        Item.objects.filter(study_id=study_id).aggregate(
            n=Count("pk"),
            last=Max("pk"),
            screened=Max("screened_at"),
            not_clear=Count("pk", filter=~Q(screening=Item.Screening.CLEAR)),
        ),
        # Gold items' expected scores can be edited in place, and are few.
        list(
            Item.objects.filter(study_id=study_id, is_gold=True)
            .order_by("pk")
            .values_list(
                "pk",
                "expected_content",
                "expected_empathy",
                "expected_helpfulness",
                "expected_safety",
            )
        ),
        SafetyFlag.objects.filter(rating__assignment__item__study_id=study_id).aggregate(
            n=Count("pk"),
            last=Max("pk"),
            changed=Max("updated_at"),
            reviewed=Max("reviewed_at"),
            unreviewed=Count("pk", filter=Q(reviewed_at__isnull=True)),
        ),
        list(
            Annotator.objects.filter(assignments__item__study_id=study_id)
            .distinct()
            .order_by("pk")
            .values_list("pk", "user__username", "updated_at")
        ),
    ]


def automatic_state(*, run: EvalRun, responses: tuple[ResponseCounts, ...] | None = None) -> str:
    """The digest of what the automatic part of Table 1 reads: the run's responses, their
    scores and its floor scores, and which systems and datasets (and of what kind)."""
    state = [
        DIGEST_VERSION,
        [run.pk, run.seed],
        responses if responses is not None else run_response_counts(run=run),
        FloorScore.objects.filter(run=run).aggregate(n=Count("pk"), last=Max("pk")),
        list(run.systems.order_by("pk").values_list("pk", "kind")),
        list(run.datasets.order_by("pk").values_list("pk", flat=True)),
    ]
    return hashlib.sha256(repr(state).encode()).hexdigest()


def dashboard_state(*, run: EvalRun, progress: RunProgress) -> str:
    """The digest of everything the dashboard's figures of ``run`` read, with the run's
    response counts taken from ``progress`` (read for the page anyway)."""
    study = run.study
    judges = list(run.judges.order_by("pk").values_list("pk", "name", "updated_at"))
    state: list[Any] = [
        DIGEST_VERSION,
        [run.pk, run.status, run.error, run.study_id, run.seed, run.updated_at],
        [run.auto_samples, run.human_samples],
        automatic_state(run=run, responses=progress.responses),
        list(run.systems.order_by("pk").values_list("pk", "name", "kind", "updated_at")),
        list(run.datasets.order_by("pk").values_list("pk", "name", "updated_at")),
        judges,
        [study.pk, study.status, study.updated_at] if study is not None else None,
        _study_state(study.pk) if study is not None else None,
    ]
    if judges:
        state.append(
            list(
                Verdict.objects.filter(judge__in=[pk for pk, *_ in judges])
                .values_list("status")
                .annotate(n=Count("pk"), last=Max("pk"), attempts=Sum("attempts"))
                .order_by("status")
            )
        )
    return hashlib.sha256(repr(state).encode()).hexdigest()
