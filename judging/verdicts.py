"""Reading a judge's answer: four integer scores in range and a short reason, or a
failure that says why, with the raw text kept by the caller. Never a guess. No Django.

Accepted: one JSON object, alone or fenced (```json … ```) or with prose around it (as
chat models often answer). Refused: no object, more than one, a score missing, not an
integer (2.0, "2", true), out of range, or an unknown key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from judging.prompt import PAIR_ANSWERS

REASON_MAX = 500


@dataclass(frozen=True)
class Parsed:
    # None when it failed; a pairwise judge's {"better": "first" | "second" | "tie"}.
    scores: dict[str, int] | dict[str, str] | None
    reason: str
    error: str  # why it failed, or ""

    @property
    def ok(self) -> bool:
        return self.scores is not None


def _failure(error: str) -> Parsed:
    return Parsed(scores=None, reason="", error=error)


def _objects(text: str) -> list[object]:
    """Every top-level JSON object in the text, by decoding from each "{" that starts
    one; an object inside another is part of it, not a second one."""
    decoder = json.JSONDecoder()
    found: list[object] = []
    position = 0
    while (start := text.find("{", position)) != -1:
        try:
            value, end = decoder.raw_decode(text, start)
        except ValueError:
            position = start + 1
            continue
        found.append(value)
        position = end
    return found


_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")


def verdict_parse(text: str, maximum: Mapping[str, int]) -> Parsed:
    """`maximum` maps each scale's key to its top score (annotation.rubric.SCALE_MAXIMUM)."""
    objects = _objects(_FENCE.sub("", text.strip()))
    if not objects:
        return _failure("no JSON object in the answer")
    if len(objects) > 1:
        return _failure(f"{len(objects)} JSON objects in the answer, expected one")
    answer = objects[0]
    if not isinstance(answer, dict):
        return _failure("the answer is not a JSON object")
    unknown = sorted(set(answer) - {*maximum, "reason"})
    if unknown:
        return _failure(f"unknown keys: {', '.join(unknown)}")
    scores: dict[str, int] = {}
    problems = []
    for key, top in maximum.items():
        value = answer.get(key)
        if key not in answer:
            problems.append(f"{key} missing")
        elif isinstance(value, bool) or not isinstance(value, int):
            problems.append(f"{key} is {json.dumps(value)}, not an integer")
        elif not 0 <= value <= top:
            problems.append(f"{key} {value} is out of range 0–{top}")
        else:
            scores[key] = value
    if problems:
        return _failure("; ".join(problems))
    reason = answer.get("reason", "")
    if not isinstance(reason, str):
        return _failure("reason is not text")
    return Parsed(scores=scores, reason=reason.strip()[:REASON_MAX], error="")


def preference_parse(text: str) -> Parsed:
    """A pairwise judge's answer, {"better": "A" | "B" | "tie", "reason": …}, read as
    scores {"better": "first" | "second" | "tie"}; the same refusals as verdict_parse."""
    objects = _objects(_FENCE.sub("", text.strip()))
    if len(objects) != 1 or not isinstance(objects[0], dict):
        found = "no JSON object" if not objects else f"{len(objects)} JSON values"
        return _failure(f"{found} in the answer, expected one object")
    answer = objects[0]
    unknown = sorted(set(answer) - {"better", "reason"})
    if unknown:
        return _failure(f"unknown keys: {', '.join(unknown)}")
    better = answer.get("better")
    if better not in PAIR_ANSWERS:
        return _failure(f"better is {json.dumps(better)}, not one of A, B or tie")
    reason = answer.get("reason", "")
    if not isinstance(reason, str):
        return _failure("reason is not text")
    return Parsed(
        scores={"better": PAIR_ANSWERS[better]}, reason=reason.strip()[:REASON_MAX], error=""
    )
