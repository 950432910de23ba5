"""A rewriter's messy text into turns, the dialogue rules at their edges, and the crisis
and privacy markers with their spans."""

from __future__ import annotations

import pytest

from corpus.rewrites import (
    MarkerScreen,
    RewriteRejected,
    RewriteRules,
    rewrite_check,
    rewrite_parse,
)
from generation.dialogues import PSYCHOLOGIST, USER, Turn


def rounds(count: int, user: str = "用户：", psychologist: str = "心理咨询师：") -> str:
    return "\n".join(
        f"{user}我第{n}次说。\n{psychologist}我听到了第{n}次。" for n in range(1, count + 1)
    )


def roles(turns) -> str:
    return "".join("U" if turn.role == USER else "P" for turn in turns)


MESSY = {
    "ascii colons and numbering": (
        "1. 用户: 我睡不着。\n2. 心理咨询师: 听起来很辛苦。\n"
        "3. 用户: 是的。\n4. 心理咨询师: 我在。",
        [
            (USER, "我睡不着。"),
            (PSYCHOLOGIST, "听起来很辛苦。"),
            (USER, "是的。"),
            (PSYCHOLOGIST, "我在。"),
        ],
    ),
    "aliases 来访者 and 咨询师": (
        "来访者：最近很累。\n咨询师：能说说吗？",
        [(USER, "最近很累。"), (PSYCHOLOGIST, "能说说吗？")],
    ),
    "bold 求助者 and 支持者": (
        "**求助者**：我和家人吵架了。\n**支持者**：**这让你很难过吧。**",
        [(USER, "我和家人吵架了。"), (PSYCHOLOGIST, "这让你很难过吧。")],
    ),
    "an analysis before the dialogue": (
        "分析：用户的需要是被理解。咨询师应先共情。\n\n对话如下：\n用户：我失恋了。\n心理咨询师：我能感受到你的痛。",
        [(USER, "我失恋了。"), (PSYCHOLOGIST, "我能感受到你的痛。")],
    ),
    "brackets, 第N轮 and 、": (
        "（1）用户：你好。\n第1轮 心理咨询师：你好呀。\n2、用户：我焦虑。\n【2】心理咨询师：嗯。",
        [(USER, "你好。"), (PSYCHOLOGIST, "你好呀。"), (USER, "我焦虑。"), (PSYCHOLOGIST, "嗯。")],
    ),
    "bullets, quotes and headings": (
        "### 对话\n- 用户：考试没考好。\n> 心理咨询师：这次结果让你失望了。",
        [(USER, "考试没考好。"), (PSYCHOLOGIST, "这次结果让你失望了。")],
    ),
    "a turn over several lines": (
        "用户：我想说\n其实我很害怕。\n\n心理咨询师：谢谢你告诉我，\n我们慢慢来。",
        [(USER, "我想说 其实我很害怕。"), (PSYCHOLOGIST, "谢谢你告诉我， 我们慢慢来。")],
    ),
    "one speaker twice in a row": (
        "用户：第一段。\n用户：第二段。\n心理咨询师：好的。",
        [(USER, "第一段。 第二段。"), (PSYCHOLOGIST, "好的。")],
    ),
    "a code fence and a remark": (
        "```\n用户：我一个人。\n心理咨询师（温和地）：我陪着你。\n```",
        [(USER, "我一个人。"), (PSYCHOLOGIST, "我陪着你。")],
    ),
    "a role name inside a turn is not a turn": (
        "用户：我的咨询师说我要多休息。\n心理咨询师：你觉得呢？",
        [(USER, "我的咨询师说我要多休息。"), (PSYCHOLOGIST, "你觉得呢？")],
    ),
}


@pytest.mark.parametrize("name", MESSY)
def test_messy_rewrites_parse_into_their_turns(name):
    text, expected = MESSY[name]
    assert rewrite_parse(text) == [Turn(role, content) for role, content in expected]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("抱歉，我无法完成这个请求。", "no_dialogue"),
        ("心理咨询师：你好。\n" + rounds(8), "starts_with_psychologist"),
        (rounds(8) + "\n用户：谢谢。", "ends_with_user"),
        (rounds(7), "too_few_rounds"),
        (rounds(21), "too_many_rounds"),
        (rounds(8).replace("我第3次说。", ""), "empty_turn"),
        (rounds(8).replace("我第3次说。", "很" * 301), "turn_too_long"),
    ],
)
def test_rewrites_that_break_a_rule_are_rejected_with_its_code(text, code):
    with pytest.raises(RewriteRejected) as rejection:
        rewrite_check(rewrite_parse(text))
    assert rejection.value.code == code


@pytest.mark.parametrize("count", [8, 20])
def test_the_round_limits_are_inclusive(count):
    turns = rewrite_parse(rounds(count, "求助者: ", "支持者: "))
    rewrite_check(turns)
    assert roles(turns) == "UP" * count


def test_the_rules_can_be_set():
    turns = rewrite_parse(rounds(3))
    rewrite_check(turns, RewriteRules(min_rounds=2, max_rounds=3, max_turn_chars=20))
    with pytest.raises(RewriteRejected, match="at most 5"):
        rewrite_check(turns, RewriteRules(min_rounds=2, max_turn_chars=5))


def test_markers_are_found_with_their_spans():
    turns = [
        Turn(USER, "我是张三，我想自杀。电话 138-1234-5678，邮箱 zhang.san@example.com"),
        Turn(PSYCHOLOGIST, "谢谢你告诉我。身份证 11010519491231002X 请不要发给我。"),
        Turn(USER, "座机 010-12345678，订单号 1234567890123"),
    ]
    hits = MarkerScreen().hits(turns)
    found = [(hit.turn, hit.marker, turns[hit.turn].content[hit.start : hit.end]) for hit in hits]
    assert found == [
        (0, "我是", "我是"),
        (0, "自杀", "自杀"),
        (0, "phone number", "138-1234-5678"),
        (0, "e-mail address", "zhang.san@example.com"),
        (1, "ID-card number", "11010519491231002X"),
        (2, "landline number", "010-12345678"),
    ]


def test_the_marker_lists_are_configurable():
    screen = MarkerScreen(words=["割腕"], patterns={})
    assert [hit.marker for hit in screen.hits([Turn(USER, "我是学生，想割腕")])] == ["割腕"]
    assert MarkerScreen().hits([Turn(USER, "我很好，今天跑步了。")]) == []


def test_single_turn_records_are_read_and_bad_lines_named():
    from corpus.rewrites import LineProblem, QARecord, qa_records

    lines = [
        '{"id": 7, "question": "失眠怎么办？", "description": "三个月了", "answer": "规律作息。",'
        ' "topic": "情绪"}',
        '{"id": "q2", "question": "和父母吵架", "answers": ["先冷静。", "试着表达感受。"]}',
        "",
        "not json",
        '["a list"]',
        '{"id": "q3", "answer": "没有问题"}',
        '{"id": "q4", "question": "？", "answer": "  "}',
        '{"id": 7, "question": "重复", "answer": "重复"}',
        '{"id": "q5", "question": "？", "answers": []}',
        '{"id": true, "question": "？", "answer": "好"}',
        "[" * 100_000,
    ]
    read = list(qa_records(lines))
    assert [item for item in read if isinstance(item, QARecord)] == [
        QARecord("7#1", "失眠怎么办？", "三个月了", "规律作息。", "情绪", 1),
        QARecord("q2#1", "和父母吵架", "", "先冷静。", "", 2),
        QARecord("q2#2", "和父母吵架", "", "试着表达感受。", "", 2),
    ]
    problems = [(item.line, item.message) for item in read if isinstance(item, LineProblem)]
    assert [line for line, _ in problems] == [4, 5, 6, 7, 8, 9, 10, 11]
    assert problems[7][1] == "not a usable JSON object (JSON nested deeper than 64 levels)"
    assert problems[2][1] == '"question" is missing'
    assert problems[3][1] == '"answer" is empty'
    assert problems[4][1] == "id '7' was already used on an earlier line"
    assert problems[5][1] == '"answers" is not a non-empty list'


def test_corpus_statistics_count_rounds_topics_and_the_psychologists_words():
    from corpus.rewrites import corpus_statistics

    eight = rewrite_parse(rounds(8, psychologist="心理咨询师：我理解你的焦虑，"))
    nine = rewrite_parse(rounds(9, psychologist="心理咨询师：我理解你的焦虑，"))
    stats = corpus_statistics([eight, nine, eight], ["情绪", "职场？", ""], words=5)
    assert stats.dialogues == 3
    assert stats.rounds == {8: 2, 9: 1}
    assert stats.topics["情绪"] == 1
    assert (stats.topics["other"], stats.topics["none"], stats.topics["家庭"]) == (1, 1, 0)
    assert len(stats.topics) == 14
    words = [word for word, _ in stats.psychologist_words]
    assert "焦虑" in words
    assert "说" not in words  # a user's word, not the psychologist's
    assert stats.psychologist_words == sorted(
        stats.psychologist_words, key=lambda pair: pair[1], reverse=True
    )
    with pytest.raises(ValueError, match="one topic"):
        corpus_statistics([eight], [])
