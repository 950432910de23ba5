"""Training jobs: created only when they can work, run on the `gpu` queue, resumable from
their last checkpoint, and ending in a registered System ready for run_eval."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from common.errors import ServiceError
from common.queueing import task_send_on_commit
from common.work import Claim, work_cancel, work_run, work_take_back
from generation.models import Dataset, System
from generation.selectors import dataset_export_records
from generation.services import SystemInvalid, system_save
from training.models import TrainingJob
from training.plan import LORA, HyperParameters, PlanInvalid, plan_check

logger = logging.getLogger(__name__)

GPU_QUEUE = "gpu"
LOG_TAIL_LINES = 40
Status = TrainingJob.Status


class TrainingJobInvalid(ServiceError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(
            "; ".join(f"{key}: {message}" for key, message in errors.items()), errors=errors
        )


@dataclass(frozen=True)
class TrainingRequest:
    name: str
    base: str  # a checkpoint directory, or the name of an hf_local system
    dataset: Dataset
    hyper: HyperParameters
    split: str = "train"
    devices: int = 1
    trust_remote_code: bool = False


def _base_resolve(base: str, errors: dict[str, str]) -> tuple[str, System | None]:
    system = System.objects.filter(name=base, kind=System.Kind.HF_LOCAL).first()
    if system is not None:
        if system.adapter:
            errors["base"] = f"system {base} is a base plus an adapter; train from a whole model"
        return system.checkpoint, system
    path = Path(base)
    if not path.is_dir() or not (path / "config.json").is_file():
        errors["base"] = (
            f"{base} is neither a checkpoint directory (with config.json) on this machine nor "
            "the name of a local system; the platform never downloads weights"
        )
    return str(path.resolve()) if path.is_dir() else base, None


def training_request_check(*, request: TrainingRequest) -> tuple[str, System | None]:
    """The base checkpoint directory (and its system, if named by one), or
    TrainingJobInvalid naming every problem of the request."""
    errors: dict[str, str] = {}
    if System.objects.filter(name=request.name).exists():
        errors["name"] = f"a system named {request.name!r} already exists"
    elif TrainingJob.objects.filter(name=request.name).exists():
        errors["name"] = f"a training job named {request.name!r} already exists"
    base, base_system = _base_resolve(request.base, errors)
    if not request.dataset.samples.filter(split=request.split).exists():
        errors["dataset"] = f"{request.dataset.name} has no {request.split} samples to train on"
    try:
        plan_check(request.hyper, devices=request.devices)
    except PlanInvalid as invalid:
        errors.update(invalid.errors)
    if errors:
        raise TrainingJobInvalid(errors)
    return base, base_system


def training_job_name_default(*, base: str, method: str) -> str:
    """`BASE-METHOD-N` with the first N that no system or training job has taken."""
    stem = f"{Path(base.rstrip('/')).name}-{method}"
    taken = set(System.objects.filter(name__startswith=stem).values_list("name", flat=True))
    taken |= set(TrainingJob.objects.filter(name__startswith=stem).values_list("name", flat=True))
    number = 1
    while f"{stem}-{number}" in taken:
        number += 1
    return f"{stem}-{number}"


def training_job_create(*, request: TrainingRequest, enqueue: bool = True) -> TrainingJob:
    """A queued job, or TrainingJobInvalid naming every problem; nothing is stored then."""
    base, base_system = training_request_check(request=request)
    with transaction.atomic():
        job = TrainingJob.objects.create(
            name=request.name,
            base=base,
            base_system=base_system,
            trust_remote_code=request.trust_remote_code
            or bool(base_system and base_system.trust_remote_code),
            dataset=request.dataset,
            split=request.split,
            method=request.hyper.method,
            hyper_parameters=request.hyper.as_dict(),
            devices=request.devices,
            output_dir=str(Path(settings.TRAINED_MODELS_DIR) / request.name),
            progress_total=request.hyper.steps,
        )
        if enqueue:
            _enqueue(job)
    return job


def _enqueue(job: TrainingJob) -> None:
    from training.tasks import training_job_run_task

    task_send_on_commit(training_job_run_task, job.pk, queue=GPU_QUEUE)


def training_job_stop(*, job: TrainingJob) -> bool:
    """Ask a queued or running job to stop; a running one saves a checkpoint first."""
    return work_cancel(work=job, finish=False)


def training_job_retry(*, job: TrainingJob) -> TrainingJob:
    """Queue a failed or stopped job again, or one whose run fell silent; it goes on from
    its last checkpoint."""
    if work_take_back(work=job):
        return job
    with transaction.atomic():
        updated = TrainingJob.objects.filter(
            pk=job.pk, status__in=[Status.FAILED, Status.CANCELLED]
        ).update(status=Status.QUEUED, error="", finished_at=None, updated_at=timezone.now())
        if not updated:
            raise TrainingJobInvalid({"status": "only a failed or stopped job can be retried"})
        job.refresh_from_db()
        _enqueue(job)
    return job


def training_job_requeue(job: TrainingJob) -> str | None:
    """What the stale-work sweep does with a job taken back from a silent run: queued on
    the gpu queue again, unless it runs under a launcher, which only a person restarts."""
    if job.devices > 1:
        line = (
            f"no heartbeat from the launch of this job for over "
            f"{settings.SOULEVAL_WORK_STALE_SECONDS} s: held again; start the launch again "
            f"(train_job_run {job.pk} under torchrun or deepspeed) to go on from the last "
            "checkpoint"
        )
        TrainingJob.objects.filter(pk=job.pk).update(
            log_tail="\n".join([*job.log_tail.splitlines(), line][-LOG_TAIL_LINES:])
        )
        return "held for its launcher"
    _enqueue(job)
    return None


def _data_write(job: TrainingJob, path: Path) -> None:
    """The split as chatml JSON lines, written under a temporary name and renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="utf-8") as output:
        for record in dataset_export_records(
            dataset=job.dataset, split=job.split, export_format="chatml"
        ):
            output.write(json.dumps(record, ensure_ascii=False) + "\n")
    os.replace(partial, path)


def _progress_recorder(job_id: int) -> Callable[[int, int, dict[str, Any]], None]:
    def record(step: int, total: int, logs: dict[str, Any]) -> None:
        job = TrainingJob.objects.only("loss_history", "log_tail").get(pk=job_id)
        line = f"step {step}/{total}: " + ", ".join(
            f"{key} {value:.4g}" if isinstance(value, float) else f"{key} {value}"
            for key, value in logs.items()
        )
        tail = [*job.log_tail.splitlines(), line][-LOG_TAIL_LINES:]
        TrainingJob.objects.filter(pk=job_id).update(
            progress_done=min(step, total),
            loss_history=[*job.loss_history, [step, float(logs["loss"])]],
            log_tail="\n".join(tail),
            updated_at=timezone.now(),
        )

    return record


def _stop_requested(job_id: int) -> Callable[[], bool]:
    def requested() -> bool:
        return TrainingJob.objects.filter(pk=job_id, status=Status.CANCELLED).exists()

    return requested


def _keep_alive(claim: Claim, *, single: bool) -> Callable[[], bool]:
    def beat() -> bool:
        # Ranks stopping at different steps would wait on each other for ever, so a launch
        # of several processes keeps going whatever the beat says.
        return claim.beat() or not single

    return beat


def _fail(claim: Claim, error: str) -> None:
    claim.settle(status=Status.FAILED, error=error, claimed_by="", finished_at=timezone.now())


def _system_register(job: TrainingJob, final: Path, hyper: HyperParameters) -> System:
    lora = hyper.method == LORA
    base = job.base_system
    fields: dict[str, Any] = {
        "kind": System.Kind.HF_LOCAL,
        "checkpoint": job.base if lora else str(final),
        "adapter": str(final) if lora else "",
        "trust_remote_code": job.trust_remote_code,
        "prompt_preset": hyper.preset,
        "system_prompt": hyper.system_prompt,
        "max_input_tokens": hyper.max_input_tokens,
        "description": (
            f"{job.get_method_display()} of {job.base} on {job.dataset.name} ({job.split}), "
            f"{job.progress_done} steps, by training job {job.pk}."
        ),
    }
    if base is not None:
        fields.update(device=base.device, dtype=base.dtype, decoding=base.decoding)
    return system_save(name=job.name, fields=fields)


@dataclass(frozen=True)
class Launch:
    """This process's place in a distributed launch (torchrun or the DeepSpeed launcher
    set RANK and WORLD_SIZE); a Celery task is rank 0 of 1."""

    rank: int = 0
    world: int = 1

    @classmethod
    def from_environment(cls) -> Launch:
        return cls(int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1")))


def training_job_run(*, job_id: int, launch: Launch | None = None) -> TrainingJob | None:
    """Run a queued job, or take over one whose run fell silent, from its last
    checkpoint. A finished, stopped or missing job, or one a live run holds, is left
    alone (None).

    Under a launcher every process runs this: rank 0 claims the job, records progress and
    registers the system; the others only train. A stop request is honoured only by a
    single process (ranks stopping at different steps would wait on each other forever):
    stop a launch by ending it, and retry from its last checkpoint."""
    launch = launch or Launch.from_environment()
    if launch.rank == 0:
        return work_run(model=TrainingJob, pk=job_id, run=lambda claim: _run(job_id, launch, claim))
    if not TrainingJob.objects.filter(
        pk=job_id, status__in=[Status.QUEUED, Status.RUNNING]
    ).exists():
        return None
    return _run(job_id, launch, None)


def _run(job_id: int, launch: Launch, claim: Claim | None) -> TrainingJob | None:
    job = TrainingJob.objects.select_related("dataset", "base_system").get(pk=job_id)
    if launch.world > 1 and launch.world != job.devices:
        if claim is not None:
            _fail(claim, f"launched on {launch.world} processes, but the job was planned for "
                         f"{job.devices} device(s): its global batch depends on it")  # fmt: skip
        return TrainingJob.objects.get(pk=job.pk) if claim is not None else None
    hyper = HyperParameters.from_dict(job.hyper_parameters)
    output = Path(job.output_dir)
    # Each process exports its own copy: none waits on another's file.
    data = output / "data" / f"train-rank{launch.rank}.jsonl"
    # torch loads only on a worker that trains.
    from training.trainer import distributed_finish

    try:
        return _train_and_register(job, hyper, data, claim=claim, launch=launch)
    finally:
        distributed_finish()


def _train_and_register(
    job: TrainingJob, hyper: HyperParameters, data: Path, *, claim: Claim | None, launch: Launch
) -> TrainingJob | None:
    """Rank 0 (the one with the claim) records; the other ranks only train."""
    from training.trainer import TrainingFailed, TrainingSpec, train

    output = Path(job.output_dir)
    leader, single = claim is not None, launch.world == 1
    try:
        _data_write(job, data)
        result = train(
            TrainingSpec(
                base=Path(job.base),
                data=data,
                output=output,
                hyper=hyper,
                plan=plan_check(hyper, devices=job.devices),
                trust_remote_code=job.trust_remote_code,
            ),
            on_log=_progress_recorder(job.pk) if leader else None,
            should_stop=_stop_requested(job.pk) if leader and single else None,
            keep_alive=_keep_alive(claim, single=single) if claim is not None else None,
        )
    except TrainingFailed as error:
        if claim is not None:
            _fail(claim, str(error))
        return TrainingJob.objects.get(pk=job.pk) if leader else None
    if claim is None or result.abandoned:
        return None
    if result.stopped:
        TrainingJob.objects.filter(pk=job.pk, status=Status.CANCELLED).update(
            examples=result.examples.as_dict(),
            progress_done=min(result.steps, job.progress_total),
            claimed_by="",
            finished_at=timezone.now(),
        )
        job.refresh_from_db()
        return job
    claim.settle(
        examples=result.examples.as_dict(),
        progress_done=min(result.steps, job.progress_total),
    )
    job.refresh_from_db()
    try:
        with transaction.atomic():
            system = _system_register(job, result.final, hyper)
            if not claim.settle(status=Status.SUCCEEDED, output_system=system, claimed_by="",
                                finished_at=timezone.now()):  # fmt: skip
                # Stopped or taken over at the very end: the other outcome stands.
                transaction.set_rollback(True)
    except SystemInvalid as error:
        _fail(claim, f"trained, but the system could not be registered: {error}")
    job.refresh_from_db()
    return job
