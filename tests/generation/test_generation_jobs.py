"""Generation jobs end to end in one process: local model, failures, resuming, cancelling."""

from __future__ import annotations

import pytest

from demo.services import DEMO_DATASET, demo_install
from generation.models import GenerationFailure, GenerationJob, Response, Sample, System
from generation.services import (
    GenerationJobError,
    generation_job_cancel,
    generation_job_create,
    generation_job_retry,
    generation_job_run,
    system_save,
)
from tests.support.workers import silence

pytestmark = pytest.mark.django_db
Status = GenerationJob.Status


@pytest.fixture
def demo_samples(settings):
    settings.DEBUG = True
    demo_install()
    return Sample.objects.filter(dataset__name=DEMO_DATASET)


@pytest.fixture
def local_system(tiny_model) -> System:
    return system_save(
        name="tiny",
        fields={
            "kind": "hf_local",
            "checkpoint": str(tiny_model),
            "device": "cpu",
            "batch_size": 4,
            "decoding": {"do_sample": False, "max_new_tokens": 16},
        },
    )


def test_a_local_model_answers_every_sample_in_batches(demo_samples, local_system):
    seen = []
    job = generation_job_create(system=local_system, samples=demo_samples, enqueue=False)
    job = generation_job_run(job_id=job.pk, on_progress=lambda done, total: seen.append(done))
    assert (job.status, job.progress_done, job.progress_total) == (Status.SUCCEEDED, 25, 25)
    assert seen == sorted(seen)
    assert seen[0] == 0
    assert len(seen) > 2
    responses = Response.objects.filter(system=local_system)
    assert responses.count() == 25
    for response in responses:
        assert response.job == job
        assert response.prompt_tokens > 0
        assert 0 <= response.completion_tokens <= 16
        assert response.latency_seconds > 0
        assert "\n用户：" not in response.text


def test_a_rerun_or_a_second_job_never_makes_a_second_response(demo_samples, local_system):
    first = generation_job_create(system=local_system, samples=demo_samples, enqueue=False)
    generation_job_run(job_id=first.pk)
    texts = dict(Response.objects.values_list("sample_id", "text"))
    # A redelivered message for a finished job is a no-op.
    assert generation_job_run(job_id=first.pk) is None
    second = generation_job_create(system=local_system, samples=demo_samples, enqueue=False)
    assert second.progress_done == 25
    second = generation_job_run(job_id=second.pk)
    assert second.status == Status.SUCCEEDED
    assert second.responses.count() == 0
    assert dict(Response.objects.values_list("sample_id", "text")) == texts


def test_a_crash_mid_job_loses_at_most_the_batch_in_flight(demo_samples, local_system, monkeypatch):
    from generation.local_models import LocalModel

    real_generate = LocalModel.generate
    calls = []

    # Killing the worker process is what test_celery_worker does; here the same crash
    # (an exception no handler takes, like the SystemExit of a killed worker) hits the
    # third batch in this process.
    def crashing(self, prompts, params, stop=()):
        calls.append(len(prompts))
        if len(calls) == 3:
            raise SystemExit("worker killed")
        return real_generate(self, prompts, params, stop)

    monkeypatch.setattr(LocalModel, "generate", crashing)
    job = generation_job_create(system=local_system, samples=demo_samples, enqueue=False)
    with pytest.raises(SystemExit):
        generation_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == Status.RUNNING
    assert Response.objects.count() == job.progress_done == 8

    monkeypatch.setattr(LocalModel, "generate", real_generate)
    # Delivered again at once, the task cannot tell the run is dead: it leaves the job.
    assert generation_job_run(job_id=job.pk) is None
    assert Response.objects.count() == 8
    # Once the run has been silent past the threshold, the task takes it over.
    silence(job)
    job = generation_job_run(job_id=job.pk)
    assert job.status == Status.SUCCEEDED
    assert Response.objects.count() == 25
    assert Response.objects.values("sample").distinct().count() == 25


def test_a_system_that_cannot_load_fails_the_job_at_once(demo_samples, tmp_path):
    system = system_save(
        name="gone", fields={"kind": "hf_local", "checkpoint": str(tmp_path / "x")}
    )
    job = generation_job_create(system=system, samples=demo_samples, enqueue=False)
    job = generation_job_run(job_id=job.pk)
    assert job.status == Status.FAILED
    assert f"checkpoint not found at {tmp_path / 'x'}" in job.error
    assert not GenerationFailure.objects.exists()
    assert job.finished_at is not None


def test_a_prompt_that_cannot_fit_is_a_failure_with_its_reason(demo_samples, tiny_model):
    system = system_save(
        name="small",
        fields={"kind": "hf_local", "checkpoint": str(tiny_model), "max_input_tokens": 3,
                "decoding": {"max_new_tokens": 4}},
    )  # fmt: skip
    job = generation_job_create(
        system=system,
        samples=demo_samples.filter(pk__in=demo_samples.values("pk")[:3]),
        enqueue=False,
    )
    job = generation_job_run(job_id=job.pk)
    assert job.status == Status.FAILED
    assert job.error.startswith("3 of 3 samples have no response; the first reason: cannot build")
    reasons = list(job.failures.values_list("reason", flat=True))
    assert len(reasons) == 3
    for reason in reasons:
        assert reason.startswith("cannot build the prompt: the prompt without the client's words")
        assert reason.endswith("tokens; the input budget is 3")


def test_cancel_stops_after_the_current_batch_and_retry_finishes(
    demo_samples, local_system, django_capture_on_commit_callbacks
):
    job = generation_job_create(system=local_system, samples=demo_samples, enqueue=False)

    def cancel_after_first_batch(done, total):
        if done > 0:
            generation_job_cancel(job=job)

    job = generation_job_run(job_id=job.pk, on_progress=cancel_after_first_batch)
    assert job.status == Status.CANCELLED
    assert job.progress_done == 4
    assert generation_job_run(job_id=job.pk) is None
    with django_capture_on_commit_callbacks(execute=True):
        generation_job_retry(job=job)
    job.refresh_from_db()
    assert (job.status, job.progress_done) == (Status.SUCCEEDED, 25)
    with pytest.raises(GenerationJobError, match="only a failed or cancelled job"):
        generation_job_retry(job=job)


def test_an_empty_selection_is_refused(local_system):
    with pytest.raises(GenerationJobError, match="no samples selected"):
        generation_job_create(system=local_system, samples=Sample.objects.none())
    assert not GenerationJob.objects.exists()


def test_jobs_go_to_the_gpu_queue_only_for_local_models(
    local_system, demo_samples, monkeypatch, django_capture_on_commit_callbacks
):
    from generation.tasks import generation_job_run_task

    # What is sent, and to which queue, is recorded instead of run (the worker tests run it).
    sent = []
    monkeypatch.setattr(
        generation_job_run_task, "apply_async", lambda args, queue: sent.append((args, queue))
    )
    api = system_save(
        name="api",
        fields={"kind": "openai_api", "endpoint": "http://127.0.0.1:1/v1", "model_name": "m"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        local_job = generation_job_create(system=local_system, samples=demo_samples)
        api_job = generation_job_create(system=api, samples=demo_samples)
    assert sent == [((local_job.pk,), "gpu"), ((api_job.pk,), "default")]
