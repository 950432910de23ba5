"""Duplicates: exact ones whatever the whitespace, near ones above the threshold."""

from __future__ import annotations

import pytest

from corpus.dedup import dialogues_dedup

BASE = (
    "用户：我最近总是失眠，晚上躺在床上脑子停不下来。\n心理咨询师：听起来你这段时间很辛苦，"
    "能说说脑子里都在想些什么吗？\n用户：主要是工作上的事情，总担心做不好被领导批评。\n"
    "心理咨询师：担心做不好，这种压力一直跟着你，连休息的时候也放不下。"
)


def test_exact_and_near_duplicates_name_the_dialogue_they_repeat():
    texts = [
        BASE,
        "用户：今天和妈妈吵架了，她从来不听我说话。\n心理咨询师：不被倾听的感觉一定很委屈。",
        BASE.replace("\n", "\n\n  "),  # the same, other whitespace
        BASE.replace("领导", "老板"),  # one word changed
        "用户：我失恋了，不知道怎么走出来。\n心理咨询师：失去一段感情真的很痛。",
    ]
    result = dialogues_dedup(texts)
    assert result.kept == [0, 1, 4]
    assert result.exact == {2: 0}
    assert result.near == {3: 0}


def test_the_threshold_decides_what_is_near():
    shorter = BASE[: len(BASE) // 2]
    assert dialogues_dedup([BASE, shorter], threshold=0.9).kept == [0, 1]
    assert dialogues_dedup([BASE, shorter], threshold=0.3).near == {1: 0}
    with pytest.raises(ValueError, match="above 0 and at most 1"):
        dialogues_dedup([BASE], threshold=0)
