"""Claims, heartbeats and the stale-work sweep (common.work), in one process: a live run
keeps its work, a silent one loses it to the sweep and the next task, and a run that lost
its work settles nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from common.work import work_claim, work_requeue_stale
from generation.models import GenerationJob, Response, Sample
from generation.services import (
    GenerationJobError,
    generation_job_create,
    generation_job_retry,
    system_save,
)
from tests.support.factories import SampleFactory
from tests.support.workers import silence

pytestmark = pytest.mark.django_db
Status = GenerationJob.Status


@pytest.fixture
def job(tmp_path):
    samples = [SampleFactory() for _ in range(3)]
    answers = tmp_path / "answers.jsonl"
    answers.write_text(
        "\n".join(f'{{"sample_id": {sample.pk}, "response": "嗯，{n}"}}'
                  for n, sample in enumerate(samples)),
        encoding="utf-8",
    )  # fmt: skip
    system = system_save(name="file", fields={"kind": "imported", "responses_file": str(answers)})
    return generation_job_create(
        system=system, samples=Sample.objects.filter(pk__in=[s.pk for s in samples]), enqueue=False
    )


def test_a_claim_takes_queued_work_once(job):
    claim = work_claim(model=GenerationJob, pk=job.pk)
    job.refresh_from_db()
    assert (job.status, job.claimed_by) == (Status.RUNNING, claim.token)
    assert job.heartbeat_at is not None
    assert job.started_at is not None
    # Another delivery while this run lives is refused.
    assert work_claim(model=GenerationJob, pk=job.pk) is None
    assert claim.beat()


def test_silent_work_is_taken_over_and_the_old_run_settles_nothing(job):
    old = work_claim(model=GenerationJob, pk=job.pk)
    silence(job)
    new = work_claim(model=GenerationJob, pk=job.pk)
    assert new is not None
    assert new.token != old.token
    assert not old.beat()
    assert not old.settle(status=Status.FAILED, error="late")
    job.refresh_from_db()
    assert (job.status, job.error, job.claimed_by) == (Status.RUNNING, "", new.token)


def test_finished_or_cancelled_work_is_never_claimed(job):
    for status in (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED):
        GenerationJob.objects.filter(pk=job.pk).update(status=status, heartbeat_at=None)
        assert work_claim(model=GenerationJob, pk=job.pk) is None


def test_the_sweep_requeues_silent_work_only(job, django_capture_on_commit_callbacks):
    work_claim(model=GenerationJob, pk=job.pk)
    # A live run keeps its work.
    assert work_requeue_stale() == []
    silence(job)
    with django_capture_on_commit_callbacks(execute=True) as sent:
        taken = work_requeue_stale()
    assert [(entry.model, entry.pk) for entry in taken] == [("GenerationJob", job.pk)]
    assert "last heartbeat" in taken[0].holder
    assert len(sent) == 1  # the job's task, sent again (run here: tasks are eager in tests)
    job.refresh_from_db()
    assert (job.status, job.requeues, job.claimed_by) == (Status.SUCCEEDED, 1, "")
    assert Response.objects.filter(job=job).count() == 3
    # Nothing left to sweep.
    assert work_requeue_stale() == []


def test_retry_takes_back_a_silent_job_and_refuses_a_live_one(
    job, django_capture_on_commit_callbacks
):
    work_claim(model=GenerationJob, pk=job.pk)
    with pytest.raises(GenerationJobError, match="only a failed or cancelled job is retried"):
        generation_job_retry(job=job)
    silence(job)
    with django_capture_on_commit_callbacks(execute=True):
        job = generation_job_retry(job=GenerationJob.objects.get(pk=job.pk))
    job.refresh_from_db()
    assert (job.status, job.requeues) == (Status.SUCCEEDED, 1)


def test_a_silent_launch_of_several_processes_is_held_for_its_launcher(
    job, django_capture_on_commit_callbacks, tmp_path
):
    from training.models import TrainingJob

    training = TrainingJob.objects.create(
        name="big", base="/models/base", dataset=job.samples.first().dataset, method="full",
        devices=8, output_dir=str(tmp_path / "big"), progress_total=10, status="running",
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True) as sent:
        taken = work_requeue_stale(model=TrainingJob)
    assert [(entry.pk, entry.note) for entry in taken] == [(training.pk, "held for its launcher")]
    assert sent == []
    training.refresh_from_db()
    assert training.status == "queued"
    assert f"train_job_run {training.pk} under torchrun" in training.log_tail


def test_run_eval_resuming_takes_back_silent_jobs_at_once(
    capsys, tmp_path, settings, django_capture_on_commit_callbacks
):
    from demo.services import DEMO_DATASET, demo_install
    from reports.models import EvalRun
    from reports.services import RunRequest, eval_run_start

    settings.DEBUG = True
    demo_install()
    samples = Sample.objects.filter(dataset__name=DEMO_DATASET, split="test")
    answers = tmp_path / "answers.jsonl"
    answers.write_text(
        "\n".join(f'{{"sample_id": {s.pk}, "response": "嗯"}}' for s in samples), encoding="utf-8"
    )
    system = system_save(name="file", fields={"kind": "imported", "responses_file": str(answers)})
    request = RunRequest(
        datasets=[samples.first().dataset], systems=[system], auto_samples=samples.count(),
        human_samples=0, raters_per_item=3,
    )  # fmt: skip
    # The run's job is running on a worker that then dies (nothing commits here, so the
    # run's own advance never makes a job: this one stands in for it).
    run, _ = eval_run_start(request=request)
    job = generation_job_create(system=system, samples=samples, enqueue=False)
    run.generation_jobs.add(job)
    work_claim(model=GenerationJob, pk=job.pk)
    arguments = ["run_eval", "--dataset", DEMO_DATASET, "--systems", "file",
                 "--auto", str(samples.count()), "--human", "0"]  # fmt: skip

    with django_capture_on_commit_callbacks(execute=True):
        call_command(*arguments)
    assert f"generation job {job.pk} (file): running (" in capsys.readouterr().err
    assert GenerationJob.objects.get(pk=job.pk).status == Status.RUNNING

    silence(job)
    with django_capture_on_commit_callbacks(execute=True):
        call_command(*arguments)
    job.refresh_from_db()
    assert (job.status, job.requeues) == (Status.SUCCEEDED, 1)
    assert EvalRun.objects.get(pk=run.pk).status == EvalRun.Status.RATING


def test_a_run_a_person_stopped_is_taken_over_without_waiting(job, monkeypatch):
    from generation.services import generation_job_run
    from generation.services import jobs as generation_jobs

    def interrupted(claim, on_progress):
        raise KeyboardInterrupt

    monkeypatch.setattr(generation_jobs, "_run", interrupted)
    with pytest.raises(KeyboardInterrupt):
        generation_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.heartbeat_at) == (Status.RUNNING, None)
    monkeypatch.undo()
    # A rerun at once (say run_eval again after Ctrl-C) takes it over.
    assert generation_job_run(job_id=job.pk).status == Status.SUCCEEDED
