"""What answers a generation job's samples, one class per kind of system.

A generator is built from a `System` (failing at once, with `GeneratorUnavailable`, when
the system cannot work at all: a checkpoint that is not there, a key that is not set)
and then turns requests into outcomes, batch by batch, so the job can store each batch
as it comes. A problem with one sample is an outcome with a reason, never an exception.
"""

from __future__ import annotations

import dataclasses
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured

from common.json_input import json_loads
from config.environment import env_str
from generation.decoding import DecodingParams, batches_plan, decoding_params
from generation.dialogues import USER, Turn
from generation.models import System
from generation.prompts import (
    CHAT,
    CharacterTokenizer,
    FittedPrompt,
    PromptError,
    TextTokenizer,
    TokenCounter,
    chat_messages,
    chat_transcript,
    prompt_fit,
    response_clean,
    role_prefixed_prompt,
    stop_strings,
)

# Reasons are shown in the admin and in commands; an endpoint's whole error page is not.
REASON_LIMIT = 2000
NOTES_LIMIT = 20


class GeneratorUnavailable(Exception):
    """The system cannot answer anything; the message says why."""


@dataclass(frozen=True, slots=True)
class GenerationRequest:
    sample_id: int
    source_id: str
    dataset_name: str
    context: tuple[Turn, ...]


@dataclass(frozen=True, slots=True)
class Outcome:
    sample_id: int
    # None when there is no response; then `failure` says why. "" is a real, empty answer.
    text: str | None
    failure: str = ""
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_seconds: float | None = None
    context_truncated: bool = False
    context_turns_dropped: int = 0


@dataclass(frozen=True, slots=True)
class InstructionRequest:
    """A free-form task outside any dataset (a corpus rewrite): the system answers the
    instruction as it is, with no context fitting, and the answer is kept unedited.
    Its outcome carries `key` as its sample_id."""

    key: int
    instruction: str
    system_prompt: str = ""


def failed(sample_id: int, reason: str) -> Outcome:
    return Outcome(sample_id=sample_id, text=None, failure=reason[:REASON_LIMIT])


class Generator(Protocol):
    notes: list[str]

    def run(self, requests: Sequence[GenerationRequest]) -> Iterator[list[Outcome]]: ...

    def instruct(
        self, requests: Sequence[InstructionRequest], *, max_new_tokens: int
    ) -> Iterator[list[Outcome]]: ...

    def close(self) -> None: ...


def generator_for(system: System) -> Generator:
    try:
        params = decoding_params(system.decoding)
    except ValueError as error:
        raise GeneratorUnavailable(f"system {system.name}: {error}") from error
    if system.kind == System.Kind.HF_LOCAL:
        return LocalGenerator(system, params)
    if system.kind == System.Kind.OPENAI_API:
        return ApiGenerator(system, params)
    if system.kind == System.Kind.IMPORTED:
        return ImportedGenerator(system)
    raise GeneratorUnavailable(f"system {system.name} has an unknown kind {system.kind!r}")


def _fit_all(
    requests: Sequence[GenerationRequest], fit: Callable[[Sequence[Turn]], FittedPrompt]
) -> tuple[list[tuple[GenerationRequest, FittedPrompt]], list[Outcome]]:
    fitted, failures = [], []
    for request in requests:
        try:
            fitted.append((request, fit(request.context)))
        except PromptError as error:
            failures.append(failed(request.sample_id, f"cannot build the prompt: {error}"))
    return fitted, failures


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
        fitted, failures = _fit_all(requests, self._fit)
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


class ApiGenerator:
    """Any OpenAI-compatible `/v1/chat/completions` endpoint, through the OpenAI SDK,
    which already retries 408/409/429/5xx and timeouts with backoff and Retry-After."""

    def __init__(self, system: System, params: DecodingParams) -> None:
        # The SDK takes most of a second to import: only workers that call an API pay it.
        import openai

        self.system = system
        self.params = params
        self.notes: list[str] = []
        api_key = "not-needed"  # servers without authentication still want a header
        if system.api_key_env:
            try:
                api_key = env_str(system.api_key_env, required=True)
            except ImproperlyConfigured as error:
                raise GeneratorUnavailable(
                    f"system {system.name}: the environment variable {system.api_key_env}, "
                    "which holds its API key, is not set on this worker"
                ) from error
        self.client = openai.OpenAI(
            base_url=system.endpoint,
            api_key=api_key,
            timeout=system.request_timeout_seconds,
            max_retries=system.max_retries,
        )
        self.counter: TextTokenizer = CharacterTokenizer()
        if system.tokenizer:
            from transformers import AutoTokenizer

            try:
                tokenizer = AutoTokenizer.from_pretrained(system.tokenizer, local_files_only=True)
            except (OSError, ValueError) as error:
                raise GeneratorUnavailable(
                    f"system {system.name}: cannot load the tokenizer at "
                    f"{system.tokenizer}: {error}"
                ) from error
            self.counter = TokenCounter(tokenizer, add_special_tokens=False)

    def _messages(self, turns: Sequence[Turn]) -> list[dict[str, str]]:
        if self.system.prompt_preset == CHAT:
            return chat_messages(turns, self.system.system_prompt)
        return [{"role": "user", "content": role_prefixed_prompt(turns, self.system.prompt_preset)}]

    def _fit(self, context: Sequence[Turn]) -> FittedPrompt:
        return prompt_fit(
            context,
            render=lambda turns: chat_transcript(self._messages(turns)),
            tokenizer=self.counter,
            budget=self.system.max_input_tokens,
        )

    def run(self, requests: Sequence[GenerationRequest]) -> Iterator[list[Outcome]]:
        fitted, failures = _fit_all(requests, self._fit)
        if failures:
            yield failures
        yield from self._in_windows(self._complete, fitted)

    def instruct(
        self, requests: Sequence[InstructionRequest], *, max_new_tokens: int
    ) -> Iterator[list[Outcome]]:
        def complete(request: InstructionRequest) -> Outcome:
            messages = [{"role": "user", "content": request.instruction}]
            if request.system_prompt:
                messages.insert(0, {"role": "system", "content": request.system_prompt})
            return self._chat(request.key, messages, max_new_tokens)

        yield from self._in_windows(complete, requests)

    def _in_windows(self, complete: Callable[[Any], Outcome], items: Sequence) -> Iterator[list]:
        # A window of requests at a time, `concurrency` in flight, so each is stored soon
        # after it is answered and a cancelled job stops within one window.
        window = self.system.concurrency * 4
        with ThreadPoolExecutor(max_workers=self.system.concurrency) as pool:
            for start in range(0, len(items), window):
                yield list(pool.map(complete, items[start : start + window]))

    def _complete(self, item: tuple[GenerationRequest, FittedPrompt]) -> Outcome:
        request, prompt = item
        outcome = self._chat(
            request.sample_id, self._messages(prompt.turns), self.params.max_new_tokens
        )
        if outcome.text is None:
            return outcome
        return dataclasses.replace(
            outcome,
            text=response_clean(outcome.text, self.system.prompt_preset),
            context_truncated=prompt.truncated,
            context_turns_dropped=prompt.dropped_turns,
        )

    def _chat(self, key: int, messages: list[dict[str, str]], max_tokens: int) -> Outcome:
        """One chat completion, the answer's text as it came; every problem an outcome."""
        options: dict[str, Any] = {"max_tokens": max_tokens, "seed": self.params.seed}
        if self.params.do_sample:
            options.update(top_p=self.params.top_p, temperature=self.params.temperature)
        else:
            options.update(temperature=0)
        import openai  # already loaded by __init__

        started = time.perf_counter()
        try:
            completion = self.client.chat.completions.create(
                model=self.system.model_name, messages=messages, **options
            )
        except openai.APIStatusError as error:
            return failed(
                key,
                f"HTTP {error.status_code} from {self.system.endpoint}: {error.message}",
            )
        except openai.APITimeoutError:
            return failed(
                key,
                f"no answer from {self.system.endpoint} within "
                f"{self.system.request_timeout_seconds:g} s "
                f"({self.system.max_retries + 1} attempts)",
            )
        except openai.APIConnectionError as error:
            return failed(key, f"cannot reach {self.system.endpoint}: {error}")
        except (openai.APIError, ValueError, TypeError) as error:
            return failed(key, f"malformed answer from {self.system.endpoint}: {error}")
        except RecursionError:
            return failed(key, f"malformed answer from {self.system.endpoint}: JSON nested "
                               "too deeply to read")  # fmt: skip
        latency = time.perf_counter() - started
        text = _completion_text(completion)
        if text is None:
            return failed(
                key,
                f"malformed answer from {self.system.endpoint}: no choices[0].message.content "
                f"in {str(completion)[:300]}",
            )
        usage = getattr(completion, "usage", None)
        return Outcome(
            sample_id=key,
            text=text,
            prompt_tokens=_count(getattr(usage, "prompt_tokens", None)),
            completion_tokens=_count(getattr(usage, "completion_tokens", None)),
            latency_seconds=latency,
        )

    def close(self) -> None:
        self.client.close()


def _completion_text(completion: Any) -> str | None:
    try:
        message = completion.choices[0].message
    except (AttributeError, IndexError, TypeError):
        return None
    content = getattr(message, "content", None)
    if content is None:
        # A refusal or a tool call carries no text: it is an empty answer, kept as such.
        return "" if getattr(message, "role", None) == "assistant" else None
    return content if isinstance(content, str) else None


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


class ImportedGenerator:
    """Responses from a JSON-lines file: ``{"sample_id": 17, "response": "…"}`` or
    ``{"source_id": "dialogue#3", "dataset"?: "name", "response": "…"}``.

    Lines are matched to the job's samples only by those ids; a line naming a sample
    that is not in the job, or naming it ambiguously, is reported and left out.
    """

    def __init__(self, system: System) -> None:
        self.system = system
        self.path = Path(system.responses_file).expanduser()
        self.notes: list[str] = []
        self._problems = 0
        if not self.path.is_file():
            raise GeneratorUnavailable(
                f"system {system.name}: responses file not found at {self.path}"
            )

    def _note(self, message: str) -> None:
        self._problems += 1
        if self._problems <= NOTES_LIMIT:
            self.notes.append(message)
        elif self._problems == NOTES_LIMIT + 1:
            self.notes.append("… and more problems; only the first are listed")

    def run(self, requests: Sequence[GenerationRequest]) -> Iterator[list[Outcome]]:
        by_id = {request.sample_id: request for request in requests}
        by_source: dict[str, list[GenerationRequest]] = defaultdict(list)
        for request in requests:
            by_source[request.source_id].append(request)
        found: dict[int, list[tuple[int, str]]] = defaultdict(list)
        try:
            with self.path.open("rb") as handle:
                for line_number, raw in enumerate(handle, start=1):
                    if raw.strip():
                        self._line_read(raw, line_number, by_id, by_source, found)
        except OSError as error:
            raise GeneratorUnavailable(f"cannot read {self.path}: {error}") from error
        name = self.path.name
        outcomes = []
        for request in requests:
            answers = found.get(request.sample_id, [])
            if not answers:
                outcomes.append(failed(request.sample_id, f"no response for this sample in {name}"))
            elif len({text for _, text in answers}) > 1:
                lines = ", ".join(str(line) for line, _ in answers)
                outcomes.append(
                    failed(
                        request.sample_id, f"{name} has different responses for it (lines {lines})"
                    )
                )
            else:
                outcomes.append(Outcome(sample_id=request.sample_id, text=answers[0][1]))
        for start in range(0, len(outcomes), 1000):
            yield outcomes[start : start + 1000]

    def _line_read(self, raw, line_number, by_id, by_source, found) -> None:
        where = f"{self.path.name}:{line_number}"
        try:
            record = json_loads(raw)
        except ValueError as error:  # not UTF-8, not JSON, or nested too deep
            self._note(f"{where}: not a JSON object ({error})")
            return
        if not isinstance(record, dict):
            self._note(f"{where}: not a JSON object")
            return
        text = record.get("response")
        if not isinstance(text, str):
            self._note(f'{where}: "response" must be a string')
            return
        if "sample_id" in record:
            sample_id = record["sample_id"]
            if isinstance(sample_id, bool) or not isinstance(sample_id, int):
                self._note(f'{where}: "sample_id" must be an integer')
                return
            request = by_id.get(sample_id)
            if request is None:
                self._note(f"{where}: sample_id {sample_id} is not a sample of this job")
                return
        elif isinstance(record.get("source_id"), str):
            candidates = by_source.get(record["source_id"], [])
            dataset = record.get("dataset")
            if isinstance(dataset, str):
                candidates = [c for c in candidates if c.dataset_name == dataset]
            if not candidates:
                self._note(
                    f"{where}: source id {record['source_id']!r} is not a sample of this job"
                )
                return
            if len(candidates) > 1:
                self._note(
                    f"{where}: source id {record['source_id']!r} is in several datasets of this "
                    'job; add "dataset"'
                )
                return
            request = candidates[0]
        else:
            self._note(f'{where}: needs "sample_id" (integer) or "source_id" (string)')
            return
        found[request.sample_id].append((line_number, text))

    def instruct(
        self, requests: Sequence[InstructionRequest], *, max_new_tokens: int
    ) -> Iterator[list[Outcome]]:
        raise GeneratorUnavailable(
            f"system {self.system.name} replays responses from a file and cannot answer "
            "new instructions; choose an hf_local or openai_api system"
        )

    def close(self) -> None:
        pass
