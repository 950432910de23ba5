"""A worker killed outright never stalls work: real Celery workers on Redis (prefork, as
servers run them), SIGKILLed main process and pool child, and the sweeper of
docker-compose (a worker on the `sweep` queue running Celery beat) with a short stale
threshold. The job then completes on another worker, nothing stored twice; a task
delivered again while its first run lives is left alone."""

from __future__ import annotations

import os
import signal
import time

import pytest
from django.core.management import call_command
from django.utils import timezone

from config.celery_app import app as celery_app
from tests.support.workers import CeleryWorker, wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

STALE_SECONDS, SWEEP_SECONDS = 4, 1
FAST_SWEEP = {
    "SOULEVAL_WORK_STALE_SECONDS": str(STALE_SECONDS),
    "SOULEVAL_WORK_SWEEP_SECONDS": str(SWEEP_SECONDS),
}


@pytest.fixture
def crew(postgres, redis_broker_url):
    """Starts workers on Redis with the short stale threshold; stops them all after."""
    import redis

    started: list[CeleryWorker] = []

    def start(**options) -> CeleryWorker:
        worker = CeleryWorker(redis_broker_url, env=FAST_SWEEP, **options).start()
        started.append(worker)
        return worker

    celery_app.conf.task_always_eager = False
    try:
        yield start
    finally:
        celery_app.conf.task_always_eager = True
        for worker in started:
            worker.stop()
            worker.remove_files()
        # The killed worker's message stays unacknowledged in Redis for the visibility
        # timeout; it must not reach a later test's worker.
        redis.Redis.from_url(redis_broker_url).flushdb()


def kill_outright(worker: CeleryWorker) -> float:
    """SIGKILL the worker's main process and its pool child, as a lost machine would."""
    children = worker.pool_children()
    assert children, "a prefork worker has a pool child"
    for pid in [worker.process.pid, *children]:
        os.kill(pid, signal.SIGKILL)
    worker.process.wait(timeout=30)
    return time.monotonic()


@pytest.fixture
def demo_samples(settings):
    from demo.services import DEMO_DATASET, demo_install
    from generation.models import Sample

    settings.DEBUG = True
    demo_install()
    return Sample.objects.filter(dataset__name=DEMO_DATASET)


def slow_system(tiny_model, name: str):
    from generation.services import system_save

    # The mechat preset does not stop at this corpus's "用户：": every answer is long, so
    # the job is still running when its worker is killed.
    return system_save(
        name=name,
        fields={"kind": "hf_local", "checkpoint": str(tiny_model), "device": "cpu",
                "prompt_preset": "mechat", "batch_size": 1,
                "decoding": {"do_sample": False, "max_new_tokens": 200}},
    )  # fmt: skip


def test_a_killed_workers_generation_job_is_taken_over_and_scored_once(
    crew, tiny_model, demo_samples
):
    from generation.models import GenerationJob, Response
    from reports.models import EvalRun, EvalSample, ResponseScore

    system = slow_system(tiny_model, "slow")
    first = crew(pool="prefork")
    tests = demo_samples.filter(split="test").count()
    call_command("run_eval", "--dataset", "demo-counselling", "--systems", "slow",
                 "--auto", str(tests), "--human", "0", "--raters", "1")  # fmt: skip
    run = EvalRun.objects.get()
    # The run's advance (on the worker) makes the job.
    wait_for(lambda: GenerationJob.objects.filter(eval_runs=run).exists(), first, 60)
    job = run.generation_jobs.get()

    wait_for(lambda: GenerationJob.objects.get(pk=job.pk).progress_done >= 2, first, 120)
    killed = kill_outright(first)
    job.refresh_from_db()
    assert job.status == GenerationJob.Status.RUNNING
    assert 2 <= job.progress_done < tests, "the job finished before the worker was killed"
    assert job.claimed_by.startswith(f"{os.uname().nodename}:")

    crew(pool="prefork")
    sweeper = crew(queues="sweep", beat=True)
    wait_for(lambda: GenerationJob.objects.get(pk=job.pk).status == "succeeded", sweeper, 120)
    finished = time.monotonic()
    job.refresh_from_db()
    assert job.requeues == 1
    # The sweep logs after it commits; its line can reach the file after the job is done.
    wait_for(lambda: "taken back from" in sweeper.log_text(), sweeper, 30)
    assert Response.objects.filter(system=system).count() == tests
    assert Response.objects.filter(system=system).values("sample").distinct().count() == tests
    wait_for(lambda: EvalRun.objects.get(pk=run.pk).status == EvalRun.Status.RATING, sweeper)
    scored = ResponseScore.objects.filter(response__system=system)
    assert scored.count() == scored.values("response").distinct().count() == tests
    assert EvalSample.objects.filter(run=run).count() == tests
    print(f"\nkilled → succeeded in {finished - killed:.1f} s (stale after {STALE_SECONDS} s, "
          f"sweep every {SWEEP_SECONDS} s)")  # fmt: skip


def test_a_killed_workers_corpus_build_is_taken_over_without_storing_twice(
    tmp_path, crew, server, rewriter
):
    from corpus.models import CorpusBuild, CorpusRewrite
    from corpus.services import CorpusRequest, corpus_build_create
    from generation.models import Sample
    from tests.support.rewriter import qa_line, write_input

    server.delay = 0.3
    records = 24
    lines = [qa_line(f"q{n}", f"good~{n}") for n in range(1, records + 1)]
    first = crew(pool="prefork")
    request = CorpusRequest(path=write_input(tmp_path, lines), rewriter=rewriter, prompt="empathy")
    build = corpus_build_create(request=request)  # on `default`: an API rewriter

    wait_for(lambda: CorpusBuild.objects.get(pk=build.pk).progress_done >= 8, first, 60)
    kill_outright(first)
    build.refresh_from_db()
    assert build.status == CorpusBuild.Status.RUNNING
    assert build.progress_done < records, "the build finished before the worker was killed"

    crew(pool="prefork")
    sweeper = crew(queues="sweep", beat=True)
    wait_for(lambda: CorpusBuild.objects.get(pk=build.pk).status == "succeeded", sweeper, 120)
    build.refresh_from_db()
    assert build.requeues == 1
    assert build.rewrites.filter(status=CorpusRewrite.Status.ACCEPTED).count() == records
    assert build.calls == records  # answers stored, each once
    # Only the window in flight when the worker died (concurrency 2 × 4) was asked again.
    asked_twice = [case for case, times in server.asked.items() if times > 1]
    assert len(asked_twice) <= 8
    assert max(server.asked.values()) <= 2
    dialogues = Sample.objects.filter(dataset=build.dataset).values_list("dialogue_id", flat=True)
    assert len(dialogues) == records * 8
    assert len(set(dialogues)) == records


def test_a_task_delivered_again_while_its_run_lives_is_left_alone(crew, tiny_model, demo_samples):
    from generation.models import GenerationJob, Response
    from generation.services import generation_job_create
    from generation.tasks import generation_job_run_task

    system = slow_system(tiny_model, "slow-live")
    running = crew(pool="prefork")
    # Every demo sample, not only the test split's: the run must outlive the second
    # worker's start, and seven answers were sometimes done before it took the message.
    job = generation_job_create(system=system, samples=demo_samples)
    wait_for(lambda: GenerationJob.objects.get(pk=job.pk).progress_done >= 1, running, 120)
    holder = GenerationJob.objects.get(pk=job.pk).claimed_by

    # A second delivery, as Redis makes after its visibility timeout, to another worker.
    # On a queue only that worker reads: on a shared one the first worker, done with the
    # job, could take the message itself, and the test would not see the second run.
    other = crew(queues="redelivered")
    generation_job_run_task.apply_async((job.pk,), queue="redelivered")
    wait_for(lambda: "left to that run" in other.log_text(), other, 60)
    wait_for(lambda: GenerationJob.objects.get(pk=job.pk).status == "succeeded", running, 120)
    job.refresh_from_db()
    assert job.requeues == 0
    assert job.finished_at <= timezone.now()
    assert f"GenerationJob {job.pk} is running ({holder.rsplit(':', 1)[0]}" in other.log_text()
    assert Response.objects.filter(system=system).count() == job.progress_total
