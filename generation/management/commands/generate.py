from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from tqdm import tqdm

from common.commands import ServiceCommand
from generation.models import GenerationJob
from generation.selectors import (
    dataset_get,
    generation_job_summary,
    sample_list,
    system_get,
)
from generation.services import generation_job_create, generation_job_run

POLL_SECONDS = 1.0
FINISHED = {
    GenerationJob.Status.SUCCEEDED,
    GenerationJob.Status.FAILED,
    GenerationJob.Status.CANCELLED,
}


class Command(ServiceCommand):
    help = (
        "Queue a generation job: SYSTEM answers the samples of a dataset split. Samples that "
        "already have its response are skipped. --wait shows progress and the throughput."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--system", required=True)
        parser.add_argument("--dataset", required=True)
        parser.add_argument("--split", choices=["test", "train", "all"], default="test")
        parser.add_argument("--limit", type=int, help="the first N samples of the split")
        parser.add_argument("--wait", action="store_true", help="wait, with a progress bar")

    def handle(self, *args, **options) -> str:
        limit = options["limit"]
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1")
        system = system_get(name=options["system"])
        dataset = dataset_get(name=options["dataset"])
        split = None if options["split"] == "all" else options["split"]
        samples = sample_list(dataset=dataset, split=split, limit=limit)
        # With eager tasks (the embedded default) the job runs here, so the bar can follow it.
        in_process = settings.CELERY_TASK_ALWAYS_EAGER and options["wait"]
        job = generation_job_create(system=system, samples=samples, enqueue=not in_process)
        self.stderr.write(f"job {job.pk}: {system.name} on {job.progress_total} samples")
        if not options["wait"]:
            return f"job {job.pk} queued; follow it in the admin or with --wait"
        with tqdm(
            total=job.progress_total, desc=f"job {job.pk}", unit="sample", disable=None
        ) as bar:

            def show(done: int, total: int) -> None:
                bar.update(done - bar.n)

            if in_process:
                generation_job_run(job_id=job.pk, on_progress=show)
            summary = generation_job_summary(job=job)
            while summary.status not in FINISHED:
                show(summary.done, summary.total)
                time.sleep(POLL_SECONDS)
                summary = generation_job_summary(job=job)
            show(summary.done, summary.total)
        if job.notes:
            self.stderr.write(f"notes:\n{job.notes}")
        speed = ""
        if summary.seconds:
            speed = f" in {summary.seconds:.1f} s: {summary.responses_per_second:.2f} responses/s"
            if summary.completion_tokens:
                speed += f", {summary.tokens_per_second:.1f} tokens/s"
        result = (
            f"job {job.pk} {summary.status}: {summary.done}/{summary.total} answered, "
            f"{summary.new_responses} new{speed}"
        )
        if job.status != GenerationJob.Status.SUCCEEDED:
            raise CommandError(f"{result}; {job.error}")
        return result
