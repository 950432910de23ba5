"""Fine-tuning a local causal LM, full or LoRA, through transformers' Trainer. No Django
here; imported only where training runs, since torch is slow to import.

The same function trains the tiny demo model on a laptop's CPU and a 6B model on GPUs:
with DeepSpeed and a GPU present, the Trainer runs under DeepSpeed with the JSON of
`training.plan.deepspeed_config` (written beside the checkpoints); otherwise it uses
torch's AdamW and DeepSpeed's own WarmupDecayLR class on the same parameters.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    DataCollatorForSeq2Seq,
    PrinterCallback,
    Trainer,
    TrainerCallback,
    TrainingArguments,
)
from transformers.trainer_utils import get_last_checkpoint
from transformers.utils import logging as transformers_logging

from generation.dataset_formats import Problem, read_file
from generation.dialogues import PSYCHOLOGIST, Turn
from training.examples import ExampleBuilder, ExampleReport
from training.plan import LORA, BatchPlan, HyperParameters, deepspeed_config, scheduler_params

transformers_logging.disable_progress_bar()

CHECKPOINTS = "checkpoints"
FINAL = "final"
DEEPSPEED_JSON = "deepspeed.json"


class TrainingFailed(Exception):
    """Training stopped on an error; the message says why and where the last checkpoint is."""


@dataclass(frozen=True)
class TrainingSpec:
    base: Path
    data: Path  # chatml JSON lines, as `export_dataset --format chatml` writes them
    output: Path
    hyper: HyperParameters
    plan: BatchPlan
    trust_remote_code: bool = False
    # None: DeepSpeed when it is installed and a GPU is present.
    use_deepspeed: bool | None = None


@dataclass
class TrainingResult:
    final: Path
    method: str
    steps: int
    resumed_from: int
    stopped: bool
    examples: ExampleReport
    losses: list[tuple[int, float]] = field(default_factory=list)
    # The run lost its job to another (keep_alive said so): it stopped at once, saving
    # nothing, and nothing of it may be recorded.
    abandoned: bool = False


def chatml_records(path: Path) -> Iterator[tuple[tuple[Turn, ...], str]]:
    """(context, reply) pairs of a chatml JSON-lines file, read by the importer's own
    reader: the last assistant message is the reply to the messages before it."""
    for record in read_file(path, "chatml"):
        if isinstance(record, Problem):
            raise TrainingFailed(f"{record.location}: {record.reason}")
        if record.turns[-1].role != PSYCHOLOGIST:
            raise TrainingFailed(f"{record.location}: the last message is not the assistant's")
        yield record.turns[:-1], record.turns[-1].content


def distributed_finish() -> None:
    """This process's end of a launch: the ranks meet, then the group is torn down (left
    up, its threads can abort the interpreter as it exits)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def precision_resolve(requested: str) -> str:
    """bf16 where the GPU has it, else fp16 on a GPU, fp32 on the CPU."""
    if requested != "auto":
        return requested
    if not torch.cuda.is_available():
        return "fp32"
    return "bf16" if torch.cuda.is_bf16_supported() else "fp16"


def deepspeed_wanted(requested: bool | None) -> bool:
    if requested is not None:
        return requested
    if not torch.cuda.is_available():
        return False
    try:
        import deepspeed  # noqa: F401
    except ImportError:
        return False
    return True


def lora_wrap(model, hyper: HyperParameters):
    """The model with LoRA adapters on the modules peft knows for its architecture, or
    on `lora_target_modules` when given."""
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(
        task_type="CAUSAL_LM",
        r=hyper.lora_rank,
        lora_alpha=hyper.lora_alpha,
        lora_dropout=hyper.lora_dropout,
        target_modules=list(hyper.lora_target_modules) if hyper.lora_target_modules else None,
    )
    try:
        return get_peft_model(model, config)
    except ValueError as error:
        raise TrainingFailed(
            f"LoRA: {error}; name the modules with the lora_target_modules hyper-parameter"
        ) from None


def _warmup_decay(optimizer, hyper: HyperParameters):
    from deepspeed.runtime.lr_schedules import WarmupDecayLR, update_lr

    class Resumable(WarmupDecayLR):
        """DeepSpeed's schedule. Its own load_state_dict leaves the rate it reports at a
        fresh start's 0 until the next step; this one restores it with the step count."""

        def load_state_dict(self, state: dict) -> None:
            super().load_state_dict(state)
            self._last_lr = update_lr(self.optimizer.param_groups, self.get_lr())

    return Resumable(optimizer, **scheduler_params(hyper))


class _Progress(TrainerCallback):
    """Losses, speed and memory to the caller; a stop request to the Trainer."""

    def __init__(
        self, report_log, should_stop, keep_alive, losses: list[tuple[int, float]]
    ) -> None:
        self.report_log = report_log
        self.should_stop = should_stop
        self.keep_alive = keep_alive
        self.losses = losses
        self.stopped = False
        self.abandoned = False
        self.diverged_at: int | None = None
        self.mark: tuple[float, int] | None = None

    def on_train_begin(self, args, state, control, **kwargs):
        self.mark = (time.perf_counter(), state.num_input_tokens_seen)
        if torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not logs or "loss" not in logs:
            return
        loss = float(logs["loss"])
        self.losses.append((state.global_step, loss))
        if not math.isfinite(loss):
            # Nothing useful comes after: stop here rather than spend the remaining steps.
            self.diverged_at = state.global_step
            control.should_training_stop = True
        now, tokens = time.perf_counter(), state.num_input_tokens_seen
        if self.mark is not None and now > self.mark[0]:
            # Real (non-padding) tokens per second since the previous log, all processes.
            logs["tokens_per_second"] = (tokens - self.mark[1]) / (now - self.mark[0])
        self.mark = (now, tokens)
        if torch.cuda.is_available():
            logs["peak_memory_gib"] = torch.cuda.max_memory_allocated() / 2**30
        if self.report_log is not None:
            self.report_log(state.global_step, state.max_steps, logs)

    def on_step_end(self, args, state, control, **kwargs):
        if self.should_stop is not None and self.should_stop():
            # Saved before stopping, so that the next run goes on from this step.
            self.stopped = True
            control.should_save = True
            control.should_training_stop = True
        elif self.keep_alive is not None and not self.keep_alive():
            # Another run holds the job now and writes the same checkpoints: stop, save
            # nothing.
            self.abandoned = True
            control.should_save = False
            control.should_training_stop = True
        return control


# Building a large corpus's examples takes minutes: say the run is alive meanwhile.
KEEP_ALIVE_EVERY_EXAMPLES = 2000


def _examples_dataset(
    spec: TrainingSpec, tokenizer, report: ExampleReport, keep_alive: Callable[[], bool] | None
):
    from datasets import Dataset, Features, Sequence, Value
    from datasets.exceptions import DatasetGenerationError

    builder = ExampleBuilder(tokenizer, spec.hyper.example_settings())

    def rows(path: str) -> Iterator[dict[str, list[int]]]:
        for number, example in enumerate(builder.build_all(chatml_records(Path(path)), report)):
            if keep_alive is not None and number % KEEP_ALIVE_EVERY_EXAMPLES == 0:
                keep_alive()
            yield {"input_ids": example.input_ids, "labels": example.labels}

    # Written to Arrow files as it goes: a whole corpus never sits in memory. Built anew
    # each run (datasets would reuse a cache keyed by the file's name, not its content),
    # which also counts every example into the report again.
    cache = spec.output / f"{spec.data.stem}-cache"
    shutil.rmtree(cache, ignore_errors=True)
    try:
        dataset = Dataset.from_generator(
            rows,
            gen_kwargs={"path": str(spec.data)},
            features=Features(
                {"input_ids": Sequence(Value("int64")), "labels": Sequence(Value("int64"))}
            ),
            cache_dir=str(cache),
        )
    except (DatasetGenerationError, ValueError) as error:
        if isinstance(error.__cause__, TrainingFailed):
            raise error.__cause__ from None
        if report.built == 0:
            raise TrainingFailed(
                f"no training examples could be built: {report.summary()}"
            ) from None
        raise TrainingFailed(f"cannot read the training data {spec.data}: {error}") from None
    return dataset


def train(
    spec: TrainingSpec,
    *,
    on_log: Callable[[int, int, dict[str, Any]], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    keep_alive: Callable[[], bool] | None = None,
) -> TrainingResult:
    """Train, going on from the last checkpoint under `spec.output` if there is one, and
    save the final model (or adapter) to `spec.output / "final"`.

    `should_stop` is asked after every step (True: save and stop); `keep_alive` is called
    after every step and while examples are built, to say the run lives (False after a
    step: the run lost its job, so it stops at once and saves nothing)."""
    hyper = spec.hyper
    try:
        tokenizer = AutoTokenizer.from_pretrained(
            spec.base, local_files_only=True, trust_remote_code=spec.trust_remote_code
        )
    except (OSError, ValueError) as error:
        raise TrainingFailed(f"cannot load the tokenizer at {spec.base}: {error}") from None
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "right"
    report = ExampleReport()
    dataset = _examples_dataset(spec, tokenizer, report, keep_alive)

    precision = precision_resolve(hyper.precision)
    use_deepspeed = deepspeed_wanted(spec.use_deepspeed)
    # Weights in fp32 for mixed precision; DeepSpeed's bf16 keeps its own fp32 master copy.
    dtype = torch.bfloat16 if precision == "bf16" and use_deepspeed else torch.float32
    try:
        model = AutoModelForCausalLM.from_pretrained(
            spec.base,
            local_files_only=True,
            trust_remote_code=spec.trust_remote_code,
            dtype=dtype,
        )
    except (OSError, ValueError) as error:
        raise TrainingFailed(f"cannot load the checkpoint at {spec.base}: {error}") from None
    if hyper.gradient_checkpointing:
        model.config.use_cache = False
    if hyper.method == LORA:
        model = lora_wrap(model, hyper)

    checkpoints = spec.output / CHECKPOINTS
    checkpoints.mkdir(parents=True, exist_ok=True)
    deepspeed = None
    if use_deepspeed:
        deepspeed = deepspeed_config(hyper, spec.plan, precision=precision)
        (spec.output / DEEPSPEED_JSON).write_text(json.dumps(deepspeed, indent=2))
    # Named only when on: the name is deprecated in newer transformers. Non-reentrant,
    # so that LoRA's frozen embeddings still let gradients reach the adapters.
    checkpointing: dict[str, Any] = (
        {"gradient_checkpointing": True, "gradient_checkpointing_kwargs": {"use_reentrant": False}}
        if hyper.gradient_checkpointing
        else {}
    )
    arguments = TrainingArguments(
        output_dir=str(checkpoints),
        max_steps=hyper.steps,
        per_device_train_batch_size=spec.plan.per_device_batch,
        gradient_accumulation_steps=spec.plan.accumulation,
        learning_rate=hyper.max_learning_rate,
        weight_decay=hyper.weight_decay,
        max_grad_norm=1.0,
        logging_steps=max(1, min(50, hyper.steps // 100)),
        save_strategy="steps",
        save_steps=hyper.save_every,
        save_total_limit=hyper.keep_checkpoints,
        bf16=precision == "bf16",
        fp16=precision == "fp16",
        deepspeed=deepspeed,
        seed=hyper.seed,
        data_seed=hyper.seed,
        report_to=[],
        # The Trainer would log a window's mean in place of a NaN loss, hiding divergence.
        logging_nan_inf_filter=False,
        include_num_input_tokens_seen="non_padding",
        remove_unused_columns=False,
        dataloader_num_workers=0,
        disable_tqdm=True,
        use_cpu=not torch.cuda.is_available(),
        **checkpointing,
    )
    # (None, None): the Trainer makes its own (DeepSpeed's, when the engine runs).
    optimizers: tuple[Any, Any] = (None, None)
    if deepspeed is None:
        # Without the engine, the same schedule from DeepSpeed's own class.
        optimizer = torch.optim.AdamW(
            [parameter for parameter in model.parameters() if parameter.requires_grad],
            lr=hyper.max_learning_rate,
            weight_decay=hyper.weight_decay,
        )
        optimizers = (optimizer, _warmup_decay(optimizer, hyper))
    losses: list[tuple[int, float]] = []
    progress = _Progress(on_log, should_stop, keep_alive, losses)
    trainer = Trainer(
        model=model,
        args=arguments,
        train_dataset=dataset,
        data_collator=DataCollatorForSeq2Seq(tokenizer, padding=True, label_pad_token_id=-100),
        optimizers=optimizers,
        callbacks=[progress],
    )
    # Its log lines reach the job (and the admin) through _Progress, not standard output.
    trainer.remove_callback(PrinterCallback)
    last = get_last_checkpoint(str(checkpoints)) if checkpoints.is_dir() else None
    resumed_from = int(last.rsplit("-", 1)[-1]) if last else 0
    try:
        trainer.train(resume_from_checkpoint=last)
    except torch.OutOfMemoryError as error:
        kept = get_last_checkpoint(str(checkpoints))
        raise TrainingFailed(
            f"out of memory at step {trainer.state.global_step}: {error}; lower "
            f"per_device_batch (the global batch stays) or turn on gradient_checkpointing"
            + (f"; the last checkpoint is kept at {kept}" if kept else "")
        ) from None
    if progress.diverged_at is not None:
        kept = get_last_checkpoint(str(checkpoints))
        raise TrainingFailed(
            f"the loss became NaN or infinite at step {progress.diverged_at}; check the base "
            "checkpoint, lower max_learning_rate or use bf16/fp32"
            + (f"; the last checkpoint is kept at {kept}" if kept else "")
        )
    final = spec.output / FINAL
    if progress.abandoned:
        return TrainingResult(final, hyper.method, trainer.state.global_step, resumed_from,
                              False, report, losses, abandoned=True)  # fmt: skip
    if progress.stopped:
        return TrainingResult(final, hyper.method, trainer.state.global_step, resumed_from,
                              True, report, losses)  # fmt: skip
    main = trainer.is_world_process_zero()
    if main and final.exists():
        shutil.rmtree(final)
    # LoRA: the adapter alone; full: the whole model. Either way with the tokenizer. Every
    # process calls it (ZeRO-3 gathers the weights); the first one writes.
    trainer.save_model(str(final))
    if main:
        tokenizer.padding_side = "left"
        tokenizer.save_pretrained(str(final))
    return TrainingResult(
        final, hyper.method, trainer.state.global_step, resumed_from, False, report, losses
    )
