"""Decoding parameters of a system, and how local generation is cut into batches.
No Django here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class DecodingParams:
    # The paper's decoding: nucleus sampling, top-p 0.75, temperature 0.95, 512 new tokens.
    do_sample: bool = True
    top_p: float = 0.75
    temperature: float = 0.95
    max_new_tokens: int = 512
    seed: int = 0
    repetition_penalty: float = 1.0

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


DECODING_DEFAULTS = DecodingParams()

_RANGES: dict[str, tuple[float, float]] = {
    "top_p": (0.0, 1.0),
    "temperature": (0.0, 100.0),
    "max_new_tokens": (1, 1_000_000),
    "seed": (0, 2**32 - 1),
    "repetition_penalty": (0.0, 100.0),
}


def decoding_params(overrides: Mapping[str, Any] | None) -> DecodingParams:
    """The defaults with a system's overrides; anything unknown or out of range is
    refused with a message that names it."""
    if overrides is None:
        return DECODING_DEFAULTS
    if not isinstance(overrides, Mapping):
        raise ValueError('decoding parameters must be a JSON object, e.g. {"top_p": 0.9}')
    fields = {field.name: field for field in dataclasses.fields(DecodingParams)}
    unknown = sorted(set(overrides) - set(fields))
    if unknown:
        raise ValueError(
            f"unknown decoding parameter(s) {', '.join(unknown)}; known: {', '.join(fields)}"
        )
    values: dict[str, Any] = {}
    for name, value in overrides.items():
        default = getattr(DECODING_DEFAULTS, name)
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise ValueError(f"decoding parameter {name} must be true or false, not {value!r}")
        elif isinstance(default, int):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"decoding parameter {name} must be an integer, not {value!r}")
        elif isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"decoding parameter {name} must be a number, not {value!r}")
        low, high = _RANGES.get(name, (None, None))
        if low is not None and not (low <= value <= high):
            raise ValueError(
                f"decoding parameter {name} must be within [{low}, {high}], not {value}"
            )
        if name in ("top_p", "temperature") and value == 0:
            raise ValueError(
                f"decoding parameter {name} must be above 0; for greedy decoding "
                "set do_sample to false"
            )
        values[name] = value
    return dataclasses.replace(DECODING_DEFAULTS, **values)


def batches_plan(
    lengths: Sequence[int], *, batch_size: int, max_batch_tokens: int, max_new_tokens: int
) -> list[list[int]]:
    """Indices of `lengths` grouped into batches of similar prompt length.

    Longest first, so that a batch too big for the device fails at the start of a job
    rather than hours into it. A batch holds at most `batch_size` prompts and, padded to
    its longest prompt plus the new tokens, at most `max_batch_tokens` tokens; a prompt
    that alone exceeds that cap still gets a batch of its own.
    """
    order = sorted(range(len(lengths)), key=lambda index: (-lengths[index], index))
    batches: list[list[int]] = []
    current: list[int] = []
    for index in order:
        # Sorted longest first: the batch's first prompt sets its padded width.
        width = (lengths[current[0]] if current else lengths[index]) + max_new_tokens
        if current and (
            len(current) >= batch_size or (len(current) + 1) * width > max_batch_tokens
        ):
            batches.append(current)
            current = []
        current.append(index)
    if current:
        batches.append(current)
    return batches
