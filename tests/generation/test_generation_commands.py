"""add_system, generate and make_demo_model, as a user types them."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from generation.models import GenerationJob, Response, System
from tests.support.factories import SampleFactory

pytestmark = pytest.mark.django_db


def command(*args) -> str:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def test_add_system_registers_each_kind(tmp_path):
    command("add_system", "base", "--kind", "hf_local", "--checkpoint", str(tmp_path),
            "--dtype", "bfloat16", "--batch-size", "32", "--decoding", "top_p=0.9",
            "--decoding", "do_sample=false")  # fmt: skip
    command("add_system", "gpt", "--kind", "openai_api", "--endpoint", "https://api.example.com/v1",
            "--model", "gpt-4o", "--api-key-env", "OPENAI_API_KEY", "--preset", "chat",
            "--system-prompt", "你是咨询师。", "--concurrency", "8")  # fmt: skip
    output = command("add_system", "file", "--kind", "imported", "--responses-file", "a.jsonl")
    assert output.strip() == "file: registered (Responses imported from a file)"
    base, gpt = System.objects.get(name="base"), System.objects.get(name="gpt")
    assert base.decoding == {"top_p": 0.9, "do_sample": False}
    assert (base.dtype, base.batch_size, base.prompt_preset) == ("bfloat16", 32, "soulchat")
    assert (gpt.api_key_env, gpt.concurrency, gpt.prompt_preset) == ("OPENAI_API_KEY", 8, "chat")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x", "--kind", "hf_local"], "checkpoint: A system of kind hf_local needs this."),
        (["x", "--kind", "openai_api", "--endpoint", "notaurl", "--model", "m"], "endpoint:"),
        (["x", "--kind", "openai_api", "--endpoint", "http://h/v1"], "model_name:"),
        (["x", "--kind", "imported", "--responses-file", "f", "--decoding", "top_p"],
         "write KEY=VALUE"),
        (["x", "--kind", "imported", "--responses-file", "f", "--decoding", "beam=4"],
         "unknown decoding parameter(s) beam"),
        (["x y", "--kind", "imported", "--responses-file", "f"], "name: Use letters"),
        (["x", "--kind", "openai_api", "--endpoint", "http://h/v1", "--model", "m",
          "--api-key-env", "sk-live-123"], "api_key_env: An environment variable name."),
        (["x"], "--kind is required"),
        (["nobody", "--update", "--description", "d"], "no system named 'nobody'"),
    ],
)  # fmt: skip
def test_add_system_refuses_bad_input_and_stores_nothing(args, message):
    with pytest.raises(CommandError) as error:
        command("add_system", *args)
    assert message in str(error.value)
    assert not System.objects.exists()


def test_a_system_with_responses_keeps_its_configuration(tmp_path):
    command("add_system", "base", "--kind", "hf_local", "--checkpoint", str(tmp_path))
    with pytest.raises(CommandError, match="already exists"):
        command("add_system", "base", "--kind", "hf_local", "--checkpoint", "/elsewhere")
    Response.objects.create(sample=SampleFactory(), system=System.objects.get(name="base"))
    with pytest.raises(CommandError, match="changing checkpoint would mix two configurations"):
        command("add_system", "base", "--update", "--checkpoint", "/elsewhere")
    command("add_system", "base", "--update", "--description", "the base model")
    system = System.objects.get(name="base")
    assert (system.checkpoint, system.description) == (str(tmp_path), "the base model")


def test_generate_waits_and_reports_throughput(tmp_path):
    samples = [SampleFactory() for _ in range(3)]
    path = tmp_path / "a.jsonl"
    path.write_text("\n".join(json.dumps({"sample_id": s.pk, "response": "嗯"}) for s in samples))
    command("add_system", "file", "--kind", "imported", "--responses-file", str(path))
    dataset = samples[0].dataset.name
    SampleFactory.create_batch(2, dataset=samples[0].dataset, split="train")
    output = command("generate", "--system", "file", "--dataset", dataset, "--wait")
    job = GenerationJob.objects.get()
    assert f"job {job.pk}: file on 1 samples" in output
    # Each factory sample has its own dataset: the first has one test sample.
    assert f"job {job.pk} succeeded: 1/1 answered, 1 new in " in output
    assert "responses/s" in output
    assert "tokens/s" not in output  # a file gives no token counts


def test_generate_limits_and_refuses_bad_input(tmp_path):
    sample = SampleFactory()
    for _ in range(4):
        SampleFactory(dataset=sample.dataset)
    command("add_system", "file", "--kind", "imported", "--responses-file", str(tmp_path / "no"))
    output = command("generate", "--system", "file", "--dataset", sample.dataset.name,
                     "--limit", "2")  # fmt: skip
    job = GenerationJob.objects.get()
    assert f"job {job.pk} queued" in output
    assert job.progress_total == 2
    for args, message in [
        (["--system", "nope", "--dataset", sample.dataset.name], "no system named 'nope'"),
        (["--system", "file", "--dataset", "nope"], "no dataset named 'nope'"),
        (["--system", "file", "--dataset", sample.dataset.name, "--limit", "0"], "at least 1"),
        (["--system", "file", "--dataset", sample.dataset.name, "--split", "train"],
         "no samples selected"),
    ]:  # fmt: skip
        with pytest.raises(CommandError, match=message):
            command("generate", *args)
    assert GenerationJob.objects.count() == 1


def test_generate_wait_fails_loudly_when_the_job_fails(tmp_path):
    sample = SampleFactory()
    command("add_system", "file", "--kind", "imported", "--responses-file", str(tmp_path / "no"))
    with pytest.raises(CommandError, match=r"failed: 0/1 answered.*responses file not found"):
        command("generate", "--system", "file", "--dataset", sample.dataset.name, "--wait")


def test_make_demo_model_builds_registers_and_reuses(tmp_path, settings):
    settings.VAR_DIR = tmp_path
    output = command("make_demo_model", "--steps", "3")
    assert "demo-tiny: " in output
    assert "3 steps" in output
    system = System.objects.get(name="demo-tiny")
    assert system.kind == System.Kind.HF_LOCAL
    assert system.checkpoint == str((tmp_path / "models" / "demo-tiny").resolve())
    assert (tmp_path / "models" / "demo-tiny" / "model.safetensors").is_file()
    assert "using the checkpoint already at" in command("make_demo_model")


def test_an_update_changes_only_the_decoding_parameters_it_names(tmp_path):
    command("add_system", "base", "--kind", "hf_local", "--checkpoint", str(tmp_path),
            "--decoding", "top_p=0.9", "--decoding", "seed=3")  # fmt: skip
    command("add_system", "base", "--update", "--decoding", "seed=4")
    assert System.objects.get(name="base").decoding == {"top_p": 0.9, "seed": 4}
    with pytest.raises(CommandError, match="seed must be an integer"):
        command("add_system", "base", "--update", "--decoding", "seed=four")
    assert System.objects.get(name="base").decoding == {"top_p": 0.9, "seed": 4}


def test_make_demo_model_refuses_a_step_count_below_one(tmp_path, settings):
    settings.VAR_DIR = tmp_path
    with pytest.raises(CommandError, match="at least 1 training step, not 0"):
        command("make_demo_model", "--steps", "0")
    assert not System.objects.exists()
    assert not (tmp_path / "models").exists()
