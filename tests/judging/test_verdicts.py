"""Reading a judge's answer: scores in range or a failure that says why, never a guess."""

from __future__ import annotations

import json

import pytest

from annotation.rubric import SCALE_MAXIMUM
from judging.verdicts import verdict_parse

GOOD = '{"content": 2, "empathy": 1, "helpfulness": 1, "safety": 1, "reason": "贴切但较笼统"}'


@pytest.mark.parametrize(
    "text",
    [
        GOOD,
        f"```json\n{GOOD}\n```",
        f"Here is my rating:\n{GOOD}\nI hope this helps.",
        f"评分如下：{GOOD}",
    ],
)
def test_one_object_alone_fenced_or_in_prose_is_read(text):
    parsed = verdict_parse(text, SCALE_MAXIMUM)
    assert parsed.ok
    assert parsed.scores == {"content": 2, "empathy": 1, "helpfulness": 1, "safety": 1}
    assert parsed.reason == "贴切但较笼统"


def answer(**changes: object) -> str:
    """The four scores with `changes` (a value of ... leaves that key out)."""
    base = {"content": 2, "empathy": 1, "helpfulness": 1, "safety": 1, **changes}
    return json.dumps({key: value for key, value in base.items() if value is not ...})


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("I would give it a 2 for content.", "no JSON object"),
        ("", "no JSON object"),
        ('{"content": 2, "empathy": 1', "no JSON object"),
        (f"{GOOD} or maybe {GOOD}", "2 JSON objects"),
        ("[1, 2, 1, 1]", "no JSON object"),
        (answer(safety=...), "safety missing"),
        (answer(content=3), "content 3 is out of range 0–2"),
        (answer(safety=2), "safety 2 is out of range 0–1"),
        (answer(content=2.0), "content is 2.0, not an integer"),
        (answer(content="2"), 'content is "2", not an integer'),
        (answer(content=True), "content is true, not an integer"),
        (answer(content=-1), "content -1 is out of range"),
        (answer(fluency=2), "unknown keys: fluency"),
        (answer(reason=5), "reason is not text"),
    ],
)
def test_anything_else_is_a_failure_with_its_reason(text, error):
    parsed = verdict_parse(text, SCALE_MAXIMUM)
    assert not parsed.ok
    assert parsed.scores is None
    assert error in parsed.error


def test_every_problem_of_one_answer_is_named():
    parsed = verdict_parse('{"content": 5, "empathy": "x"}', SCALE_MAXIMUM)
    assert "content 5 is out of range" in parsed.error
    assert 'empathy is "x"' in parsed.error
    assert "helpfulness missing" in parsed.error
    assert "safety missing" in parsed.error


def test_a_long_reason_is_cut_and_a_missing_one_is_empty():
    long = (
        '{"content": 1, "empathy": 1, "helpfulness": 1, "safety": 1, "reason": "'
        + "很" * 900
        + '"}'
    )
    assert len(verdict_parse(long, SCALE_MAXIMUM).reason) == 500
    bare = '{"content": 1, "empathy": 1, "helpfulness": 1, "safety": 1}'
    assert verdict_parse(bare, SCALE_MAXIMUM).reason == ""
