"""Prompt presets and the input budget: pure code, no database."""

from __future__ import annotations

import pytest

from generation.dialogues import PSYCHOLOGIST, USER, Turn
from generation.prompts import (
    CharacterTokenizer,
    PromptError,
    chat_messages,
    mechat_prompt,
    prompt_fit,
    response_clean,
    soulchat_prompt,
    stop_strings,
)

CONTEXT = (
    Turn(USER, "最近总是失眠，怎么办？"),
    Turn(PSYCHOLOGIST, "听起来你很辛苦。能说说是从什么时候开始的吗？"),
    Turn(USER, "一个月前，换了工作以后……"),
)


def test_the_soulchat_preset_is_the_papers_string():
    assert soulchat_prompt(CONTEXT) == (
        "用户：最近总是失眠，怎么办？\n"
        "心理咨询师：听起来你很辛苦。能说说是从什么时候开始的吗？\n"
        "用户：一个月前，换了工作以后……\n"
        "心理咨询师："
    )


def test_the_mechat_preset_uses_its_seeker_and_supporter_roles():
    assert mechat_prompt(CONTEXT) == (
        "求助者：最近总是失眠，怎么办？\n"
        "支持者：听起来你很辛苦。能说说是从什么时候开始的吗？\n"
        "求助者：一个月前，换了工作以后……\n"
        "支持者："
    )


def test_the_chat_preset_gives_user_and_assistant_messages():
    assert chat_messages(CONTEXT[:2]) == [
        {"role": "user", "content": "最近总是失眠，怎么办？"},
        {"role": "assistant", "content": "听起来你很辛苦。能说说是从什么时候开始的吗？"},
    ]
    assert chat_messages(CONTEXT[:1], "你是一位心理咨询师。")[0] == {
        "role": "system",
        "content": "你是一位心理咨询师。",
    }


def test_a_completion_that_goes_on_to_write_the_clients_turn_is_cut():
    assert response_clean("  我理解你的感受。\n用户：谢谢\n心理咨询师：不客气", "soulchat") == (
        "我理解你的感受。"
    )
    assert response_clean("我在。\n求助者：嗯", "mechat") == "我在。"
    # The chat preset's template ends turns itself; the text is only stripped.
    assert response_clean(" 用户：引用 \n", "chat") == "用户：引用"
    assert stop_strings("soulchat") == ["\n用户："]
    assert stop_strings("chat") == []


def fit(context, budget, tokenizer=None):
    return prompt_fit(
        context, render=soulchat_prompt, tokenizer=tokenizer or CharacterTokenizer(), budget=budget
    )


def test_a_prompt_within_the_budget_is_whole():
    fitted = fit(CONTEXT, budget=1536)
    assert fitted.text == soulchat_prompt(CONTEXT)
    assert len(fitted.token_ids) == len(fitted.text)
    assert (fitted.dropped_turns, fitted.truncated) == (0, False)


def test_a_prompt_exactly_at_the_budget_is_whole():
    length = len(soulchat_prompt(CONTEXT))
    assert fit(CONTEXT, budget=length).dropped_turns == 0
    assert fit(CONTEXT, budget=length - 1).dropped_turns == 1


def test_whole_turns_go_from_the_oldest_end():
    budget = len(soulchat_prompt(CONTEXT[1:]))
    fitted = fit(CONTEXT, budget=budget)
    assert fitted.turns == CONTEXT[1:]
    assert fitted.text == soulchat_prompt(CONTEXT[1:])
    assert (fitted.dropped_turns, fitted.truncated) == (1, False)


def test_the_fewest_turns_are_dropped_for_every_budget():
    context = tuple(
        Turn(USER if index % 2 == 0 else PSYCHOLOGIST, "话" * (index % 7 + 1) * 3)
        for index in range(41)
    )
    for budget in range(len(soulchat_prompt(context[-1:])), len(soulchat_prompt(context)) + 2):
        expected = next(
            start
            for start in range(len(context))
            if len(soulchat_prompt(context[start:])) <= budget
        )
        fitted = fit(context, budget=budget)
        assert fitted.dropped_turns == expected, budget
        assert len(fitted.token_ids) <= budget


def test_the_last_user_turn_is_never_dropped_only_its_beginning_cut():
    context = (Turn(USER, "早"), Turn(PSYCHOLOGIST, "你好"), Turn(USER, "一二三四五六七八九十"))
    # "用户：" + content + "\n心理咨询师：" is 3 + n + 7 characters.
    fitted = fit(context, budget=3 + 4 + 7)
    assert fitted.truncated is True
    assert fitted.dropped_turns == 2
    assert fitted.turns == (Turn(USER, "七八九十"),)
    assert fitted.text == "用户：七八九十\n心理咨询师："


def test_turns_after_the_last_user_turn_are_kept_when_cutting():
    context = (Turn(USER, "一二三四五六"), Turn(PSYCHOLOGIST, "嗯"))
    fitted = fit(context, budget=len(soulchat_prompt(context)) - 2)
    assert fitted.turns == (Turn(USER, "三四五六"), Turn(PSYCHOLOGIST, "嗯"))
    assert fitted.truncated is True


def test_a_budget_smaller_than_the_frame_is_refused_with_a_reason():
    with pytest.raises(PromptError, match="already takes 10 tokens; the input budget is 9"):
        fit((Turn(USER, "你好"),), budget=9)
    with pytest.raises(PromptError, match="at least 1 token"):
        fit(CONTEXT, budget=0)


def test_a_context_without_a_user_turn_is_refused():
    with pytest.raises(PromptError, match="no user turn"):
        fit((Turn(PSYCHOLOGIST, "你好"),), budget=100)


class Utf8Bytes:
    """A byte-level tokenizer: cutting can split a Chinese character in three."""

    def encode(self, text):
        return list(text.encode())

    def decode(self, ids):
        return bytes(ids).decode(errors="replace")


def test_a_cut_through_a_character_leaves_no_broken_character():
    context = (Turn(USER, "我很难过"),)
    frame = len("用户：\n心理咨询师：".encode())
    fitted = fit(context, budget=frame + 7, tokenizer=Utf8Bytes())
    # 7 bytes hold two whole characters and a third of another; the partial one goes.
    assert fitted.turns == (Turn(USER, "难过"),)
    assert "\ufffd" not in fitted.text
    assert len(fitted.token_ids) <= frame + 7
