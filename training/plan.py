"""Hyper-parameters of a fine-tune, checked before anything runs, and the DeepSpeed
configuration they make. No Django and no torch here.

Defaults are the SoulChat paper's: global batch 80, 30,000 steps, DeepSpeed's
WarmupDecayLR with 1,000 warm-up steps up to 5e-5, ZeRO stage 2.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from generation.prompts import DEFAULT_INPUT_BUDGET, PRESETS, SOULCHAT
from training.examples import DEFAULT_TARGET_BUDGET, ExampleSettings

FULL, LORA = "full", "lora"
METHODS = (FULL, LORA)
PRECISIONS = ("auto", "bf16", "fp16", "fp32")
WARMUP_TYPES = ("log", "linear")  # DeepSpeed's; "log" is its default


class PlanInvalid(ValueError):
    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{key}: {message}" for key, message in errors.items()))


@dataclass(frozen=True)
class HyperParameters:
    method: str = FULL
    steps: int = 30_000
    warmup_steps: int = 1_000
    max_learning_rate: float = 5e-5
    min_learning_rate: float = 0.0
    warmup_type: str = "log"
    global_batch: int = 80
    # Rows per device per forward pass; the rest of the global batch is accumulation.
    per_device_batch: int = 4
    weight_decay: float = 0.0
    precision: str = "auto"
    gradient_checkpointing: bool = False
    zero_stage: int = 2
    save_every: int = 1_000
    keep_checkpoints: int = 2
    seed: int = 0
    preset: str = SOULCHAT
    system_prompt: str = ""
    max_input_tokens: int = DEFAULT_INPUT_BUDGET
    max_target_tokens: int = DEFAULT_TARGET_BUDGET
    lora_rank: int = 8
    lora_alpha: int = 32
    lora_dropout: float = 0.1
    # None: the modules chosen for the architecture (training.models.lora_targets).
    lora_target_modules: tuple[str, ...] | None = None

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> HyperParameters:
        """From JSON-like values; unknown names and wrong types are errors, not ignored."""
        known = {item.name: item for item in fields(cls)}
        errors = {name: "unknown hyper-parameter" for name in values if name not in known}
        typed: dict[str, Any] = {}
        defaults = cls()
        for name, value in values.items():
            if name not in known:
                continue
            default = getattr(defaults, name)
            if name == "lora_target_modules":
                if value is not None and (
                    not isinstance(value, list | tuple)
                    or not all(isinstance(item, str) and item for item in value)
                ):
                    errors[name] = "a list of module names"
                    continue
                typed[name] = None if value is None else tuple(value)
            elif isinstance(default, bool):
                if not isinstance(value, bool):
                    errors[name] = "true or false"
                    continue
                typed[name] = value
            elif isinstance(default, int):
                if isinstance(value, bool) or not isinstance(value, int):
                    errors[name] = "a whole number"
                    continue
                typed[name] = value
            elif isinstance(default, float):
                if isinstance(value, bool) or not isinstance(value, int | float):
                    errors[name] = "a number"
                    continue
                typed[name] = float(value)
            else:
                if not isinstance(value, str):
                    errors[name] = "text"
                    continue
                typed[name] = value
        if errors:
            raise PlanInvalid(errors)
        return cls(**typed)

    def as_dict(self) -> dict[str, Any]:
        values = asdict(self)
        if self.lora_target_modules is not None:
            values["lora_target_modules"] = list(self.lora_target_modules)
        return values

    def example_settings(self) -> ExampleSettings:
        return ExampleSettings(
            preset=self.preset,
            system_prompt=self.system_prompt,
            max_input_tokens=self.max_input_tokens,
            max_target_tokens=self.max_target_tokens,
        )


@dataclass(frozen=True)
class BatchPlan:
    devices: int
    per_device_batch: int
    accumulation: int

    @property
    def global_batch(self) -> int:
        return self.devices * self.per_device_batch * self.accumulation


def plan_check(hyper: HyperParameters, *, devices: int = 1) -> BatchPlan:
    """The batch plan for `devices`, or PlanInvalid naming every value that cannot work."""
    errors: dict[str, str] = {}
    if hyper.method not in METHODS:
        errors["method"] = f"one of {', '.join(METHODS)}, not {hyper.method!r}"
    if hyper.steps < 1:
        errors["steps"] = f"at least 1, not {hyper.steps}"
    if hyper.warmup_steps < 1:
        errors["warmup_steps"] = f"at least 1, not {hyper.warmup_steps}"
    elif 1 <= hyper.steps <= hyper.warmup_steps:
        errors["steps"] = (
            f"{hyper.steps} steps leave nothing after the {hyper.warmup_steps} warm-up steps"
        )
    if not 0 < hyper.max_learning_rate < 1:
        errors["max_learning_rate"] = f"between 0 and 1, not {hyper.max_learning_rate}"
    if not 0 <= hyper.min_learning_rate < hyper.max_learning_rate:
        errors["min_learning_rate"] = "0 or more and below the maximum learning rate"
    if hyper.warmup_type not in WARMUP_TYPES:
        errors["warmup_type"] = f"one of {', '.join(WARMUP_TYPES)}"
    if hyper.precision not in PRECISIONS:
        errors["precision"] = f"one of {', '.join(PRECISIONS)}"
    if hyper.zero_stage not in (2, 3):
        errors["zero_stage"] = f"2 or 3, not {hyper.zero_stage}"
    if hyper.save_every < 1:
        errors["save_every"] = f"at least 1, not {hyper.save_every}"
    if hyper.keep_checkpoints < 1:
        errors["keep_checkpoints"] = f"at least 1, not {hyper.keep_checkpoints}"
    if hyper.preset not in PRESETS:
        errors["preset"] = f"one of {', '.join(PRESETS)}"
    errors.update(hyper.example_settings().errors())
    if hyper.method == LORA:
        if hyper.lora_rank < 1:
            errors["lora_rank"] = f"at least 1, not {hyper.lora_rank}"
        if hyper.lora_alpha < 1:
            errors["lora_alpha"] = f"at least 1, not {hyper.lora_alpha}"
        if not 0 <= hyper.lora_dropout < 1:
            errors["lora_dropout"] = f"from 0 to below 1, not {hyper.lora_dropout}"
    if devices < 1:
        errors["devices"] = f"at least 1, not {devices}"
    elif hyper.per_device_batch < 1:
        errors["per_device_batch"] = f"at least 1, not {hyper.per_device_batch}"
    elif hyper.global_batch < 1:
        errors["global_batch"] = f"at least 1, not {hyper.global_batch}"
    elif hyper.global_batch % (hyper.per_device_batch * devices):
        errors["global_batch"] = (
            f"{hyper.global_batch} is not divisible by {hyper.per_device_batch} rows per "
            f"device × {devices} device(s); choose a per-device batch that divides "
            f"{hyper.global_batch // devices if hyper.global_batch % devices == 0 else 'it'}"
        )
    if errors:
        raise PlanInvalid(errors)
    return BatchPlan(
        devices=devices,
        per_device_batch=hyper.per_device_batch,
        accumulation=hyper.global_batch // (hyper.per_device_batch * devices),
    )


def scheduler_params(hyper: HyperParameters) -> dict[str, Any]:
    """DeepSpeed WarmupDecayLR's parameters, the same with or without the DeepSpeed engine."""
    return {
        "total_num_steps": hyper.steps,
        "warmup_min_lr": hyper.min_learning_rate,
        "warmup_max_lr": hyper.max_learning_rate,
        "warmup_num_steps": hyper.warmup_steps,
        "warmup_type": hyper.warmup_type,
    }


def deepspeed_config(hyper: HyperParameters, plan: BatchPlan, *, precision: str) -> dict[str, Any]:
    """The DeepSpeed JSON for this plan; `precision` is the one resolved for the hardware
    (bf16, fp16 or fp32)."""
    config: dict[str, Any] = {
        "train_batch_size": plan.global_batch,
        "train_micro_batch_size_per_gpu": plan.per_device_batch,
        "gradient_accumulation_steps": plan.accumulation,
        "gradient_clipping": 1.0,
        "steps_per_print": max(1, min(100, hyper.steps // 10)),
        "optimizer": {
            "type": "AdamW",
            "params": {
                "lr": hyper.max_learning_rate,
                "betas": [0.9, 0.999],
                "eps": 1e-8,
                "weight_decay": hyper.weight_decay,
            },
        },
        "scheduler": {"type": "WarmupDecayLR", "params": scheduler_params(hyper)},
        "zero_optimization": {
            "stage": hyper.zero_stage,
            "overlap_comm": True,
            "contiguous_gradients": True,
            "reduce_bucket_size": 5e8,
        },
        "bf16": {"enabled": precision == "bf16"},
        "fp16": {"enabled": precision == "fp16", "loss_scale": 0, "initial_scale_power": 16},
    }
    if hyper.zero_stage == 3:
        # Whole weights are gathered when saving, so the checkpoint loads without DeepSpeed.
        config["zero_optimization"]["stage3_gather_16bit_weights_on_model_save"] = True
    return config
