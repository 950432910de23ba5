from __future__ import annotations

from django.core.management.base import CommandError, CommandParser

from common.commands import ServiceCommand
from training.models import TrainingJob
from training.services import training_job_run


class Command(ServiceCommand):
    help = (
        "Run a queued training job in this process, or in every process of a launcher: "
        "`torchrun --nproc_per_node N manage.py train_job_run JOB` or `deepspeed --num_gpus N "
        "manage.py train_job_run JOB` for a job made with `train --devices N --hold`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("job", type=int)

    def handle(self, *args, **options) -> str:
        if not TrainingJob.objects.filter(pk=options["job"]).exists():
            raise CommandError(f"no training job {options['job']}")
        job = training_job_run(job_id=options["job"])
        if job is None:
            # Ranks other than 0, or a job that is not queued: nothing to say.
            return ""
        if job.status == TrainingJob.Status.FAILED:
            raise CommandError(f"training job {job.pk} failed: {job.error}")
        if job.status == TrainingJob.Status.SUCCEEDED and job.output_system is not None:
            return f"system {job.output_system.name} registered ({job.progress_done} steps)"
        return f"training job {job.pk}: {job.status} at step {job.progress_done}"
