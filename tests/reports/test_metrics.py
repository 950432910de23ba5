"""The engine equals the reference pipeline of METRICS.md, per pair, within 1e-9."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor

import pytest

from reports.metric_references import (
    benchmark_pairs,
    counsellor_turns,
    counsellor_turns_by_dialogue,
    realistic_pairs,
    reference_scores,
)
from reports.metrics import METRIC_KEYS, rouge_words, score_pairs, segment

TOLERANCE = 1e-9

EDGE_PAIRS = [
    ("", "我能理解你的感受。"),
    ("   \n\t ", "我能理解你的感受。"),
    ("我能理解你的感受。", ""),
    ("好", "好"),
    ("好", "我"),
    ("。", "。！？"),
    ("？！……", "……？！"),
    ("！！！", "。。。"),
    ("我今年25岁，每个月1-3次，SCL_90量表得分8k-1w。", "你25岁了，每月1-3次也不算多。"),
    ("Hello 你好 world 123 abc-def", "hello 你好 World 123"),
    ("3.5分和100%的把握", "3.5分，100%"),
    ("他说：“你好。”然后走了。", "“你好。”他说。"),
    ("等等......我明白了......", "我明白了......好的"),
    ("㐀㐁 compat 丽 and 𠀀 rare han", "㐀 rare han 𠀀"),
    ("  前后有空格  ", "前后有空格"),
    ("我理解你。" * 300, "我理解你的难过。" * 200),
    ("😀 表情 ①② ～~", "表情 ① ～"),
]


@pytest.mark.parametrize(("hypothesis", "reference"), EDGE_PAIRS)
def test_it_equals_the_reference_on_edge_cases(hypothesis, reference):
    ours = score_pairs([(hypothesis, reference)])[0]
    expected = reference_scores(hypothesis, reference)
    for key, mine, theirs in zip(METRIC_KEYS, ours, expected, strict=True):
        assert abs(mine - theirs) <= TOLERANCE, (key, mine, theirs)


def test_empty_hypotheses_score_zero_everywhere():
    assert score_pairs([("", "参考"), (" \t", "参考")]) == [(0.0,) * 7, (0.0,) * 7]


def test_an_identical_pair_scores_one_on_bleu_and_near_one_on_rouge():
    scores = score_pairs([("我能理解你现在很难过。", "我能理解你现在很难过。")])[0]
    assert scores[:4] == (1.0, 1.0, 1.0, 1.0)
    assert all(0.999 < value <= 1.0 for value in scores[4:])


def test_segmentation_falls_back_to_jieba_where_rjieba_differs():
    import jieba

    text = "满分是10分的话，我的样子7-8分"
    assert segment(text) == list(jieba.cut(text))
    assert "7-8" not in segment(text)


def test_rouge_words_follow_the_sentence_cut_of_rouge_chinese():
    # Sentences are cut and flattened again: the words are the same, in order.
    assert rouge_words(["你好", "。", "我", "很", "好", "！"]) == [
        "你好",
        "。",
        "我",
        "很",
        "好",
        "！",
    ]
    assert rouge_words(["a", " ", " ", "b"]) == ["a", "b"]


def test_two_workers_give_what_one_gives():
    pairs = [(f"回复{number}很好。", f"参考{number % 7}很好。") for number in range(1200)]
    assert score_pairs(pairs, workers=2) == score_pairs(pairs, workers=1)


def _reference_chunk(pairs):
    return [reference_scores(hypothesis, reference) for hypothesis, reference in pairs]


@pytest.mark.shared_data
def test_it_equals_the_reference_on_the_whole_shared_set(smilechat):
    """Every counsellor turn of the shared SMILECHAT slice paired with another turn, with
    itself and with an empty string (about 34,000 pairs): the largest difference is
    under 1e-9. The reference runs on both cores to keep the suite short."""
    pairs = list(benchmark_pairs(counsellor_turns(smilechat / "dev.jsonl.gz")))
    ours = score_pairs(pairs, workers=2)
    workers = max(1, min(2, os.cpu_count() or 1))
    size = len(pairs) // (workers * 8) + 1
    chunks = [pairs[start : start + size] for start in range(0, len(pairs), size)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        expected = [row for chunk in pool.map(_reference_chunk, chunks) for row in chunk]
    largest = 0.0
    worst = None
    for pair, mine, theirs in zip(pairs, ours, expected, strict=True):
        difference = max(abs(a - b) for a, b in zip(mine, theirs, strict=True))
        if difference > largest:
            largest, worst = difference, pair
    assert largest <= TOLERANCE, (largest, worst)


SEGMENTATION_CASES = [
    "满分是10分的话，我的样子7-8分，焦虑自评SCL_90是3.5分，100%确定。",
    "先说好的：1-2次。然后呢？a.b.c和d_e都在，最后是中文结尾",
    "C++和C#都学过，R&D部门的张三-李四说：“好的。”",
    "7-8",
    "-开头的符号和结尾的符号-",
    "㐀字和7-8分混在一起",  # extension A beside a symbol: the whole text goes to jieba
    "第一行7-8分\n第二行\r\n第三行 9.5 分",
    "没有任何符号的一句话，很普通。",
]


@pytest.mark.parametrize("text", SEGMENTATION_CASES)
def test_segmentation_equals_jieba_around_its_symbols(text):
    import jieba

    assert segment(text) == list(jieba.cut(text))


ROUGE_TOKEN_CASES = [
    ["你好", "。", "我", "很", "好", "！"],
    ["你好", "。", "\n", "我"],
    ["你好", "。", " ", "\n", " ", "\n", "我", "？"],
    ["\r\n", "好", "\r\n", "\r\n"],
    ["等等", "......", "我", "……", "……", "好"],
    ["他", "说", "：", "“", "你好", "。", "”", "然后", "\n"],
    ["a", " ", " ", "b"],
    [" ", "\n"],
]


@pytest.mark.parametrize("tokens", ROUGE_TOKEN_CASES)
def test_rouge_words_equal_rouge_chineses_own_sentence_handling(tokens):
    from rouge_chinese import Rouge

    sentences = [" ".join(part.split()) for part in Rouge().cut_sent(" ".join(tokens)) if part]
    assert rouge_words(tokens) == [word for sentence in sentences for word in sentence.split(" ")]


def test_realistic_pairs_draw_another_dialogues_turn_reproducibly():
    turns = [
        (dialogue, f"对话{dialogue}的第{turn}句") for dialogue in range(5) for turn in range(4)
    ]
    pairs = realistic_pairs(turns, seed=3)
    assert pairs == realistic_pairs(turns, seed=3)
    assert [reference for _, reference in pairs] == [turn for _, turn in turns]
    for hypothesis, reference in pairs:
        assert hypothesis.split("的")[0] != reference.split("的")[0]
    assert realistic_pairs([(0, "甲"), (0, "乙")]) == []


@pytest.mark.shared_data
def test_it_equals_the_reference_on_realistic_shared_pairs(smilechat):
    """Counsellor turns against other dialogues' turns (the benchmark's realistic slice,
    its first 1,500 pairs): no pair empty or identical, so every path of the engine runs."""
    pairs = realistic_pairs(counsellor_turns_by_dialogue(smilechat / "dev.jsonl.gz"))[:1500]
    for mine, theirs in zip(score_pairs(pairs), _reference_chunk(pairs), strict=True):
        assert max(abs(a - b) for a, b in zip(mine, theirs, strict=True)) <= TOLERANCE
