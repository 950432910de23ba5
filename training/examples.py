"""Training examples built from samples in exactly the form generation feeds the model.
No Django and no torch here: token ids are plain lists.

Input = the context prompt of the system's preset, fitted to the input budget by the same
`prompt_fit` generation uses (older turns go first; a too-long last user turn loses its
beginning). Target = the psychologist's reply + the end token, cut to the target budget.
The loss is on target tokens only: input positions are labelled `IGNORE_INDEX`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from generation.dialogues import Turn
from generation.prompts import (
    DEFAULT_INPUT_BUDGET,
    SOULCHAT,
    PromptError,
    model_prompt_renderer,
    model_token_counter,
    prompt_fit,
)

# What torch's cross-entropy (and so every Hugging Face causal LM) leaves out of the loss.
IGNORE_INDEX = -100
DEFAULT_TARGET_BUDGET = 512


@dataclass(frozen=True)
class ExampleSettings:
    preset: str = SOULCHAT
    system_prompt: str = ""
    max_input_tokens: int = DEFAULT_INPUT_BUDGET
    max_target_tokens: int = DEFAULT_TARGET_BUDGET

    def errors(self) -> dict[str, str]:
        errors = {}
        if self.max_input_tokens < 1:
            errors["max_input_tokens"] = f"at least 1, not {self.max_input_tokens}"
        if self.max_target_tokens < 2:
            # One token of reply and the end token.
            errors["max_target_tokens"] = f"at least 2, not {self.max_target_tokens}"
        return errors


@dataclass(frozen=True, slots=True)
class Example:
    input_ids: list[int]
    labels: list[int]
    prompt_tokens: int
    dropped_turns: int
    input_cut: bool
    target_cut: bool


class ExampleRejected(ValueError):
    """This sample cannot become a training example; the message says why."""


@dataclass
class ExampleReport:
    """What became of the samples: nothing is dropped without being counted here."""

    built: int = 0
    turns_dropped: int = 0  # examples that lost their oldest turns to the input budget
    inputs_cut: int = 0  # examples whose last user turn lost its beginning
    targets_cut: int = 0  # examples whose reply was cut to the target budget
    target_tokens: int = 0
    rejected: Counter[str] = field(default_factory=Counter)

    def add(self, example: Example) -> None:
        self.built += 1
        self.turns_dropped += example.dropped_turns > 0
        self.inputs_cut += example.input_cut
        self.targets_cut += example.target_cut
        self.target_tokens += len(example.labels) - example.prompt_tokens

    def as_dict(self) -> dict[str, Any]:
        return {
            "built": self.built,
            "turns_dropped": self.turns_dropped,
            "inputs_cut": self.inputs_cut,
            "targets_cut": self.targets_cut,
            "target_tokens": self.target_tokens,
            "rejected": dict(self.rejected),
        }

    def summary(self) -> str:
        text = (
            f"{self.built} examples ({self.turns_dropped} lost older turns, "
            f"{self.inputs_cut} had the last user turn cut, {self.targets_cut} had the "
            f"reply cut)"
        )
        if self.rejected:
            reasons = "; ".join(f"{count} × {reason}" for reason, count in self.rejected.items())
            text += f"; rejected: {reasons}"
        return text


class ExampleBuilder:
    """Builds examples for one tokenizer and preset."""

    def __init__(self, tokenizer: Any, settings: ExampleSettings) -> None:
        errors = settings.errors()
        if errors:
            raise ValueError("; ".join(f"{key}: {message}" for key, message in errors.items()))
        if tokenizer.eos_token_id is None:
            raise ValueError("the tokenizer has no end-of-sequence token to end replies with")
        self.tokenizer = tokenizer
        self.settings = settings
        self.render = model_prompt_renderer(tokenizer, settings.preset, settings.system_prompt)
        self.counter = model_token_counter(tokenizer, settings.preset)

    def build(self, context: Sequence[Turn], reference: str) -> Example:
        if not reference.strip():
            raise ExampleRejected("the reply is empty")
        try:
            prompt = prompt_fit(
                context,
                render=self.render,
                tokenizer=self.counter,
                budget=self.settings.max_input_tokens,
            )
        except PromptError as error:
            raise ExampleRejected(str(error)) from None
        # The reply is tokenised on its own, as the model produces it after the prompt.
        target = self.tokenizer.encode(reference, add_special_tokens=False)
        room = self.settings.max_target_tokens - 1
        target_cut = len(target) > room
        target = [*target[:room], self.tokenizer.eos_token_id]
        prompt_ids = list(prompt.token_ids)
        return Example(
            input_ids=prompt_ids + target,
            labels=[IGNORE_INDEX] * len(prompt_ids) + target,
            prompt_tokens=len(prompt_ids),
            dropped_turns=prompt.dropped_turns,
            input_cut=prompt.truncated,
            target_cut=target_cut,
        )

    def build_all(
        self, records: Iterable[tuple[Sequence[Turn], str]], report: ExampleReport
    ) -> Iterator[Example]:
        """Examples of (context, reply) records, counting each one into `report`."""
        for context, reference in records:
            try:
                example = self.build(context, reference)
            except ExampleRejected as rejection:
                report.rejected[str(rejection)] += 1
                continue
            report.add(example)
            yield example
