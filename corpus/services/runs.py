"""A build's run on a worker: the pending records asked of the rewriter batch by batch,
each answer stored with its verdict, and the build published at the end (or wherever a
cancel stops it). Safe to run again: only what is still pending is asked."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from common.work import Claim, work_run
from corpus.models import CorpusBuild, CorpusRewrite
from corpus.rewrite_prompts import RewritePrompt, rewrite_prompt_get
from corpus.rewrites import (
    ACCEPTED,
    QUARANTINED,
    MarkerScreen,
    RewriteRules,
    rewrite_judge,
)
from corpus.services.builds import build_progress_save
from corpus.services.publish import corpus_publish, corpus_statistics_refresh
from generation.generators import (
    GeneratorUnavailable,
    InstructionRequest,
    Outcome,
    generator_for,
)

logger = logging.getLogger(__name__)

Status = CorpusBuild.Status
RewriteStatus = CorpusRewrite.Status
ProgressCallback = Callable[[int, int], None]


def _screen(build: CorpusBuild) -> MarkerScreen:
    return MarkerScreen(build.markers.get("words", ()), build.markers.get("patterns", {}))


def _prompt(build: CorpusBuild) -> RewritePrompt:
    name, _, version = build.prompt.partition("@")
    try:
        prompt = rewrite_prompt_get(name)
    except ValueError as error:
        raise GeneratorUnavailable(f"build {build.name}: {error}") from None
    if prompt.version != version:
        raise GeneratorUnavailable(
            f"build {build.name} was made with prompt {build.prompt}, and this version of "
            f"SoulEval has {prompt.label}: its outputs would not be comparable; start a new build"
        )
    return prompt


def _outcomes_store(build: CorpusBuild, outcomes: Sequence[Outcome], label: str) -> None:
    rules = RewriteRules(**build.rules)
    screen = _screen(build)
    now = timezone.now()
    by_id = {outcome.sample_id: outcome for outcome in outcomes}
    with transaction.atomic():
        # Only rows still pending: another run that answered one first keeps its answer.
        rewrites = list(
            CorpusRewrite.objects.select_for_update()
            .filter(pk__in=by_id, status=RewriteStatus.PENDING)
            .order_by("pk")
        )
        for rewrite in rewrites:
            outcome = by_id[rewrite.pk]
            rewrite.attempts += 1
            rewrite.prompt = label
            rewrite.prompt_tokens = outcome.prompt_tokens
            rewrite.completion_tokens = outcome.completion_tokens
            rewrite.latency_seconds = outcome.latency_seconds
            rewrite.marker_hits, rewrite.turns, rewrite.rounds = [], [], None
            rewrite.accepted_at = None
            if outcome.text is None:
                rewrite.status = RewriteStatus.FAILED
                rewrite.raw_output = ""
                rewrite.reason_code, rewrite.reason = "request", outcome.failure
                continue
            verdict = rewrite_judge(outcome.text, rules, screen)
            rewrite.raw_output = outcome.text
            rewrite.turns = [turn.as_json() for turn in verdict.turns]
            rewrite.rounds = verdict.rounds
            rewrite.reason_code, rewrite.reason = verdict.code, verdict.message
            rewrite.marker_hits = [
                {"turn": hit.turn, "start": hit.start, "end": hit.end, "marker": hit.marker}
                for hit in verdict.hits
            ]
            if verdict.outcome == ACCEPTED:
                rewrite.status, rewrite.accepted_at = RewriteStatus.ACCEPTED, now
            elif verdict.outcome == QUARANTINED:
                rewrite.status = RewriteStatus.QUARANTINED
            else:
                rewrite.status = RewriteStatus.REJECTED
        CorpusRewrite.objects.bulk_update(
            rewrites,
            [
                "attempts", "prompt", "prompt_tokens", "completion_tokens", "latency_seconds",
                "marker_hits", "turns", "rounds", "accepted_at", "status", "raw_output",
                "reason_code", "reason", "updated_at",
            ],
        )  # fmt: skip
        CorpusBuild.objects.filter(pk=build.pk).update(
            calls=F("calls") + len(rewrites),
            prompt_tokens=F("prompt_tokens") + sum(r.prompt_tokens or 0 for r in rewrites),
            completion_tokens=F("completion_tokens")
            + sum(r.completion_tokens or 0 for r in rewrites),
        )


def corpus_build_run(
    *, build_id: int, on_progress: ProgressCallback | None = None
) -> CorpusBuild | None:
    """Run a queued build, or take over one whose run fell silent; a finished, cancelled
    or missing build, or one a live run holds, is left alone (None). A run that breaks
    fails the build with the reason; a resume goes on from there."""
    return work_run(model=CorpusBuild, pk=build_id, run=lambda claim: _run(claim, on_progress))


def _run(claim: Claim, on_progress: ProgressCallback | None) -> CorpusBuild:
    build = CorpusBuild.objects.select_related("rewriter").get(pk=claim.pk)
    pending = list(build.rewrites.filter(status=RewriteStatus.PENDING).order_by("pk"))
    build_progress_save(build)
    if on_progress is not None:
        on_progress(build.progress_done, build.progress_total)
    if not pending:
        return _finish(build, claim)
    try:
        prompt = _prompt(build)
        generator = generator_for(build.rewriter)
    except GeneratorUnavailable as error:
        return _finish(build, claim, error=str(error))
    requests = [
        InstructionRequest(
            key=rewrite.pk,
            instruction=prompt.render(
                question=rewrite.question, answer=rewrite.answer, description=rewrite.description
            ),
            system_prompt=prompt.system,
        )
        for rewrite in pending
    ]
    try:
        for outcomes in generator.instruct(requests, max_new_tokens=build.max_new_tokens):
            # Kept even when the run has lost the build meanwhile (paid for; rows another
            # run answered first keep that answer).
            _outcomes_store(build, outcomes, prompt.label)
            build_progress_save(build)
            if on_progress is not None:
                on_progress(build.progress_done, build.progress_total)
            if not claim.beat():  # cancelled, or taken back after falling silent
                break
    except GeneratorUnavailable as error:
        return _finish(build, claim, error=str(error))
    finally:
        generator.close()
    if not claim.held().exists():
        # Cancelled: the dataset is still written from what was accepted. Taken over:
        # publishing is the new run's, under its claim.
        build.refresh_from_db()
        if build.status != Status.CANCELLED:
            return build
    return _finish(build, claim)


def _finish(build: CorpusBuild, claim: Claim, *, error: str = "") -> CorpusBuild:
    try:
        with transaction.atomic():
            corpus_publish(build)
    except GeneratorUnavailable as problem:
        error = error or str(problem)
    corpus_statistics_refresh(build=build)
    build_progress_save(build)
    if not error:
        failures = build.rewrites.filter(status=RewriteStatus.FAILED)
        missing = failures.count()
        if missing:
            first = failures.order_by("pk").first()
            error = (
                f"{missing} of {build.progress_total} records got no answer from the rewriter; "
                f"the first reason: {first.reason if first else ''}. Resume with "
                f"build_corpus --resume {build.name}"
            )
    claim.settle(
        status=Status.FAILED if error else Status.SUCCEEDED,
        error=error,
        claimed_by="",
        finished_at=timezone.now(),
    )
    build.refresh_from_db()
    return build
