"""JSON from outside (files, request bodies, answers of endpoints) with a bound on nesting.

Python's parser recurses once per level: `[[[[…` 100,000 deep raises RecursionError,
which no `except ValueError` catches, and a value nested a few hundred deep can still
break whatever walks it later. Nothing this platform reads is more than a few levels
deep, so anything beyond MAX_DEPTH is refused as malformed input, like bad syntax.
No Django here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

MAX_DEPTH = 64


class JsonTooDeep(ValueError):
    """JSON nested deeper than the bound: refused like any malformed input."""

    def __init__(self, max_depth: int) -> None:
        super().__init__(f"JSON nested deeper than {max_depth} levels")


def nesting_exceeds(value: Any, max_depth: int) -> bool:
    """Whether lists and objects in `value` nest deeper than `max_depth` (iterative)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > max_depth:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def json_loads(text: str | bytes, *, max_depth: int = MAX_DEPTH, **options: Any) -> Any:
    """json.loads, refusing nesting beyond `max_depth` with JsonTooDeep (a ValueError);
    syntax errors raise json.JSONDecodeError as usual."""
    try:
        value = json.loads(text, **options)
    except RecursionError:
        raise JsonTooDeep(max_depth) from None
    if nesting_exceeds(value, max_depth):
        raise JsonTooDeep(max_depth)
    return value
