"""Hyper-parameters: refused before a job starts when they cannot work; the batch plan;
the DeepSpeed JSON as DeepSpeed's own parser reads it; DeepSpeed's WarmupDecayLR with the
paper's values."""

from __future__ import annotations

import math

import pytest

from training.plan import (
    HyperParameters,
    PlanInvalid,
    deepspeed_config,
    plan_check,
    scheduler_params,
)


@pytest.mark.parametrize(
    ("devices", "per_device", "accumulation"), [(1, 4, 20), (1, 80, 1), (8, 10, 1), (2, 8, 5)]
)
def test_the_global_batch_of_80_is_kept_on_any_hardware(devices, per_device, accumulation):
    plan = plan_check(HyperParameters(per_device_batch=per_device), devices=devices)
    assert (plan.per_device_batch, plan.accumulation) == (per_device, accumulation)
    assert plan.global_batch == 80


@pytest.mark.parametrize(
    ("values", "devices", "field", "message"),
    [
        ({"per_device_batch": 3}, 1, "global_batch", "80 is not divisible by 3 rows per device"),
        ({"per_device_batch": 4}, 3, "global_batch", "× 3 device(s)"),
        ({"steps": 1000}, 1, "steps", "nothing after the 1000 warm-up steps"),
        ({"steps": 0}, 1, "steps", "at least 1"),
        ({"method": "qlora"}, 1, "method", "one of full, lora"),
        ({"max_learning_rate": 0.0}, 1, "max_learning_rate", "between 0 and 1"),
        ({"zero_stage": 1}, 1, "zero_stage", "2 or 3"),
        ({"precision": "int8"}, 1, "precision", "one of auto"),
        ({"method": "lora", "lora_rank": 0}, 1, "lora_rank", "at least 1"),
        ({"max_target_tokens": 1}, 1, "max_target_tokens", "at least 2"),
        ({"preset": "alpaca"}, 1, "preset", "one of soulchat"),
    ],
)
def test_values_that_cannot_work_are_refused_by_name(values, devices, field, message):
    with pytest.raises(PlanInvalid) as refusal:
        plan_check(HyperParameters(**values), devices=devices)
    assert message in refusal.value.errors[field]


def test_json_values_are_typed_strictly():
    hyper = HyperParameters.from_dict({"steps": 200, "max_learning_rate": 1, "method": "lora",
                                       "lora_target_modules": ["q_proj", "v_proj"]})  # fmt: skip
    assert hyper.max_learning_rate == 1.0
    assert hyper.lora_target_modules == ("q_proj", "v_proj")
    assert HyperParameters.from_dict(hyper.as_dict()) == hyper
    with pytest.raises(PlanInvalid) as refusal:
        HyperParameters.from_dict({"steps": "200", "batch": 8, "gradient_checkpointing": 1,
                                   "lora_target_modules": "q_proj"})  # fmt: skip
    assert refusal.value.errors == {
        "steps": "a whole number",
        "batch": "unknown hyper-parameter",
        "gradient_checkpointing": "true or false",
        "lora_target_modules": "a list of module names",
    }


@pytest.mark.parametrize(("stage", "precision"), [(2, "bf16"), (3, "fp16"), (2, "fp32")])
def test_deepspeeds_own_parser_reads_the_config(stage, precision):
    config_module = pytest.importorskip("deepspeed.runtime.config")
    hyper = HyperParameters(zero_stage=stage, per_device_batch=8)
    plan = plan_check(hyper, devices=1)
    parsed = config_module.DeepSpeedConfig(deepspeed_config(hyper, plan, precision=precision))
    assert parsed.train_batch_size == 80
    assert parsed.train_micro_batch_size_per_gpu == 8
    assert parsed.gradient_accumulation_steps == 10
    assert parsed.zero_optimization_stage == stage
    assert parsed.scheduler_name == "WarmupDecayLR"
    assert parsed.scheduler_params == scheduler_params(hyper)
    assert parsed.bfloat16_config.enabled == (precision == "bf16")
    assert parsed.float16_config.enabled == (precision == "fp16")
    if stage == 3:
        assert parsed.zero_config.gather_16bit_weights_on_model_save


def test_deepspeed_refuses_a_batch_that_does_not_add_up():
    config_module = pytest.importorskip("deepspeed.runtime.config")
    hyper = HyperParameters()
    config = deepspeed_config(hyper, plan_check(hyper), precision="fp32")
    config["train_batch_size"] = 81
    with pytest.raises(AssertionError, match="train_batch_size is not equal"):
        config_module.DeepSpeedConfig(config)


def test_warmup_decay_at_the_start_the_peak_and_the_end():
    torch = pytest.importorskip("torch")
    schedules = pytest.importorskip("deepspeed.runtime.lr_schedules")
    hyper = HyperParameters()
    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=hyper.max_learning_rate)
    scheduler = schedules.WarmupDecayLR(optimizer, **scheduler_params(hyper))

    def rate_at(step: int) -> float:
        scheduler.step(step)
        return optimizer.param_groups[0]["lr"]

    assert rate_at(0) == 0.0
    # Log warm-up: log(step + 1) / log(1000) of the peak.
    assert rate_at(99) == pytest.approx(5e-5 * math.log(100) / math.log(1000))
    assert rate_at(1000) == pytest.approx(5e-5)
    assert rate_at(15_500) == pytest.approx(2.5e-5)
    assert rate_at(30_000) == 0.0
