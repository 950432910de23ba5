"""Local Hugging Face checkpoints: loading and batched generation. No Django here.

The same code runs the project's tiny demo model on a laptop's CPU and a 7B checkpoint on
a GPU worker. Imported only where a local model is used, since torch is slow to import.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedTokenizerBase
from transformers.utils import logging as transformers_logging

from generation.decoding import DecodingParams
from generation.dialogues import Turn
from generation.prompts import (
    PromptError,
    TokenCounter,
    model_prompt_renderer,
    model_token_counter,
)

DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}

# Per-file progress bars of loading and saving clutter worker logs and command output.
transformers_logging.disable_progress_bar()


class ModelLoadError(Exception):
    """The checkpoint, adapter or tokenizer cannot be used; the message says why."""


@dataclass(frozen=True, slots=True)
class LocalModelSpec:
    checkpoint: str
    adapter: str = ""
    trust_remote_code: bool = False
    dtype: str = "auto"
    device: str = "auto"


@dataclass(frozen=True, slots=True)
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    # Wall time of the batch that produced it: how long this answer took to arrive.
    latency_seconds: float


def device_resolve(device: str) -> torch.device:
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError as error:
        raise ModelLoadError(f"unknown device {device!r}: {error}") from error
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ModelLoadError(f"device {device!r} asked for, but this worker has no CUDA GPU")
    return resolved


def dtype_resolve(dtype: str, device: torch.device) -> torch.dtype:
    if dtype != "auto":
        if dtype not in DTYPES:
            raise ModelLoadError(f"unknown dtype {dtype!r}; use auto, {', '.join(DTYPES)}")
        return DTYPES[dtype]
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    # Half precision on a CPU is slow and, for some kernels, unsupported.
    return torch.float32


def _local_directory(path: str, what: str) -> Path:
    directory = Path(path).expanduser()
    if not directory.exists():
        raise ModelLoadError(
            f"{what} not found at {directory} (a local directory is needed: this platform "
            "never downloads weights)"
        )
    if not directory.is_dir():
        raise ModelLoadError(f"{what} at {directory} is not a directory")
    return directory


class LocalModel:
    def __init__(self, model, tokenizer: PreTrainedTokenizerBase, device: torch.device) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.device = device

    @classmethod
    def load(cls, spec: LocalModelSpec) -> LocalModel:
        checkpoint = _local_directory(spec.checkpoint, "checkpoint")
        device = device_resolve(spec.device)
        dtype = dtype_resolve(spec.dtype, device)
        try:
            tokenizer = AutoTokenizer.from_pretrained(
                checkpoint, trust_remote_code=spec.trust_remote_code, local_files_only=True
            )
            # Any: a transformers model, or below a merged peft one; both generate.
            model: Any = AutoModelForCausalLM.from_pretrained(
                checkpoint,
                dtype=dtype,
                trust_remote_code=spec.trust_remote_code,
                local_files_only=True,
            )
        except (OSError, ValueError, KeyError, ImportError) as error:
            raise ModelLoadError(f"cannot load the checkpoint at {checkpoint}: {error}") from error
        if spec.adapter:
            adapter = _local_directory(spec.adapter, "adapter")
            from peft import PeftModel

            try:
                model = PeftModel.from_pretrained(model, adapter, local_files_only=True)
            except (OSError, ValueError, KeyError) as error:
                raise ModelLoadError(f"cannot load the adapter at {adapter}: {error}") from error
            # Folded into the base weights once, generation runs at the base model's speed.
            model = model.merge_and_unload()
        if tokenizer.pad_token_id is None:
            if tokenizer.eos_token_id is None:
                raise ModelLoadError(f"the tokenizer at {checkpoint} has no pad or end token")
            tokenizer.pad_token = tokenizer.eos_token
        # Decoder-only models continue the last token of each row: pad on the left.
        tokenizer.padding_side = "left"
        model.to(device)
        model.eval()
        return cls(model, tokenizer, device)

    def prompt_renderer(
        self, preset: str, system_prompt: str = ""
    ) -> Callable[[Sequence[Turn]], str]:
        try:
            return model_prompt_renderer(self.tokenizer, preset, system_prompt)
        except PromptError as error:
            raise ModelLoadError(str(error)) from None

    def token_counter(self, preset: str) -> TokenCounter:
        return model_token_counter(self.tokenizer, preset)

    def _end_tokens(self) -> set[int]:
        ends = self.model.generation_config.eos_token_id
        ends = set(ends if isinstance(ends, list) else [ends] if ends is not None else [])
        return ends | {self.tokenizer.pad_token_id}

    def generate(
        self, prompts: Sequence[Sequence[int]], params: DecodingParams, stop: Sequence[str] = ()
    ) -> list[Completion]:
        """One batch: token ids in, completions out, in the same order."""
        started = time.perf_counter()
        batch = self.tokenizer.pad(
            {"input_ids": [list(prompt) for prompt in prompts]}, padding=True, return_tensors="pt"
        )
        options: dict = {
            "max_new_tokens": params.max_new_tokens,
            "do_sample": params.do_sample,
            "repetition_penalty": params.repetition_penalty,
            "pad_token_id": self.tokenizer.pad_token_id,
        }
        if params.do_sample:
            # top_k=0 switches off a top-k the checkpoint's own generation config may set,
            # so that decoding is the system's, the same for every model.
            options.update(top_p=params.top_p, temperature=params.temperature, top_k=0)
        else:
            options.update(top_p=None, temperature=None, top_k=None)
        if stop:
            options.update(stop_strings=list(stop), tokenizer=self.tokenizer)
        torch.manual_seed(params.seed)
        with torch.inference_mode():
            output = self.model.generate(
                input_ids=batch["input_ids"].to(self.device),
                attention_mask=batch["attention_mask"].to(self.device),
                **options,
            )
        generated = output[:, batch["input_ids"].shape[1] :].tolist()
        elapsed = time.perf_counter() - started
        ends = self._end_tokens()
        completions = []
        for prompt, tokens in zip(prompts, generated, strict=True):
            length = next((i for i, token in enumerate(tokens) if token in ends), len(tokens))
            completions.append(
                Completion(
                    # One sequence in, one string out (a list only for a batch of them).
                    text=str(self.tokenizer.decode(tokens[:length], skip_special_tokens=True)),
                    prompt_tokens=len(prompt),
                    completion_tokens=length,
                    latency_seconds=elapsed,
                )
            )
        return completions

    def generate_fitting_memory(
        self, prompts: Sequence[Sequence[int]], params: DecodingParams, stop: Sequence[str] = ()
    ) -> list[Completion]:
        """`generate`, halving a batch that runs out of device memory until it fits."""
        try:
            return self.generate(prompts, params, stop)
        except torch.OutOfMemoryError:
            if len(prompts) == 1:
                raise
            if self.device.type == "cuda":
                torch.cuda.empty_cache()
        half = len(prompts) // 2
        return self.generate_fitting_memory(prompts[:half], params, stop) + (
            self.generate_fitting_memory(prompts[half:], params, stop)
        )
