"""A real Celery worker process on Redis runs a task against the test PostgreSQL database."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.celery_app import app as celery_app
from generation.models import Dataset
from generation.services import dataset_import
from generation.tasks import dataset_refresh_stats
from tests.support.workers import wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_an_import_queues_statistics_that_a_worker_computes(worker, tmp_path: Path):
    corpus = tmp_path / "w.txt"
    corpus.write_text("用户：a\n心理咨询师：b\n用户：c\n心理咨询师：d", encoding="utf-8")
    dataset_import(path=corpus, source_format="soulchat", name="w", test_ratio=0.0)

    def computed() -> bool:
        return Dataset.objects.get(name="w").stats_updated_at is not None

    wait_for(computed, worker)
    dataset = Dataset.objects.get(name="w")
    assert dataset.stats["samples"] == 2
    assert dataset.stats["samples_per_split"] == {"train": 2}
    assert "succeeded" in worker.log_text()


def test_a_task_delivered_twice_gives_the_same_result(worker, tmp_path: Path):
    corpus = tmp_path / "t.txt"
    corpus.write_text("用户：a\n心理咨询师：b", encoding="utf-8")
    dataset_import(path=corpus, source_format="soulchat", name="t", test_ratio=1.0)
    dataset = Dataset.objects.get(name="t")
    wait_for(lambda: Dataset.objects.get(pk=dataset.pk).stats_updated_at is not None, worker)
    first = Dataset.objects.get(pk=dataset.pk)

    dataset_refresh_stats.delay(dataset.pk)
    wait_for(
        lambda: Dataset.objects.get(pk=dataset.pk).stats_updated_at > first.stats_updated_at,
        worker,
    )
    assert (
        Dataset.objects.get(pk=dataset.pk).stats
        == first.stats
        == {
            "dialogues": 1,
            "samples": 1,
            "samples_per_split": {"test": 1},
            "topics": {},
            "mean_context_turns": 1.0,
            "mean_reference_chars": 1.0,
        }
    )
    # A task for a dataset that no longer exists is a no-op, not a crash loop.
    dataset_refresh_stats.delay(dataset.pk + 1000)
    wait_for(lambda: worker.log_text().count("succeeded") == 3, worker)


def test_tasks_route_to_the_default_queue_unless_told():
    route = celery_app.amqp.router.route({}, "generation.tasks.dataset_refresh_stats")
    assert route["queue"].name == "default"


@pytest.fixture
def demo_samples(settings):
    from demo.services import DEMO_DATASET, demo_install
    from generation.models import Sample

    settings.DEBUG = True
    demo_install()
    return Sample.objects.filter(dataset__name=DEMO_DATASET)


def local_system(tiny_model, name: str, **fields):
    from generation.services import system_save

    return system_save(
        name=name,
        fields={"kind": "hf_local", "checkpoint": str(tiny_model), "device": "cpu", **fields},
    )


def test_a_worker_runs_a_generation_job_from_the_gpu_queue(worker, tiny_model, demo_samples):
    from generation.models import GenerationJob, Response
    from generation.services import generation_job_create

    system = local_system(tiny_model, "tiny", decoding={"max_new_tokens": 12})
    job = generation_job_create(system=system, samples=demo_samples)
    wait_for(lambda: GenerationJob.objects.get(pk=job.pk).status == "succeeded", worker, 120)
    job.refresh_from_db()
    assert job.progress_done == job.progress_total == 25
    assert Response.objects.filter(job=job).count() == 25


def test_run_eval_end_to_end_on_a_worker(worker, tiny_model, demo_samples):
    """run_eval queues generation on the gpu queue; the worker answers, the finished job
    moves the run on (a task on the default queue): scores, then the blind study."""
    from django.core.management import call_command

    from reports.models import EvalRun, ResponseScore
    from reports.selectors.results import results_table

    local_system(tiny_model, "tiny-eval", decoding={"max_new_tokens": 12})
    local_system(tiny_model, "tiny-eval-b", decoding={"max_new_tokens": 6})
    call_command(
        "run_eval", "--dataset", "demo-counselling", "--systems", "tiny-eval,tiny-eval-b",
        "--auto", "5", "--human", "3", "--raters", "2",
    )  # fmt: skip
    run = EvalRun.objects.get()

    def opened() -> bool:
        return EvalRun.objects.filter(pk=run.pk, study__isnull=False).exists()

    wait_for(opened, worker, 180)
    run.refresh_from_db()
    assert run.status == EvalRun.Status.RATING
    assert (
        ResponseScore.objects.filter(response__system__name__startswith="tiny-eval").count() == 10
    )
    assert run.study.items.count() == 6
    table = results_table(run=run, with_agreement=False)
    assert {row.system for row in table.rows} == {"tiny-eval", "tiny-eval-b"}
    assert all(row.cells["bleu_1"].n == 5 for row in table.rows)


def test_a_worker_trains_a_job_from_the_gpu_queue(worker, tiny_model, demo_samples, settings,
                                                  tmp_path):  # fmt: skip
    from generation.models import Dataset
    from training.models import TrainingJob
    from training.plan import HyperParameters
    from training.services import TrainingRequest, training_job_create

    settings.TRAINED_MODELS_DIR = tmp_path / "models"
    hyper = HyperParameters(steps=12, warmup_steps=2, global_batch=8, per_device_batch=4,
                            max_learning_rate=3e-3, save_every=6, max_input_tokens=128)  # fmt: skip
    job = training_job_create(request=TrainingRequest(
        name="tiny-trained", base=str(tiny_model),
        dataset=Dataset.objects.get(name="demo-counselling"), hyper=hyper,
    ))  # fmt: skip

    def finished() -> bool:
        return TrainingJob.objects.get(pk=job.pk).status in ("succeeded", "failed")

    wait_for(finished, worker, 180)
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert job.progress_done == 12
    assert job.output_system.checkpoint == str(tmp_path / "models" / "tiny-trained" / "final")
    assert (tmp_path / "models" / "tiny-trained" / "final" / "config.json").is_file()
    assert "training.tasks.training_job_run" in worker.log_text()
