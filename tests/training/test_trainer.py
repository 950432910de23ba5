"""Real training on the CPU: the tiny test model learns the demo corpus, full and LoRA,
checkpoints, stops, resumes where it stopped, and the result generates through
`generation`'s loader."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from demo.services import DEMO_CORPUS
from generation.dataset_formats import export_record, read_file, source_files
from generation.decoding import DecodingParams
from generation.dialogues import Dialogue, dialogue_samples
from training.plan import HyperParameters, plan_check

pytest.importorskip("datasets")


@pytest.fixture(scope="module")
def chatml(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("data") / "train.jsonl"
    records = [
        export_record(
            "chatml",
            source_id=f"{record.source_id}#{draft.turn_index}",
            context=list(draft.context),
            reference=draft.reference,
        )
        for source in source_files(DEMO_CORPUS, "soulchat")
        for record in read_file(source, "soulchat")
        if isinstance(record, Dialogue)
        for draft in dialogue_samples(record)
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), "utf-8")
    return path


def spec_for(tiny_model, chatml, output: Path, **values):
    from training.trainer import TrainingSpec

    hyper = HyperParameters(**{
        "steps": 40, "warmup_steps": 4, "max_learning_rate": 3e-3, "global_batch": 8,
        "per_device_batch": 4, "save_every": 10, "max_input_tokens": 128,
        "max_target_tokens": 64, **values,
    })  # fmt: skip
    return TrainingSpec(
        base=tiny_model, data=chatml, output=output, hyper=hyper, plan=plan_check(hyper)
    )


def expected_rates(hyper) -> dict[int, float]:
    """The rate of each optimiser step under DeepSpeed's own scheduler, stepped after
    each optimiser step as the DeepSpeed engine does."""
    torch = pytest.importorskip("torch")
    from deepspeed.runtime.lr_schedules import WarmupDecayLR

    from training.plan import scheduler_params

    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))])
    scheduler = WarmupDecayLR(optimizer, **scheduler_params(hyper))
    rates = {}
    for step in range(1, hyper.steps + 1):
        rates[step] = optimizer.param_groups[0]["lr"]
        scheduler.step()
    return rates


def mean(values) -> float:
    return sum(values) / len(values)


def test_full_training_stops_resumes_and_generates(tiny_model, chatml, tmp_path):
    from generation.local_models import LocalModel, LocalModelSpec
    from training.trainer import train

    spec = spec_for(tiny_model, chatml, tmp_path / "run")
    steps_seen = []

    def stop_at_15() -> bool:
        steps_seen.append(len(steps_seen) + 1)
        return len(steps_seen) >= 15

    first = train(spec, should_stop=stop_at_15)
    assert first.stopped
    assert first.steps == 15
    assert (tmp_path / "run" / "checkpoints" / "checkpoint-15").is_dir()
    assert not first.final.exists()
    assert first.examples.built == 25
    assert first.examples.rejected == {}

    logged = []
    rates = {}

    speeds = []

    def record(step: int, total: int, logs: dict) -> None:
        logged.append((step, total))
        rates[step] = logs["learning_rate"]
        speeds.append(logs["tokens_per_second"])

    second = train(spec, on_log=record)
    assert second.resumed_from == 15
    assert second.steps == 40
    assert not second.stopped
    assert logged[0][0] == 16
    assert logged[-1] == (40, 40)
    losses = [loss for _, loss in first.losses + second.losses]
    assert mean(losses[-5:]) < mean(losses[:5]) * 0.8, losses
    # The schedule in use is DeepSpeed's WarmupDecayLR with the job's values, and resuming
    # goes on with it where it stopped.
    expected = expected_rates(spec.hyper)
    assert {step: pytest.approx(rate) for step, rate in rates.items()} == {
        step: expected[step] for step in rates
    }
    assert max(rates.values()) <= spec.hyper.max_learning_rate
    # Every log says how fast real tokens went through.
    assert len(speeds) == len(logged)
    assert all(speed > 0 for speed in speeds)
    # Only the newest two checkpoints are kept.
    kept = sorted(path.name for path in (tmp_path / "run" / "checkpoints").iterdir())
    assert kept == ["checkpoint-30", "checkpoint-40"]

    model = LocalModel.load(LocalModelSpec(checkpoint=str(second.final), device="cpu"))
    prompt = model.token_counter("soulchat").encode("用户：我最近睡不着。\n心理咨询师：")
    completion = model.generate([prompt], DecodingParams(do_sample=False, max_new_tokens=8))[0]
    assert completion.completion_tokens > 0
    assert model.tokenizer.padding_side == "left"


def test_lora_trains_an_adapter_that_loads_on_its_base(tiny_model, chatml, tmp_path):
    from generation.local_models import LocalModel, LocalModelSpec
    from training.trainer import train

    spec = spec_for(tiny_model, chatml, tmp_path / "lora", method="lora", steps=20,
                    lora_rank=4, max_learning_rate=1e-2)  # fmt: skip
    result = train(spec)
    assert (result.final / "adapter_config.json").is_file()
    assert not (result.final / "model.safetensors").exists()
    adapter = json.loads((result.final / "adapter_config.json").read_text())
    assert sorted(adapter["target_modules"]) == ["q_proj", "v_proj"]
    losses = [loss for _, loss in result.losses]
    assert mean(losses[-5:]) < mean(losses[:5])
    model = LocalModel.load(
        LocalModelSpec(checkpoint=str(tiny_model), adapter=str(result.final), device="cpu")
    )
    prompt = model.token_counter("soulchat").encode("用户：你好。\n心理咨询师：")
    assert model.generate([prompt], DecodingParams(do_sample=False, max_new_tokens=4))


def test_lora_with_gradient_checkpointing_still_trains_the_adapter(tiny_model, chatml, tmp_path):
    from safetensors.torch import load_file

    from training.trainer import train

    spec = spec_for(tiny_model, chatml, tmp_path / "gc", method="lora", steps=8,
                    gradient_checkpointing=True, max_learning_rate=1e-2)  # fmt: skip
    result = train(spec)
    weights = load_file(result.final / "adapter_model.safetensors")
    # LoRA's B matrices start at zero: trained ones are not.
    trained = [name for name, tensor in weights.items() if "lora_B" in name and tensor.abs().sum()]
    assert trained
    assert len(trained) == len([name for name in weights if "lora_B" in name])


def test_running_out_of_memory_fails_with_the_reason_and_keeps_the_checkpoint(
    tiny_model, chatml, tmp_path
):
    import torch

    from training.trainer import TrainingFailed, train

    steps = []

    # A CPU has no device memory to run out of: the error is raised where a step's end
    # is observed, after the checkpoint of step 10, as a GPU would raise it mid-step.
    def out_of_memory_at_12() -> bool:
        steps.append(1)
        if len(steps) == 12:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return False

    with pytest.raises(TrainingFailed) as failure:
        train(spec_for(tiny_model, chatml, tmp_path / "oom"), should_stop=out_of_memory_at_12)
    message = str(failure.value)
    assert "out of memory at step 12" in message
    assert "lower per_device_batch" in message
    assert message.endswith(str(tmp_path / "oom" / "checkpoints" / "checkpoint-10"))
    assert (tmp_path / "oom" / "checkpoints" / "checkpoint-10").is_dir()


def test_a_loss_that_turns_nan_fails_the_run_at_once(tiny_model, chatml, tmp_path):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from training.trainer import TrainingFailed, train

    # A checkpoint damaged on disk: one weight is NaN, so the first loss is too.
    broken = tmp_path / "broken-model"
    model = AutoModelForCausalLM.from_pretrained(tiny_model, local_files_only=True)
    with torch.no_grad():
        model.get_input_embeddings().weight[:, 0] = float("nan")
    model.save_pretrained(broken)
    AutoTokenizer.from_pretrained(tiny_model, local_files_only=True).save_pretrained(broken)
    with pytest.raises(TrainingFailed, match="NaN or infinite at step 1; check the base"):
        train(spec_for(broken, chatml, tmp_path / "nan"))
    assert not (tmp_path / "nan" / "final").exists()


def test_bad_inputs_fail_with_the_reason(tiny_model, chatml, tmp_path):
    from training.trainer import TrainingFailed, train

    with pytest.raises(TrainingFailed, match="cannot load the tokenizer"):
        train(spec_for(tmp_path / "nowhere", chatml, tmp_path / "a"))
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"messages": [{"role": "user", "content": "你好"}]}\n', "utf-8")
    with pytest.raises(TrainingFailed, match=r"broken\.jsonl:1: the last message is not"):
        train(spec_for(tiny_model, broken, tmp_path / "b"))
    garbled = tmp_path / "garbled.jsonl"
    garbled.write_text("{not json\n", "utf-8")
    with pytest.raises(TrainingFailed, match=r"garbled\.jsonl:1: not valid JSON"):
        train(spec_for(tiny_model, garbled, tmp_path / "g"))
    empty = tmp_path / "empty.jsonl"
    reply_only = {"messages": [{"role": "assistant", "content": "你好"}]}
    empty.write_text(json.dumps(reply_only), "utf-8")
    with pytest.raises(TrainingFailed, match=r"no training examples.*no user turn"):
        train(spec_for(tiny_model, empty, tmp_path / "c"))


def test_a_run_that_lost_its_job_stops_at_once_and_saves_nothing(tiny_model, chatml, tmp_path):
    from training.trainer import train

    beats = []

    def keep_alive() -> bool:
        # Called while examples are built, then after every step; the job is taken over
        # after step 12, past the checkpoint of step 10.
        beats.append(1)
        return len(beats) <= 13

    result = train(spec_for(tiny_model, chatml, tmp_path / "lost"), keep_alive=keep_alive)
    assert result.abandoned
    assert not result.stopped
    assert result.steps == 13
    checkpoints = sorted(path.name for path in (tmp_path / "lost" / "checkpoints").iterdir())
    assert checkpoints == ["checkpoint-10"]
    assert not result.final.exists()
