"""What every generator shares: the requests it answers, the outcomes it gives and
the protocol a generator follows (generation.generators.generator_for picks one)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from common.errors import UNAVAILABLE, ServiceError
from generation.dialogues import Turn
from generation.prompts import FittedPrompt, PromptError

# Reasons are shown in the admin and in commands; an endpoint's whole error page is not.
REASON_LIMIT = 2000
NOTES_LIMIT = 20


class GeneratorUnavailable(ServiceError):
    """The system cannot answer anything; the message says why."""

    code = UNAVAILABLE


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


def fit_all(
    requests: Sequence[GenerationRequest], fit: Callable[[Sequence[Turn]], FittedPrompt]
) -> tuple[list[tuple[GenerationRequest, FittedPrompt]], list[Outcome]]:
    fitted, failures = [], []
    for request in requests:
        try:
            fitted.append((request, fit(request.context)))
        except PromptError as error:
            failures.append(failed(request.sample_id, f"cannot build the prompt: {error}"))
    return fitted, failures
