"""The CEHS judge prompt: the portal's rubric in both languages, the conversation and the
response, the answer's shape, and nothing about which system answered."""

from __future__ import annotations

import json

from annotation.rubric import SCALE_KEYS, SCALE_MAXIMUM, SCALES
from judging.prompt import PROMPT_VERSION, Turn, judge_messages, system_message
from judging.verdicts import verdict_parse


def test_the_instructions_carry_every_scale_and_anchor_in_both_languages():
    text = system_message(SCALES)
    for scale in SCALES:
        assert scale.name_zh in text
        assert scale.name_en in text
        assert scale.question_zh in text
        for anchor in scale.anchors:
            assert anchor.zh in text
            assert anchor.en in text
    assert PROMPT_VERSION == "cehs-judge-1"


def test_the_example_answer_in_the_prompt_is_one_the_parser_reads():
    example = system_message(SCALES).splitlines()[-2]
    assert set(json.loads(example)) == {*SCALE_KEYS, "reason"}
    assert verdict_parse(example, SCALE_MAXIMUM).ok


def test_the_messages_hold_the_conversation_and_the_response_only():
    conversation = [Turn("user", "我最近总是失眠。"), Turn("psychologist", "失眠多久了？")]
    system = system_message(SCALES)
    messages = judge_messages(system, conversation, "听起来你很辛苦。")
    assert [message["role"] for message in messages] == ["system", "user"]
    assert messages[0]["content"] == system
    user = messages[1]["content"]
    assert "用户 · User: 我最近总是失眠。" in user
    assert "心理咨询师 · Psychologist: 失眠多久了？" in user
    assert user.endswith("听起来你很辛苦。")
