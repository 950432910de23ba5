"""A local Hugging Face checkpoint (generation.local_models), batched to fit memory."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence

from generation.decoding import DecodingParams, batches_plan
from generation.dialogues import USER, Turn
from generation.generators.base import (
    GenerationRequest,
    GeneratorUnavailable,
    InstructionRequest,
    Outcome,
    failed,
    fit_all,
)
from generation.models import System
from generation.prompts import CHAT, FittedPrompt, prompt_fit, response_clean, stop_strings


class LocalGenerator:
    def __init__(self, system: System, params: DecodingParams) -> None:
        # torch and transformers load only on a worker that runs a local model.
        from generation.local_models import LocalModel, LocalModelSpec, ModelLoadError

        self.system = system
        self.params = params
        self.notes: list[str] = []
        try:
            self.model = LocalModel.load(
                LocalModelSpec(
                    checkpoint=system.checkpoint,
                    adapter=system.adapter,
                    trust_remote_code=system.trust_remote_code,
                    dtype=system.dtype,
                    device=system.device,
                )
            )
            self.render = self.model.prompt_renderer(system.prompt_preset, system.system_prompt)
        except ModelLoadError as error:
            raise GeneratorUnavailable(f"system {system.name}: {error}") from error
        self.counter = self.model.token_counter(system.prompt_preset)
        self.stop = stop_strings(system.prompt_preset)

    def _fit(self, context: Sequence[Turn]) -> FittedPrompt:
        return prompt_fit(
            context, render=self.render, tokenizer=self.counter, budget=self.system.max_input_tokens
        )

    def run(self, requests: Sequence[GenerationRequest]) -> Iterator[list[Outcome]]:
        fitted, failures = fit_all(requests, self._fit)
        if failures:
            yield failures
        plan = batches_plan(
            [len(prompt.token_ids) for _, prompt in fitted],
            batch_size=self.system.batch_size,
            max_batch_tokens=self.system.max_batch_tokens,
            max_new_tokens=self.params.max_new_tokens,
        )
        for batch in plan:
            members = [fitted[index] for index in batch]
            try:
                completions = self.model.generate_fitting_memory(
                    [prompt.token_ids for _, prompt in members], self.params, self.stop
                )
            except Exception as error:  # one batch's failure is recorded; the job goes on
                reason = f"generation failed: {type(error).__name__}: {error}"
                yield [failed(request.sample_id, reason) for request, _ in members]
                continue
            yield [
                Outcome(
                    sample_id=request.sample_id,
                    text=response_clean(completion.text, self.system.prompt_preset),
                    prompt_tokens=completion.prompt_tokens,
                    completion_tokens=completion.completion_tokens,
                    latency_seconds=completion.latency_seconds,
                    context_truncated=prompt.truncated,
                    context_turns_dropped=prompt.dropped_turns,
                )
                for (request, prompt), completion in zip(members, completions, strict=True)
            ]

    def instruct(
        self, requests: Sequence[InstructionRequest], *, max_new_tokens: int
    ) -> Iterator[list[Outcome]]:
        params = dataclasses.replace(self.params, max_new_tokens=max_new_tokens)
        prompts = [self.counter.encode(self._instruction_prompt(request)) for request in requests]
        plan = batches_plan(
            [len(prompt) for prompt in prompts],
            batch_size=self.system.batch_size,
            max_batch_tokens=self.system.max_batch_tokens,
            max_new_tokens=max_new_tokens,
        )
        for batch in plan:
            try:
                # No stop strings: a dialogue is exactly what the presets' stops cut off.
                completions = self.model.generate_fitting_memory(
                    [prompts[index] for index in batch], params
                )
            except Exception as error:  # one batch's failure is recorded; the job goes on
                reason = f"generation failed: {type(error).__name__}: {error}"
                yield [failed(requests[index].key, reason) for index in batch]
                continue
            yield [
                Outcome(
                    sample_id=requests[index].key,
                    text=completion.text,
                    prompt_tokens=completion.prompt_tokens,
                    completion_tokens=completion.completion_tokens,
                    latency_seconds=completion.latency_seconds,
                )
                for index, completion in zip(batch, completions, strict=True)
            ]

    def _instruction_prompt(self, request: InstructionRequest) -> str:
        turn = Turn(USER, request.instruction)
        if self.system.prompt_preset == CHAT:
            return self.model.prompt_renderer(CHAT, request.system_prompt)([turn])
        # A role-prefixed model has no system message: the role goes before the task.
        if request.system_prompt:
            turn = Turn(USER, f"{request.system_prompt}\n\n{request.instruction}")
        return self.render([turn])

    def close(self) -> None:
        del self.model
