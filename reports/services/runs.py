"""Evaluation runs: draw the samples, have every system answer them, score the answers,
and open the blind study of the human sample.

A run advances in steps that are each safe to repeat: `eval_run_advance` looks at what is
stored and does what is missing (a job for unanswered samples, scores for unscored
responses, the study once every human-sample response exists). It runs when the run is
created or resumed and whenever one of its generation jobs finishes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet

from annotation.models import Study
from annotation.pairwise_design import DesignInvalid, pairwise_design
from annotation.services import StudySettings, study_create, study_status_set
from annotation.services.pair_studies import study_pairwise_create
from common.errors import ServiceError
from common.queueing import task_send_on_commit
from common.work import work_requeue_stale
from generation.models import Dataset, GenerationJob, Response, Sample, System
from generation.services import (
    SystemInvalid,
    generation_job_create,
    generation_job_retry,
    reference_responses_store,
    systems_with_reference,
)
from judging.services import JUDGE_KINDS
from reports.metrics import PROFILE_SOULCHAT
from reports.models import EvalRun, EvalSample
from reports.selectors.automatic_cells import run_automatic_part
from reports.selectors.judging import run_judges
from reports.services.floor import run_floor_score
from reports.services.judging import run_judge_start
from reports.services.scoring import responses_score

ACTIVE_JOB = (GenerationJob.Status.QUEUED, GenerationJob.Status.RUNNING)


class EvalRunInvalid(ServiceError):
    pass


@dataclass(frozen=True)
class RunRequest:
    datasets: list[Dataset]
    systems: list[System]
    auto_samples: int
    human_samples: int
    raters_per_item: int
    seed: int = 0
    split: str = Sample.Split.TEST
    # One more blind system: each sample's own counsellor reply (the human ceiling).
    with_reference: bool = False
    # LLM judges of every response, once generation is done (not part of the signature:
    # naming a judge for a run that exists adds it to that run).
    judges: tuple[System, ...] = ()
    # The human sample as a pairwise study too, this many pairs per sample (not part of
    # the signature either: asking for it on a run that exists adds the study to it).
    pairs_per_sample: int = 0


def _with_reference(request: RunRequest) -> RunRequest:
    """The request with the human reference among its systems when it asks for it, so
    that the same run is named whether it is asked for by flag or by name."""
    if not request.with_reference:
        return request
    try:
        systems = systems_with_reference(request.systems)
    except SystemInvalid as error:
        raise EvalRunInvalid(str(error)) from None
    return dataclasses.replace(request, systems=systems, with_reference=False)


def _signature(request: RunRequest) -> str:
    key = {
        "datasets": sorted(dataset.name for dataset in request.datasets),
        "systems": sorted(system.name for system in request.systems),
        "auto": request.auto_samples,
        "human": request.human_samples,
        "raters": request.raters_per_item,
        "seed": request.seed,
        "split": request.split,
    }
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


def _validate(request: RunRequest) -> None:
    if not request.datasets:
        raise EvalRunInvalid("name at least one dataset")
    if not request.systems:
        raise EvalRunInvalid("name at least one system")
    if len({dataset.pk for dataset in request.datasets}) != len(request.datasets):
        raise EvalRunInvalid("a dataset is named twice")
    if len({system.pk for system in request.systems}) != len(request.systems):
        raise EvalRunInvalid("a system is named twice")
    if request.auto_samples < 1:
        raise EvalRunInvalid("--auto must be at least 1")
    if request.human_samples < 0:
        raise EvalRunInvalid("--human must be 0 or more")
    if request.human_samples > request.auto_samples:
        raise EvalRunInvalid(
            f"--human {request.human_samples} is more than --auto {request.auto_samples}: "
            "the human sample is drawn from the automatic one"
        )
    if request.raters_per_item < 1:
        raise EvalRunInvalid("--raters must be at least 1")
    if request.pairs_per_sample:
        if request.human_samples == 0:
            raise EvalRunInvalid("--pairwise needs a human sample (--human 1 or more)")
        try:
            pairwise_design(
                [0], [system.name for system in request.systems],
                pairs_per_sample=request.pairs_per_sample,
            )  # fmt: skip
        except DesignInvalid as error:
            raise EvalRunInvalid(f"--pairwise: {error}") from None
    for judge in request.judges:
        if judge.kind not in JUDGE_KINDS:
            raise EvalRunInvalid(
                f"--judge {judge.name} (kind {judge.kind}) answers nothing, so it cannot "
                "judge; name an openai_api or hf_local system"
            )
    for dataset in request.datasets:
        available = Sample.objects.filter(dataset=dataset, split=request.split).count()
        if request.auto_samples > available:
            raise EvalRunInvalid(
                f"dataset {dataset.name} has {available} {request.split} samples; "
                f"--auto {request.auto_samples} asks for more"
            )


def _draw(run: EvalRun, request: RunRequest) -> None:
    rows: list[EvalSample] = []
    for dataset in request.datasets:
        ids = list(
            Sample.objects.filter(dataset=dataset, split=request.split)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        # Seeded by the dataset's name too, so adding a dataset never changes another's draw.
        drawn = random.Random(f"{request.seed}:{dataset.name}").sample(ids, request.auto_samples)  # noqa: S311 (reproducible, not secret)
        human = set(drawn[: request.human_samples])
        rows.extend(EvalSample(run=run, sample_id=pk, human=pk in human) for pk in drawn)
    EvalSample.objects.bulk_create(rows, batch_size=5000)


def _queue_advance(run: EvalRun) -> None:
    from reports.tasks import eval_run_advance_task

    task_send_on_commit(eval_run_advance_task, run.pk)


@transaction.atomic
def eval_run_start(*, request: RunRequest) -> tuple[EvalRun, bool]:
    """The run these arguments define: created (True) or, when it exists, resumed (False),
    failed jobs queued again and jobs whose run fell silent taken back at once (rather
    than at the next sweep). Bad arguments are refused before anything is stored."""
    request = _with_reference(request)
    _validate(request)
    signature = _signature(request)
    run = EvalRun.objects.select_for_update().filter(signature=signature).first()
    if run is not None:
        work_requeue_stale(
            model=GenerationJob, pks=list(run.generation_jobs.values_list("pk", flat=True))
        )
        for job in run.generation_jobs.filter(
            status__in=[GenerationJob.Status.FAILED, GenerationJob.Status.CANCELLED]
        ):
            generation_job_retry(job=job)
        if run.status == EvalRun.Status.FAILED:
            EvalRun.objects.filter(pk=run.pk).update(status=EvalRun.Status.GENERATING, error="")
            run.refresh_from_db()
        run.judges.add(*request.judges)
        if request.pairs_per_sample and not run.pairs_per_sample:
            EvalRun.objects.filter(pk=run.pk).update(pairs_per_sample=request.pairs_per_sample)
            run.refresh_from_db()
        _queue_advance(run)
        return run, False
    run = EvalRun.objects.create(
        signature=signature,
        split=request.split,
        auto_samples=request.auto_samples,
        human_samples=request.human_samples,
        raters_per_item=request.raters_per_item,
        seed=request.seed,
        pairs_per_sample=request.pairs_per_sample,
    )
    run.datasets.set(request.datasets)
    run.systems.set(request.systems)
    run.judges.set(request.judges)
    _draw(run, request)
    _queue_advance(run)
    return run, True


def _run_responses(run: EvalRun, *, human_only: bool = False) -> QuerySet[Response]:
    samples = EvalSample.objects.filter(run=run)
    if human_only:
        samples = samples.filter(human=True)
    return Response.objects.filter(
        sample_id__in=samples.values("sample_id"), system__in=run.systems.all()
    )


def _generation_step(run: EvalRun) -> bool:
    """Queues a job per system for its unanswered samples; True while any are unanswered."""
    outstanding = False
    sample_ids = EvalSample.objects.filter(run=run).values("sample_id")
    for system in run.systems.order_by("name"):
        missing = Sample.objects.filter(pk__in=sample_ids).exclude(responses__system=system)
        if not missing.exists():
            continue
        if system.kind == System.Kind.REFERENCE:
            # Each sample's own reply: stored at once, never generated nor scored.
            reference_responses_store(
                system=system, sample_ids=missing.values_list("pk", flat=True)
            )
            continue
        outstanding = True
        jobs = run.generation_jobs.filter(system=system)
        if jobs.filter(status__in=ACTIVE_JOB).exists():
            continue
        failed = jobs.filter(status=GenerationJob.Status.FAILED).order_by("-pk").first()
        if failed is not None:
            # A broken system is not retried in a loop: re-running run_eval retries it.
            EvalRun.objects.filter(pk=run.pk).update(
                status=EvalRun.Status.FAILED,
                error=f"generation job {failed.pk} ({system.name}) failed: {failed.error}",
            )
            continue
        run.generation_jobs.add(generation_job_create(system=system, samples=missing))
    return outstanding


def _judge_step(run: EvalRun) -> None:
    """Each judge of the run, once, over every response (its verdicts are unique, so a
    judge run made twice would ask nothing twice anyway)."""
    for judge in run_judges(run):
        if not run.judge_runs.filter(judge=judge, pairwise=False).exists():
            run_judge_start(run=run, judge_name=judge.name)


def _study_step(run: EvalRun) -> None:
    wanted_pairs = run.pairs_per_sample > 0 and run.pair_study_id is None
    if run.human_samples == 0 or (run.study_id is not None and not wanted_pairs):
        return
    responses = list(_run_responses(run, human_only=True).order_by("sample_id", "system_id"))
    expected = EvalSample.objects.filter(run=run, human=True).count() * run.systems.count()
    if len(responses) < expected:
        return
    settings = StudySettings(raters_per_item=run.raters_per_item)
    if run.study_id is None:
        study = study_create(name=f"eval-run-{run.pk}", responses=responses, settings=settings)
        study = study_status_set(study=study, status=Study.Status.OPEN)
        EvalRun.objects.filter(pk=run.pk).update(study=study)
    if wanted_pairs:
        pairs = study_pairwise_create(
            name=f"eval-run-{run.pk}-pairs", responses=responses, settings=settings,
            pairs_per_sample=run.pairs_per_sample, seed=run.seed,
        )  # fmt: skip
        pairs = study_status_set(study=pairs, status=Study.Status.OPEN)
        EvalRun.objects.filter(pk=run.pk).update(pair_study=pairs)


@transaction.atomic
def eval_run_advance(*, run_id: int, workers: int = 1) -> EvalRun | None:
    """Does what the run is missing; None when the run is gone. One advance at a time per
    run (a row lock), so two finishing jobs never open two studies."""
    run = EvalRun.objects.select_for_update().filter(pk=run_id).first()
    if run is None:
        return None
    outstanding = _generation_step(run)
    responses_score(response_ids=_run_responses(run).values_list("pk", flat=True), workers=workers)
    run_floor_score(run=run, workers=workers)
    _study_step(run)
    if not outstanding:
        _judge_step(run)
        # Every response is scored now: Table 1's automatic part (seconds at a paper's
        # size) is computed in the worker, so the dashboard's first visit reads it; once
        # committed, so that the run's row lock is not held meanwhile.
        transaction.on_commit(lambda: run_automatic_part(run=run, profile=PROFILE_SOULCHAT))
    run.refresh_from_db()
    if not outstanding and run.status != EvalRun.Status.RATING:
        EvalRun.objects.filter(pk=run.pk).update(status=EvalRun.Status.RATING, error="")
        run.refresh_from_db()
    return run
