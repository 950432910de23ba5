"""JSON from outside is refused beyond a nesting bound, however it is nested."""

from __future__ import annotations

import json

import pytest

from common.json_input import JsonTooDeep, json_loads, nesting_exceeds


def nested(depth: int, *, kind: str = "list") -> str:
    opening, closing = ("[", "]") if kind == "list" else ('{"a": ', "}")
    return opening * depth + "1" + closing * depth


@pytest.mark.parametrize("kind", ["list", "object"])
def test_the_bound_is_exact(kind):
    assert json_loads(nested(64, kind=kind)) is not None
    with pytest.raises(JsonTooDeep, match="nested deeper than 64 levels"):
        json_loads(nested(65, kind=kind))
    assert json_loads(nested(3, kind=kind), max_depth=3) is not None
    with pytest.raises(JsonTooDeep):
        json_loads(nested(4, kind=kind), max_depth=3)


def test_far_beyond_what_the_parser_can_recurse_is_the_same_refusal():
    with pytest.raises(JsonTooDeep):
        json_loads("[" * 100_000 + "]" * 100_000)
    with pytest.raises(JsonTooDeep):
        json_loads("[" * 100_000)  # unterminated as well: the depth is what is said


def test_it_is_a_value_error_and_syntax_errors_stay_what_they_were():
    assert issubclass(JsonTooDeep, ValueError)
    with pytest.raises(json.JSONDecodeError):
        json_loads("{oops")
    assert json_loads('{"dialogue": [{"role": "client", "content": "x"}]}') == {
        "dialogue": [{"role": "client", "content": "x"}]
    }


def test_wide_is_not_deep():
    assert not nesting_exceeds([[1]] * 10_000, 2)
    assert nesting_exceeds([[1], [[[1]]]], 3)
    assert not nesting_exceeds("[[[[", 1)
