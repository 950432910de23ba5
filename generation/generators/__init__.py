"""What answers a generation job's samples, one class per kind of system.

A generator is built from a `System` (failing at once, with `GeneratorUnavailable`, when
the system cannot work at all: a checkpoint that is not there, a key that is not set)
and then turns requests into outcomes, batch by batch, so the job can store each batch
as it comes. A problem with one sample is an outcome with a reason, never an exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from generation.decoding import decoding_params
from generation.generators.api import ApiGenerator
from generation.generators.base import (
    REASON_LIMIT,
    GenerationRequest,
    Generator,
    GeneratorUnavailable,
    InstructionRequest,
    Outcome,
    failed,
)
from generation.generators.imported import ImportedGenerator
from generation.generators.local import LocalGenerator
from generation.models import System

__all__ = [
    "REASON_LIMIT",
    "GenerationRequest",
    "Generator",
    "GeneratorUnavailable",
    "InstructionRequest",
    "Outcome",
    "failed",
    "generator_for",
]


def generator_for(system: System, *, decoding: Mapping[str, Any] | None = None) -> Generator:
    """`decoding` overrides the system's own decoding parameters for this use (a judge
    decodes greedily whatever the system does when it answers)."""
    try:
        params = decoding_params({**(system.decoding or {}), **(decoding or {})})
    except ValueError as error:
        raise GeneratorUnavailable(f"system {system.name}: {error}") from error
    if system.kind == System.Kind.HF_LOCAL:
        return LocalGenerator(system, params)
    if system.kind == System.Kind.OPENAI_API:
        return ApiGenerator(system, params)
    if system.kind == System.Kind.IMPORTED:
        return ImportedGenerator(system)
    if system.kind == System.Kind.REFERENCE:
        raise GeneratorUnavailable(
            f"system {system.name} answers with each sample's own counsellor reply, stored "
            "when a run or study includes it: there is nothing to generate"
        )
    raise GeneratorUnavailable(f"system {system.name} has an unknown kind {system.kind!r}")
