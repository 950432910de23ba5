from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import CommandError, CommandParser
from tqdm import tqdm

from common.commands import ServiceCommand
from generation.selectors import dataset_get
from training.models import TrainingJob
from training.plan import METHODS, HyperParameters, PlanInvalid
from training.services import (
    TrainingRequest,
    training_job_create,
    training_job_name_default,
)

POLL_SECONDS = 2.0
FINISHED = {TrainingJob.Status.SUCCEEDED, TrainingJob.Status.FAILED, TrainingJob.Status.CANCELLED}


def _setting(text: str) -> tuple[str, Any]:
    name, separator, value = text.partition("=")
    if not separator or not name:
        raise CommandError(f"--set {text}: write NAME=VALUE, e.g. --set max_learning_rate=1e-4")
    try:
        return name, json.loads(value)
    except ValueError:
        return name, value


class Command(ServiceCommand):
    help = (
        "Fine-tune a local checkpoint (or an hf_local system's) on a dataset's split, full or "
        "LoRA, as a job on the gpu queue; on success the result is registered as a system "
        "ready for run_eval. Defaults are the SoulChat paper's (global batch 80, 30,000 "
        "steps, WarmupDecayLR to 5e-5 after 1,000 warm-up steps)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--base", required=True, help="checkpoint directory or system name")
        parser.add_argument("--dataset", required=True)
        parser.add_argument("--split", default="train")
        parser.add_argument("--method", choices=METHODS, required=True)
        parser.add_argument("--name", help="name of the system it registers (BASE-METHOD-N)")
        parser.add_argument("--steps", type=int)
        parser.add_argument("--warmup-steps", type=int)
        parser.add_argument("--per-device-batch", type=int)
        parser.add_argument("--devices", type=int, default=1, help="GPUs of the launch")
        parser.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="any other hyper-parameter (JSON value), repeatable",
        )
        parser.add_argument("--trust-remote-code", action="store_true")
        parser.add_argument(
            "--hold",
            action="store_true",
            help="store the job without queueing it, to start it under a launcher (train_job_run)",
        )
        parser.add_argument("--wait", action="store_true", help="follow the job to its end")

    def handle(self, *args, **options) -> str:
        dataset = dataset_get(name=options["dataset"])
        values: dict[str, Any] = dict(_setting(text) for text in options["set"])
        values["method"] = options["method"]
        for option in ("steps", "warmup_steps", "per_device_batch"):
            if options[option] is not None:
                values[option] = options[option]
        try:
            hyper = HyperParameters.from_dict(values)
        except PlanInvalid as error:
            raise CommandError(f"hyper-parameters: {error}") from None
        name = options["name"] or training_job_name_default(
            base=options["base"], method=hyper.method
        )
        job = training_job_create(
            request=TrainingRequest(
                name=name,
                base=options["base"],
                dataset=dataset,
                hyper=hyper,
                split=options["split"],
                devices=options["devices"],
                trust_remote_code=options["trust_remote_code"],
            ),
            enqueue=not options["hold"],
        )
        self.stderr.write(
            f"training job {job.pk} {'held' if options['hold'] else 'queued'}: "
            f"{job.get_method_display()} of {job.base} on {dataset.name} ({job.split}), "
            f"{job.progress_total} steps → system {job.name}"
        )
        if options["hold"]:
            launcher = f"torchrun --nproc_per_node {job.devices}" if job.devices > 1 else "python"
            return f"start it with: {launcher} manage.py train_job_run {job.pk}"
        if not options["wait"]:
            return f"training job {job.pk}: follow it in the admin (Training jobs)"
        job = self._follow(job)
        if job.status == TrainingJob.Status.FAILED:
            raise CommandError(f"training job {job.pk} failed: {job.error}")
        if job.status == TrainingJob.Status.CANCELLED:
            return f"training job {job.pk} stopped at step {job.progress_done}; retry to go on"
        if job.output_system is None:
            return f"training job {job.pk}: {job.status} at step {job.progress_done}"
        return (
            f"system {job.output_system.name} registered ({job.progress_done} steps; "
            f"{job.examples.get('built', 0)} examples): run_eval --systems "
            f"{job.output_system.name},…"
        )

    def _follow(self, job: TrainingJob) -> TrainingJob:
        with tqdm(total=job.progress_total, desc="training", unit="step", disable=None) as bar:
            while True:
                job.refresh_from_db()
                bar.update(job.progress_done - bar.n)
                if job.loss_history:
                    bar.set_postfix(loss=f"{job.loss_history[-1][1]:.3f}", refresh=False)
                if job.status in FINISHED:
                    return job
                time.sleep(POLL_SECONDS)
