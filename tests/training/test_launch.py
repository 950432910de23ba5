"""A job held for a launcher and run by torchrun in two processes (CPU, gloo): rank 0
records and registers, rank 1 only trains; a launch of the wrong size is refused."""

from __future__ import annotations

import socket
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command

from tests.support.paths import REPO_ROOT
from tests.support.workers import child_process_env
from training.models import TrainingJob

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def torchrun(processes: int, job: TrainingJob) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(processes),
         "--master_addr", "127.0.0.1", "--master_port", str(free_port()),
         "manage.py", "train_job_run", str(job.pk)],
        cwd=REPO_ROOT, env={**child_process_env(), "OMP_NUM_THREADS": "1"},
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


@pytest.fixture
def held_job(postgres, settings, tmp_path, tiny_model):
    from demo.services import demo_install

    settings.DEBUG = True
    settings.TRAINED_MODELS_DIR = tmp_path / "models"
    demo_install()

    def hold(devices: int) -> TrainingJob:
        out = StringIO()
        call_command("train", "--base", str(tiny_model), "--dataset", "demo-counselling",
                     "--method", "full", "--name", f"tiny-{devices}gpu", "--devices",
                     str(devices), "--steps", "8", "--warmup-steps", "2",
                     "--per-device-batch", "2", "--set", "global_batch=8",
                     "--set", "max_input_tokens=96", "--hold", stdout=out,
                     stderr=StringIO())  # fmt: skip
        job = TrainingJob.objects.get(name=f"tiny-{devices}gpu")
        assert f"manage.py train_job_run {job.pk}" in out.getvalue()
        return job

    return hold


def test_two_processes_train_one_job_and_rank_0_registers_it(held_job):
    job = held_job(2)
    assert job.status == TrainingJob.Status.QUEUED
    finished = torchrun(2, job)
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    job.refresh_from_db()
    assert job.status == TrainingJob.Status.SUCCEEDED, job.error
    assert job.progress_done == 8
    # Accumulation 2 × 2 rows × 2 processes = the global batch of 8.
    assert len(job.loss_history) == 8
    assert job.output_system.name == "tiny-2gpu"
    assert "system tiny-2gpu registered (8 steps)" in finished.stdout


def test_a_launch_of_the_wrong_size_is_refused(held_job):
    job = held_job(1)
    finished = torchrun(2, job)
    assert finished.returncode != 0
    job.refresh_from_db()
    assert job.status == TrainingJob.Status.FAILED
    assert "launched on 2 processes, but the job was planned for 1 device(s)" in job.error
