"""The two rewrite prompts: versioned, carrying the record, and (empathy) every
constraint of the paper."""

from __future__ import annotations

import pytest

from corpus.rewrite_prompts import PROMPTS, rewrite_prompt_get


def test_the_empathy_prompt_carries_the_record_and_every_constraint():
    prompt = rewrite_prompt_get("empathy")
    text = prompt.render(
        question="我总是失眠怎么办？", description="工作压力大", answer="先规律作息。"
    )
    assert "我总是失眠怎么办？" in text
    assert "补充描述：工作压力大" in text
    assert "先规律作息。" in text
    for constraint in ("倾听", "安慰", "理解", "信任", "认可", "真诚", "情感支持"):
        assert constraint in text
    assert "8 到 20 轮" in text
    assert "“用户：”开始" in text
    assert "“心理咨询师：”结束" in text
    assert "分析：" in text
    assert prompt.system
    assert prompt.label == "empathy@1"


def test_the_smile_prompt_is_plainer_and_needs_both_texts():
    prompt = rewrite_prompt_get("smile")
    text = prompt.render(question="怎么办？", answer="慢慢来。")
    assert "补充描述" not in text
    assert "求助者：" in text
    assert "共情" not in text
    assert prompt.label == "smile@1"
    with pytest.raises(ValueError, match="both the question and the answer"):
        prompt.render(question=" ", answer="慢慢来。")


def test_unknown_prompts_are_named():
    with pytest.raises(ValueError, match="unknown rewrite prompt 'gpt'; one of empathy, smile"):
        rewrite_prompt_get("gpt")
    assert set(PROMPTS) == {"empathy", "smile"}
