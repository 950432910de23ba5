"""Judge runs: made over responses (refused in words when they cannot work), run on a
worker batch by batch, resumable and idempotent, under common.work's claims."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from common.errors import INVALID, ServiceError
from common.queueing import task_send_on_commit
from common.work import Claim, work_cancel, work_run
from generation.decoding import decoding_params
from generation.generators import (
    GeneratorUnavailable,
    InstructionRequest,
    Outcome,
    generator_for,
)
from generation.models import Response, System
from generation.services.jobs import generation_job_queue
from judging.models import JudgeRun, Verdict
from judging.prompt import Turn, pair_user_message, user_message
from judging.verdicts import preference_parse, verdict_parse

Status = JudgeRun.Status
VerdictStatus = Verdict.Status
ProgressCallback = Callable[[int, int], None]
JUDGE_KINDS = (System.Kind.OPENAI_API, System.Kind.HF_LOCAL)


class JudgeRunInvalid(ServiceError):
    code = INVALID


@dataclass(frozen=True)
class JudgeRequest:
    judge: System
    responses: Sequence[Response]
    system_prompt: str  # judging.prompt.system_message of the rubric
    prompt_version: str
    scales: Mapping[str, int]  # each scale's top score, in the rubric's order
    passes: int = 1
    max_new_tokens: int = 256
    # Pairwise mode (``responses`` empty): each pair of two answers to one context is
    # asked in both orders, so that a verdict the order decides can be told apart.
    pairs: Sequence[tuple[Response, Response]] = ()


def _request_check(request: JudgeRequest) -> None:
    if request.judge.kind not in JUDGE_KINDS:
        raise JudgeRunInvalid(
            f"{request.judge.name} (kind {request.judge.kind}) answers nothing, so it cannot "
            "judge; name an openai_api or hf_local system"
        )
    if request.pairs:
        if request.responses:
            raise JudgeRunInvalid("a judge run judges responses or pairs, not both")
        for first, second in request.pairs:
            if first.sample_id != second.sample_id or first.pk == second.pk:
                raise JudgeRunInvalid(
                    f"responses {first.pk} and {second.pk} are no pair: two answers to one "
                    "context are compared"
                )
    elif not request.responses:
        raise JudgeRunInvalid("there is no response to judge")
    if request.passes not in (1, 2):
        raise JudgeRunInvalid(f"passes is 1 or 2, not {request.passes}")
    if request.max_new_tokens < 1:
        raise JudgeRunInvalid("max_new_tokens must be at least 1")


def judge_run_create(*, request: JudgeRequest, enqueue: bool = True) -> JudgeRun:
    """A queued run with a pending verdict for each response × pass that this judge and
    prompt version have not given yet; a run with nothing left to ask is made finished,
    so asking twice stores nothing twice."""
    _request_check(request)
    with transaction.atomic():
        run = JudgeRun.objects.create(
            judge=request.judge,
            prompt_version=request.prompt_version,
            system_prompt=request.system_prompt,
            # Pairs, not an object: jsonb keeps no key order, and the rubric's is kept.
            scales=[[key, top] for key, top in request.scales.items()],
            passes=request.passes,
            max_new_tokens=request.max_new_tokens,
            pairwise=bool(request.pairs),
        )
        asked: set[tuple[int, int | None]] = (
            {(a.pk, b.pk) for first, second in request.pairs for a, b in
             ((first, second), (second, first))}
            if request.pairs
            else {(response.pk, None) for response in request.responses}
        )  # fmt: skip
        wanted = {
            (response_id, other_id, judge_pass)
            for response_id, other_id in asked
            for judge_pass in range(1, request.passes + 1)
        }
        given = set(
            Verdict.objects.filter(
                judge=request.judge,
                prompt_version=request.prompt_version,
                response__in={response_id for response_id, _ in asked},
            ).values_list("response_id", "other_response_id", "judge_pass")
        )
        Verdict.objects.bulk_create(
            Verdict(
                run=run, response_id=response_id, other_response_id=other_id,
                judge=request.judge, prompt_version=request.prompt_version,
                judge_pass=judge_pass,
            )
            for response_id, other_id, judge_pass in sorted(wanted - given, key=str)
        )  # fmt: skip
        run.progress_total = len(wanted - given)
        if run.progress_total == 0:
            run.status, run.finished_at = Status.SUCCEEDED, timezone.now()
        run.save(update_fields=["progress_total", "status", "finished_at", "updated_at"])
        if enqueue and run.status == Status.QUEUED:
            _enqueue(run)
    return run


def _enqueue(run: JudgeRun) -> None:
    from judging.tasks import judge_run_task

    task_send_on_commit(judge_run_task, run.pk, queue=generation_job_queue(run.judge))


def judge_run_requeue(run: JudgeRun) -> None:
    """What the stale-work sweep does with a run taken back from a silent worker."""
    _enqueue(run)


def judge_run_cancel(*, run: JudgeRun) -> bool:
    return work_cancel(work=run)


def _progress_save(run: JudgeRun) -> None:
    done = run.verdicts.exclude(status=VerdictStatus.PENDING).count()
    JudgeRun.objects.filter(pk=run.pk).update(progress_done=done, updated_at=timezone.now())


def _outcomes_store(run: JudgeRun, outcomes: Iterable[Outcome]) -> None:
    by_id = {outcome.sample_id: outcome for outcome in outcomes}
    with transaction.atomic():
        # Only verdicts still pending: one another run gave first keeps its answer.
        verdicts = list(
            Verdict.objects.select_for_update()
            .filter(pk__in=by_id, status=VerdictStatus.PENDING)
            .order_by("pk")
        )
        for verdict in verdicts:
            outcome = by_id[verdict.pk]
            verdict.attempts += 1
            verdict.prompt_tokens = outcome.prompt_tokens
            verdict.completion_tokens = outcome.completion_tokens
            verdict.latency_seconds = outcome.latency_seconds
            if outcome.text is None:
                verdict.status, verdict.error, verdict.raw_output = (
                    VerdictStatus.FAILED, f"request: {outcome.failure}", "",
                )  # fmt: skip
                continue
            parsed = (
                preference_parse(outcome.text)
                if run.pairwise
                else verdict_parse(outcome.text, dict(run.scales))
            )
            verdict.raw_output = outcome.text
            if parsed.scores is None:
                verdict.status, verdict.error = VerdictStatus.FAILED, f"answer: {parsed.error}"
            else:
                verdict.status, verdict.scores, verdict.reason = (
                    VerdictStatus.SCORED, parsed.scores, parsed.reason,
                )  # fmt: skip
        Verdict.objects.bulk_update(
            verdicts,
            ["attempts", "prompt_tokens", "completion_tokens", "latency_seconds", "status",
             "error", "raw_output", "scores", "reason", "updated_at"],
        )  # fmt: skip
        JudgeRun.objects.filter(pk=run.pk).update(
            calls=F("calls") + len(verdicts),
            prompt_tokens=F("prompt_tokens") + sum(v.prompt_tokens or 0 for v in verdicts),
            completion_tokens=F("completion_tokens")
            + sum(v.completion_tokens or 0 for v in verdicts),
        )


def judge_run_run(*, run_id: int, on_progress: ProgressCallback | None = None) -> JudgeRun | None:
    """Run a queued judge run, or take over one whose worker fell silent; a finished,
    cancelled or missing run, or one a live worker holds, is left alone (None)."""
    return work_run(model=JudgeRun, pk=run_id, run=lambda claim: _run(claim, on_progress))


def _requests(run: JudgeRun, pending: Sequence[Verdict]) -> list[InstructionRequest]:
    requests = []
    for verdict in pending:
        sample = verdict.response.sample
        conversation = [Turn(turn["role"], turn["content"]) for turn in sample.context]
        # The conversation and the response (or the two) only: never a system's name.
        instruction = (
            user_message(conversation, verdict.response.text)
            if verdict.other_response is None
            else pair_user_message(conversation, verdict.response.text, verdict.other_response.text)
        )
        requests.append(
            InstructionRequest(
                key=verdict.pk, instruction=instruction, system_prompt=run.system_prompt
            )
        )
    return requests


def _run(claim: Claim, on_progress: ProgressCallback | None) -> JudgeRun:
    run = JudgeRun.objects.select_related("judge").get(pk=claim.pk)
    pending = list(
        run.verdicts.filter(status=VerdictStatus.PENDING)
        .select_related("response__sample", "other_response")
        .order_by("pk")
    )
    _progress_save(run)
    if not pending:
        return _finish(run, claim)
    try:
        seed = decoding_params(run.judge.decoding).seed
    except ValueError as error:
        return _finish(run, claim, error=f"system {run.judge.name}: {error}")
    try:
        for judge_pass in sorted({verdict.judge_pass for verdict in pending}):
            batch = [verdict for verdict in pending if verdict.judge_pass == judge_pass]
            # Greedy (temperature 0) by default; a second pass asks with another seed.
            decoding = {"do_sample": False, "seed": seed + judge_pass - 1}
            if not _pass_run(run, claim, batch, decoding, on_progress):
                break  # cancelled, or taken back after falling silent
    except GeneratorUnavailable as error:
        return _finish(run, claim, error=str(error))
    if not claim.held().exists():
        run.refresh_from_db()
        return run
    return _finish(run, claim)


def _pass_run(
    run: JudgeRun,
    claim: Claim,
    batch: Sequence[Verdict],
    decoding: Mapping[str, object],
    on_progress: ProgressCallback | None,
) -> bool:
    """Ask one pass's pending verdicts, window by window; False when the run lost its
    claim (cancelled, or taken back) and must stop."""
    generator = generator_for(run.judge, decoding=decoding)
    try:
        for outcomes in generator.instruct(
            _requests(run, batch), max_new_tokens=run.max_new_tokens
        ):
            _outcomes_store(run, outcomes)
            _progress_save(run)
            if on_progress is not None:
                run.refresh_from_db(fields=["progress_done", "progress_total"])
                on_progress(run.progress_done, run.progress_total)
            if not claim.beat():
                return False
    finally:
        generator.close()
    return True


def _finish(run: JudgeRun, claim: Claim, *, error: str = "") -> JudgeRun:
    _progress_save(run)
    if not error:
        requests_failed = run.verdicts.filter(
            status=VerdictStatus.FAILED, error__startswith="request:"
        )
        if requests_failed.exists():
            first = requests_failed.order_by("pk").first()
            error = (
                f"{requests_failed.count()} of {run.progress_total} verdicts got no answer "
                f"from the judge; the first: {first.error if first else ''}. Ask them again "
                f"with judge --resume {run.pk}"
            )
    claim.settle(
        status=Status.FAILED if error else Status.SUCCEEDED,
        error=error,
        claimed_by="",
        finished_at=timezone.now(),
    )
    run.refresh_from_db()
    return run


@dataclass(frozen=True)
class JudgeCost:
    spent: Decimal
    currency: str


def judge_run_cost(run: JudgeRun) -> JudgeCost | None:
    """What the run's calls cost at the judge's prices; None without prices."""
    judge = run.judge
    if judge.input_price_per_million is None and judge.output_price_per_million is None:
        return None
    spent = (
        Decimal(run.prompt_tokens) * (judge.input_price_per_million or 0)
        + Decimal(run.completion_tokens) * (judge.output_price_per_million or 0)
    ) / Decimal(1_000_000)
    return JudgeCost(spent.quantize(Decimal("0.0001")), judge.price_currency)


@transaction.atomic
def judge_run_resume(*, run: JudgeRun) -> JudgeRun:
    """Ask again what got no answer (a request that failed: 429s, 500s, timeouts); an
    answer that could not be read stays a failure, with its text: the judge said it."""
    run = JudgeRun.objects.select_for_update().get(pk=run.pk)
    if run.status in (Status.QUEUED, Status.RUNNING):
        raise JudgeRunInvalid(f"judge run {run.pk} is {run.status}: it goes on by itself")
    run.verdicts.filter(status=VerdictStatus.FAILED, error__startswith="request:").update(
        status=VerdictStatus.PENDING, error="", updated_at=timezone.now()
    )
    run.status, run.error, run.finished_at = Status.QUEUED, "", None
    run.save(update_fields=["status", "error", "finished_at", "updated_at"])
    _enqueue(run)
    return run
