"""Finding self-identification in responses, and masking it (no database)."""

from __future__ import annotations

from annotation.identity_screen import (
    DEFAULT_IDENTITY_PATTERNS,
    PLACEHOLDER,
    IdentityScreen,
    identity_masked,
)

SCREEN = IdentityScreen(DEFAULT_IDENTITY_PATTERNS)


def found(text: str, screen: IdentityScreen = SCREEN) -> list[str]:
    return [text[match.start : match.end] for match in screen.matches(text)]


def test_chinese_self_identification_is_found():
    assert found("你好，我是ChatGLM，很高兴能帮助你。") == ["ChatGLM"]
    # Two patterns overlap here; both are kept, so that a mask covers all of it.
    assert found("作为一个AI语言模型，我无法体会你的感受。") == ["作为一个AI", "AI语言模型"]
    assert found("我是一个人工智能助手，但我愿意听你说。") == ["我是一个人工智能", "人工智能助手"]
    assert found("通义千问和文心一言都不能代替咨询师。") == ["通义", "文心"]


def test_english_is_found_whatever_the_case_and_spacing():
    assert found("As an  AI language model, I cannot feel.") == ["As an  AI language model"]
    assert found("i am an ai, not a therapist") == ["i am an ai"]
    assert found("Try chatgpt or GPT-4o for that.") == ["chatgpt", "GPT-4"]


def test_a_latin_name_is_not_found_inside_a_longer_word_but_is_beside_digits():
    screen = IdentityScreen(["GLM", "Llama"])
    assert found("GLMX and llamas", screen) == []
    assert found("ChatGLM2-6B 和 Llama3", IdentityScreen(["GLM", "Llama", "ChatGLM"])) == [
        "ChatGLM",
        "Llama",
    ]
    # Chinese has no word boundaries: a Chinese pattern is found anywhere.
    assert found("他们说智谱清言很好用", IdentityScreen(["智谱"])) == ["智谱"]


def test_the_longest_pattern_wins_where_patterns_overlap():
    screen = IdentityScreen(["作为AI", "作为AI语言模型"])
    assert found("作为AI语言模型，我建议你休息。", screen) == ["作为AI语言模型"]


def test_masking_replaces_each_span_once_with_a_neutral_placeholder():
    text = "我是SoulChat，作为AI语言模型，我理解你的难过。"
    matches = IdentityScreen(["SoulChat", "作为AI语言模型", "AI语言模型"]).matches(text)
    masked = identity_masked(text, matches)
    assert masked == f"我是{PLACEHOLDER}，{PLACEHOLDER}，我理解你的难过。"
    assert "SoulChat" not in masked
    assert identity_masked("没有问题。", []) == "没有问题。"


def test_a_mask_covers_overlapping_matches_whole():
    text = "作为一个AI语言模型，我没有亲身经历，但我能理解你。"
    masked = identity_masked(text, SCREEN.matches(text))
    assert masked == f"{PLACEHOLDER}，我没有亲身经历，但我能理解你。"
    # A match inside a longer one adds nothing.
    assert found("As an AI language model, no.") == ["As an AI language model"]


def test_a_clean_counselling_reply_matches_nothing():
    assert found("听起来这段时间你真的很辛苦，愿意多说说是从什么时候开始的吗？") == []
    assert IdentityScreen([]).matches("ChatGLM") == []
