"""Training jobs through the service and `manage.py train`: refused before they start when
they cannot work, trained on the tiny model, registered as a system that run_eval
evaluates next to its base; stopped, retried and failed jobs keep their reason."""

from __future__ import annotations

import shutil
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from generation.models import Response, System
from training.models import TrainingJob
from training.plan import HyperParameters
from training.services import (
    TrainingJobInvalid,
    TrainingRequest,
    training_job_create,
    training_job_retry,
    training_job_run,
    training_job_stop,
)

pytestmark = pytest.mark.django_db

SMALL = ["--steps", "24", "--warmup-steps", "3", "--per-device-batch", "4",
         "--set", "global_batch=8", "--set", "max_learning_rate=3e-3",
         "--set", "save_every=8", "--set", "max_input_tokens=128"]  # fmt: skip


@pytest.fixture
def demo(settings, tmp_path, tiny_model):
    from demo.services import demo_install
    from generation.services import system_save

    settings.DEBUG = True
    settings.TRAINED_MODELS_DIR = tmp_path / "models"
    demo_install()
    return system_save(
        name="tiny-base",
        fields={"kind": "hf_local", "checkpoint": str(tiny_model), "device": "cpu",
                "decoding": {"max_new_tokens": 8}},
    )  # fmt: skip


def small_hyper(**values) -> HyperParameters:
    return HyperParameters(**{"steps": 16, "warmup_steps": 2, "global_batch": 8,
                              "per_device_batch": 4, "max_learning_rate": 3e-3,
                              "save_every": 8, "max_input_tokens": 128, **values})  # fmt: skip


# Committed for real, as in the embedded default: the queued job runs (eagerly) when the
# command's transaction commits, and --wait follows it.
@pytest.mark.django_db(transaction=True)
def test_train_registers_a_system_that_run_eval_evaluates_next_to_its_base(demo):
    out = StringIO()
    call_command("train", "--base", "tiny-base", "--dataset", "demo-counselling",
                 "--method", "full", "--name", "tiny-sft", *SMALL, "--wait",
                 stdout=out, stderr=StringIO())  # fmt: skip
    job = TrainingJob.objects.get()
    assert job.status == TrainingJob.Status.SUCCEEDED, job.error
    assert "system tiny-sft registered (24 steps" in out.getvalue()
    assert job.progress_done == job.progress_total == 24
    assert job.base_system == demo
    assert len(job.loss_history) == 24
    assert job.loss_history[-1][1] < job.loss_history[0][1]
    assert "step 24/24: loss" in job.log_tail
    assert "tokens_per_second" in job.log_tail.splitlines()[-1]
    assert job.examples["built"] > 0
    system = job.output_system
    assert system.name == "tiny-sft"
    assert system.checkpoint.endswith("tiny-sft/final")
    assert system.adapter == ""
    assert (system.decoding, system.device) == (demo.decoding, "cpu")

    call_command("run_eval", "--dataset", "demo-counselling",
                 "--systems", "tiny-base,tiny-sft", "--auto", "3", "--human", "1",
                 "--raters", "1", stdout=StringIO(), stderr=StringIO())  # fmt: skip
    answered = Response.objects.filter(system__name__in=["tiny-base", "tiny-sft"])
    assert answered.filter(system=system).count() == 3
    assert answered.count() == 6


def test_lora_registers_the_base_with_its_adapter(demo):
    job = training_job_create(
        request=TrainingRequest(name="tiny-lora", base="tiny-base",
                                dataset=demo_dataset(), hyper=small_hyper(method="lora")),
        enqueue=False,
    )  # fmt: skip
    job = training_job_run(job_id=job.pk)
    assert job.status == TrainingJob.Status.SUCCEEDED, job.error
    system = job.output_system
    assert system.checkpoint == demo.checkpoint
    assert system.adapter.endswith("tiny-lora/final")
    assert "LoRA of" in system.description


def demo_dataset():
    from generation.models import Dataset

    return Dataset.objects.get(name="demo-counselling")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"base": "/nowhere/model"}, "base", "never downloads weights"),
        ({"name": "tiny-base"}, "name", "a system named 'tiny-base' already exists"),
        ({"split": "validation"}, "dataset", "has no validation samples"),
        ({"hyper": small_hyper(steps=2)}, "steps", "nothing after the 2 warm-up steps"),
        ({"hyper": small_hyper(per_device_batch=3)}, "global_batch", "not divisible by 3"),
        ({"devices": 3}, "global_batch", "× 3 device(s)"),
    ],
)
def test_requests_that_cannot_work_are_refused_before_anything_is_stored(
    demo, changes, field, message
):
    values = {"name": "new", "base": "tiny-base", "dataset": demo_dataset(),
              "hyper": small_hyper(), **changes}  # fmt: skip
    with pytest.raises(TrainingJobInvalid) as refusal:
        training_job_create(request=TrainingRequest(**values), enqueue=False)
    assert message in refusal.value.errors[field]
    assert not TrainingJob.objects.exists()


def test_a_base_with_an_adapter_is_refused(demo):
    System.objects.filter(pk=demo.pk).update(adapter="/some/adapter")
    with pytest.raises(TrainingJobInvalid, match="train from a whole model"):
        training_job_create(request=TrainingRequest(
            name="x", base="tiny-base", dataset=demo_dataset(), hyper=small_hyper()),
            enqueue=False)  # fmt: skip


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--set", "learning_rate=1"], "learning_rate: unknown hyper-parameter"),
        (["--set", "steps"], "write NAME=VALUE"),
        (["--steps", "10"], "steps: 10 steps leave nothing after the 1000 warm-up steps"),
        (["--dataset", "nope"], "nope"),
    ],
)
def test_the_command_refuses_bad_arguments(demo, arguments, message):
    base = ["--base", "tiny-base", "--dataset", "demo-counselling", "--method", "lora"]
    with pytest.raises(CommandError, match=message):
        call_command("train", *base, *arguments, stdout=StringIO(), stderr=StringIO())
    assert not TrainingJob.objects.exists()


def test_a_stopped_job_is_left_alone_until_retried(demo):
    job = training_job_create(
        request=TrainingRequest(name="tiny-stop", base="tiny-base", dataset=demo_dataset(),
                                hyper=small_hyper()),
        enqueue=False,
    )  # fmt: skip
    assert training_job_stop(job=job)
    assert training_job_run(job_id=job.pk) is None
    assert not training_job_stop(job=job)
    job = training_job_retry(job=job)
    assert job.status == TrainingJob.Status.QUEUED
    with pytest.raises(TrainingJobInvalid, match="only a failed or stopped job"):
        training_job_retry(job=job)


def test_a_failure_is_recorded_with_its_reason(demo, tmp_path, tiny_model):
    copy = tmp_path / "copy"
    shutil.copytree(tiny_model, copy)
    job = training_job_create(
        request=TrainingRequest(name="tiny-gone", base=str(copy), dataset=demo_dataset(),
                                hyper=small_hyper()),
        enqueue=False,
    )  # fmt: skip
    shutil.rmtree(copy)
    job = training_job_run(job_id=job.pk)
    assert job.status == TrainingJob.Status.FAILED
    assert "cannot load the tokenizer" in job.error
    assert job.output_system is None
    assert not System.objects.filter(name="tiny-gone").exists()


def test_the_default_name_takes_the_first_free_number(demo):
    from training.services import training_job_name_default

    System.objects.create(name="tiny-base-lora-1", kind="imported", responses_file="x")
    assert training_job_name_default(base="tiny-base", method="lora") == "tiny-base-lora-2"
    assert training_job_name_default(base="/models/qwen/", method="full") == "qwen-full-1"
    call_command("train", "--base", "tiny-base", "--dataset", "demo-counselling", "--method",
                 "lora", "--steps", "20", "--warmup-steps", "2", "--hold",
                 stdout=StringIO(), stderr=StringIO())  # fmt: skip
    assert TrainingJob.objects.get().name == "tiny-base-lora-2"


def test_train_job_run_names_a_job_that_does_not_exist(demo):
    with pytest.raises(CommandError, match="no training job 404"):
        call_command("train_job_run", "404", stdout=StringIO())
