"""An OpenAI-compatible endpoint, through the OpenAI SDK: `/v1/chat/completions` (API mode
chat), or `/v1/completions` with the preset's raw role-prefixed prompt and its stop
strings (API mode completions: a base or SoulChat-style model behind vLLM, SGLang or
TGI)."""

from __future__ import annotations

import dataclasses
import queue
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import ImproperlyConfigured

from config.environment import env_str
from generation.decoding import DecodingParams
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
from generation.prompts import (
    CHAT,
    CharacterTokenizer,
    FittedPrompt,
    TextTokenizer,
    TokenCounter,
    chat_messages,
    chat_transcript,
    prompt_fit,
    response_clean,
    role_prefixed_prompt,
    stop_strings,
)

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletionMessageParam


class ApiGenerator:
    """Any OpenAI-compatible endpoint (and its replicas), through the OpenAI SDK, which
    already retries 408/409/429/5xx and timeouts with backoff and Retry-After."""

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
        # One client per replica; a slot is one request in flight at one of them.
        self.clients = {
            endpoint: openai.OpenAI(
                base_url=endpoint,
                api_key=api_key,
                timeout=system.request_timeout_seconds,
                max_retries=system.max_retries,
            )
            for endpoint in system.endpoints()
        }
        self.slots: queue.SimpleQueue[str] = queue.SimpleQueue()
        for _ in range(system.concurrency):
            for endpoint in self.clients:
                self.slots.put(endpoint)
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

    @property
    def _raw(self) -> bool:
        return self.system.api_mode == System.ApiMode.COMPLETIONS

    def _messages(self, turns: Sequence[Turn]) -> list[dict[str, str]]:
        if self.system.prompt_preset == CHAT:
            return chat_messages(turns, self.system.system_prompt)
        return [{"role": "user", "content": role_prefixed_prompt(turns, self.system.prompt_preset)}]

    def _fit(self, context: Sequence[Turn]) -> FittedPrompt:
        return prompt_fit(
            context,
            render=lambda turns: (
                role_prefixed_prompt(turns, self.system.prompt_preset)
                if self._raw
                else chat_transcript(self._messages(turns))
            ),
            tokenizer=self.counter,
            budget=self.system.max_input_tokens,
        )

    def run(self, requests: Sequence[GenerationRequest]) -> Iterator[list[Outcome]]:
        fitted, failures = fit_all(requests, self._fit)
        if failures:
            yield failures
        yield from self._in_windows(self._complete, fitted)

    def instruct(
        self, requests: Sequence[InstructionRequest], *, max_new_tokens: int
    ) -> Iterator[list[Outcome]]:
        def complete(request: InstructionRequest) -> Outcome:
            if self._raw:
                # A role-prefixed model has no system message: the role goes before the task.
                task = request.instruction
                if request.system_prompt:
                    task = f"{request.system_prompt}\n\n{task}"
                prompt = role_prefixed_prompt([Turn(USER, task)], self.system.prompt_preset)
                return self._text_completion(request.key, prompt, max_new_tokens)
            messages = [{"role": "user", "content": request.instruction}]
            if request.system_prompt:
                messages.insert(0, {"role": "system", "content": request.system_prompt})
            return self._chat(request.key, messages, max_new_tokens)

        yield from self._in_windows(complete, requests)

    def _in_windows(self, complete: Callable[[Any], Outcome], items: Sequence) -> Iterator[list]:
        # A window of requests at a time, `concurrency` in flight at each replica, so each
        # is stored soon after it is answered and a cancelled job stops within one window.
        # A request waits for a free slot at any replica: a faster one frees its slots
        # sooner and takes more of the work.
        in_flight = self.system.concurrency * len(self.clients)
        window = in_flight * 4
        with ThreadPoolExecutor(max_workers=in_flight) as pool:
            for start in range(0, len(items), window):
                yield list(pool.map(complete, items[start : start + window]))

    def _complete(self, item: tuple[GenerationRequest, FittedPrompt]) -> Outcome:
        request, prompt = item
        if self._raw:
            outcome = self._text_completion(
                request.sample_id,
                role_prefixed_prompt(prompt.turns, self.system.prompt_preset),
                self.params.max_new_tokens,
            )
        else:
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

    def _options(self, max_tokens: int) -> dict[str, Any]:
        options: dict[str, Any] = {"max_tokens": max_tokens, "seed": self.params.seed}
        if self.params.do_sample:
            options.update(top_p=self.params.top_p, temperature=self.params.temperature)
        else:
            options.update(temperature=0)
        return options

    def _chat(self, key: int, messages: list[dict[str, str]], max_tokens: int) -> Outcome:
        """One chat completion, the answer's text as it came; every problem an outcome."""
        return self._call(
            key,
            lambda client: client.chat.completions.create(
                model=self.system.model_name,
                # The roles chat_messages writes are the API's (system, user, assistant).
                messages=cast("list[ChatCompletionMessageParam]", messages),
                **self._options(max_tokens),
            ),
            _completion_text,
            "choices[0].message.content",
        )

    def _text_completion(self, key: int, prompt: str, max_tokens: int) -> Outcome:
        """One raw completion of the preset's prompt, stopped where the client's next turn
        would begin."""
        stops = stop_strings(self.system.prompt_preset)
        return self._call(
            key,
            lambda client: client.completions.create(
                model=self.system.model_name,
                prompt=prompt,
                stop=stops or None,
                **self._options(max_tokens),
            ),
            _text_of_completion,
            "choices[0].text",
        )

    def _call(
        self,
        key: int,
        create: Callable[[Any], Any],
        text_of: Callable[[Any], str | None],
        where: str,
    ) -> Outcome:
        endpoint = self.slots.get()
        try:
            return self._call_at(endpoint, key, create, text_of, where)
        finally:
            self.slots.put(endpoint)

    def _call_at(
        self,
        endpoint: str,
        key: int,
        create: Callable[[Any], Any],
        text_of: Callable[[Any], str | None],
        where: str,
    ) -> Outcome:
        import openai  # already loaded by __init__

        started = time.perf_counter()
        try:
            completion = create(self.clients[endpoint])
        except openai.APIStatusError as error:
            return failed(
                key,
                f"HTTP {error.status_code} from {endpoint}: {error.message}",
            )
        except openai.APITimeoutError:
            return failed(
                key,
                f"no answer from {endpoint} within "
                f"{self.system.request_timeout_seconds:g} s "
                f"({self.system.max_retries + 1} attempts)",
            )
        except openai.APIConnectionError as error:
            return failed(key, f"cannot reach {endpoint}: {error}")
        except (openai.APIError, ValueError, TypeError) as error:
            return failed(key, f"malformed answer from {endpoint}: {error}")
        except RecursionError:
            return failed(key, f"malformed answer from {endpoint}: JSON nested "
                               "too deeply to read")  # fmt: skip
        latency = time.perf_counter() - started
        text = text_of(completion)
        if text is None:
            return failed(
                key,
                f"malformed answer from {endpoint}: no {where} in {str(completion)[:300]}",
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
        for client in self.clients.values():
            client.close()


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


def _text_of_completion(completion: Any) -> str | None:
    try:
        text = completion.choices[0].text
    except (AttributeError, IndexError, TypeError):
        return None
    return text if isinstance(text, str) else None


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
