"""The readers on hand-written files: no database."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from generation.dataset_formats import (
    FormatError,
    Problem,
    SourceError,
    export_record,
    parse_role_map,
    read_file,
    source_files,
)
from generation.dialogues import PSYCHOLOGIST, USER, Dialogue, Turn


def dialogues(records) -> list[Dialogue]:
    return [record for record in records if isinstance(record, Dialogue)]


def problems(records) -> list[Problem]:
    return [record for record in records if isinstance(record, Problem)]


# --- soulchat text ----------------------------------------------------------------------


def test_soulchat_reads_turns_with_either_colon_and_continuation_lines(tmp_path: Path):
    path = tmp_path / "d.txt"
    path.write_text(
        "\n用户：最近总是睡不着。\n\n心理咨询师: 听起来你很疲惫。\n能说说发生了什么吗？\n\n"
        "用户：工作压力很大\n心理咨询师：嗯，我在听。\n\n",
        encoding="utf-8",
    )
    [dialogue] = list(read_file(path, "soulchat"))
    assert dialogue.source_id == "d"
    assert dialogue.turns == (
        Turn(USER, "最近总是睡不着。"),
        Turn(PSYCHOLOGIST, "听起来你很疲惫。\n能说说发生了什么吗？"),
        Turn(USER, "工作压力很大"),
        Turn(PSYCHOLOGIST, "嗯，我在听。"),
    )
    assert dialogue.location == f"{path}:2"


def test_soulchat_splits_dialogues_on_a_line_of_three_equals(tmp_path: Path):
    path = tmp_path / "many.txt"
    path.write_text(
        "用户：一\n心理咨询师：二\n===\n用户：三\n心理咨询师：四\n=== \n\n===\n", encoding="utf-8"
    )
    found = dialogues(read_file(path, "soulchat"))
    assert [d.source_id for d in found] == ["many#1", "many#2"]
    assert found[1].turns[1].content == "四"
    assert found[1].location == f"{path}:4"


def test_soulchat_line_with_an_unmapped_name_continues_the_turn(tmp_path: Path):
    path = tmp_path / "d.txt"
    path.write_text("用户：我想问\n来访者：这不是角色\n心理咨询师：好的", encoding="utf-8")
    [dialogue] = list(read_file(path, "soulchat"))
    assert dialogue.turns[0].content == "我想问\n来访者：这不是角色"


def test_soulchat_role_map_names_other_roles(tmp_path: Path):
    path = tmp_path / "d.txt"
    path.write_text("来访者：我很焦虑\n咨询师：我理解\n心理咨询师：x", encoding="utf-8")
    roles = parse_role_map("来访者=user,咨询师=psychologist")
    [dialogue] = list(read_file(path, "soulchat", roles))
    assert dialogue.turns == (Turn(USER, "我很焦虑"), Turn(PSYCHOLOGIST, "我理解\n心理咨询师：x"))


def test_soulchat_longest_role_name_wins(tmp_path: Path):
    path = tmp_path / "d.txt"
    path.write_text("用户：a\n心理咨询师：b", encoding="utf-8")
    roles = parse_role_map("用户=user,咨询师=user,心理咨询师=psychologist")
    [dialogue] = list(read_file(path, "soulchat", roles))
    assert dialogue.turns[1] == Turn(PSYCHOLOGIST, "b")


def test_soulchat_reports_text_before_the_first_turn_and_empty_turns(tmp_path: Path):
    path = tmp_path / "d.txt"
    path.write_text(
        "标题：不是对话\n用户：a\n心理咨询师：b\n===\n用户：\n心理咨询师：c\n===\n用户：好\n心理咨询师：好",
        encoding="utf-8",
    )
    records = list(read_file(path, "soulchat"))
    assert problems(records) == [
        Problem(f"{path}:1", "text before the first role line"),
        Problem(f"{path}:5", "empty 用户 turn"),
    ]
    assert [d.source_id for d in dialogues(records)] == ["d#3"]


def test_soulchat_file_that_is_not_utf8_is_unreadable(tmp_path: Path):
    path = tmp_path / "d.txt"
    path.write_bytes("用户：你好\n".encode("gbk"))
    with pytest.raises(SourceError, match="not UTF-8"):
        list(read_file(path, "soulchat"))


# --- smilechat JSON ---------------------------------------------------------------------


def smile_turns(*pairs):
    return [{"role": role, "content": content, "annotation": []} for role, content in pairs]


def test_smilechat_raw_file_is_one_dialogue_named_by_the_file(tmp_path: Path):
    path = tmp_path / "1031.json"
    path.write_text(
        json.dumps(smile_turns(("client", " 我 "), ("counselor", "你好")), ensure_ascii=False),
        encoding="utf-8",
    )
    [dialogue] = list(read_file(path, "smilechat"))
    assert dialogue.source_id == "1031"
    assert dialogue.turns == (Turn(USER, "我"), Turn(PSYCHOLOGIST, "你好"))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"role": "client"}', "expected a JSON list of turns, found an object"),
    ],
)
def test_smilechat_raw_file_that_cannot_be_parsed_is_unreadable(tmp_path, content, message):
    path = tmp_path / "7.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SourceError, match=message):
        list(read_file(path, "smilechat"))


def test_smilechat_lines_report_each_malformed_row_with_its_line(tmp_path: Path):
    good = {"id": "a", "dialogue": smile_turns(("client", "x"), ("counselor", "y"))}
    rows = [
        json.dumps(good),
        "",
        "{broken",
        json.dumps([1, 2]),
        json.dumps({"dialogue": good["dialogue"]}),
        json.dumps({"id": "b", "dialogue": "text"}),
        json.dumps({"id": "c", "dialogue": smile_turns(("client", "x"), ("therapist", "y"))}),
        json.dumps({"id": "d", "dialogue": smile_turns(("client", "x"), ("counselor", "  "))}),
        json.dumps({"id": True, "dialogue": good["dialogue"]}),
        json.dumps({"id": 5, "dialogue": [{"role": "client", "content": 3}]}),
        json.dumps({"id": 6, "dialogue": good["dialogue"], "topic": " 家庭 "}),
    ]
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    records = list(read_file(path, "smilechat"))
    assert [(p.location.rsplit(":", 1)[1], p.reason) for p in problems(records)] == [
        ("3", "not valid JSON (Expecting property name enclosed in double quotes at column 2)"),
        ("4", "expected a JSON object, found a list"),
        ("5", 'missing "id"'),
        ("6", '"dialogue" must be a list of turns'),
        ("7", "turn 2: unknown role 'therapist' (known: client, counselor)"),
        ("8", "turn 2: empty content"),
        ("9", '"id" must be a string or an integer'),
        ("10", 'turn 1: "content" must be a string'),
    ]
    found = dialogues(records)
    assert [(d.source_id, d.topic) for d in found] == [("a", ""), ("6", "家庭")]


def test_smilechat_gzip_lines_and_a_corrupt_gzip(tmp_path: Path):
    line = json.dumps({"id": "a", "dialogue": smile_turns(("client", "x"), ("counselor", "y"))})
    path = tmp_path / "set.jsonl.gz"
    path.write_bytes(gzip.compress((line + "\n").encode() * 50))
    read = []
    assert len(dialogues(read_file(path, "smilechat", progress=read.append))) == 50
    assert sum(read) == path.stat().st_size

    truncated = tmp_path / "cut.jsonl.gz"
    truncated.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(SourceError, match="cannot be decompressed"):
        list(read_file(truncated, "smilechat"))


def test_a_line_that_is_not_utf8_is_a_problem_not_a_failed_file(tmp_path: Path):
    path = tmp_path / "set.jsonl"
    good = json.dumps({"id": "a", "dialogue": smile_turns(("client", "x"), ("counselor", "y"))})
    path.write_bytes(good.encode() + b"\n" + "用户".encode("gbk") + b"\n")
    records = list(read_file(path, "smilechat"))
    assert problems(records) == [Problem(f"{path}:2", "line is not UTF-8 text")]


# --- chatml -----------------------------------------------------------------------------


def test_chatml_drops_system_messages_and_ids_lines_without_an_id(tmp_path: Path):
    rows = [
        {
            "messages": [
                {"role": "system", "content": "你是心理咨询师"},
                {"role": "user", "content": "u"},
                {"role": "assistant", "content": "a"},
            ]
        },
        {"id": "x", "topic": "职场", "messages": [{"role": "user", "content": "u2"}]},
        {"messages": [{"role": "tool", "content": "?"}]},
    ]
    path = tmp_path / "chat.jsonl"
    path.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in rows), "utf-8")
    records = list(read_file(path, "chatml"))
    first, second = dialogues(records)
    assert first.source_id == "chat:1"
    assert first.turns == (Turn(USER, "u"), Turn(PSYCHOLOGIST, "a"))
    assert (second.source_id, second.topic) == ("x", "职场")
    assert problems(records)[0].reason.startswith("turn 1: unknown role 'tool'")


# --- role maps, files, export -----------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("来访者", "is not NAME=ROLE"),
        ("来访者=client,咨询师=psychologist", "role must be one of"),
        ("a=user,a=psychologist", "names 'a' twice"),
        ("a=user,b=user", "at least one user role and one psychologist role"),
        ("a=user,,b=psychologist", "is not NAME=ROLE"),
    ],
)
def test_bad_role_maps_are_refused(spec, message):
    with pytest.raises(FormatError, match=message):
        parse_role_map(spec)


def test_source_files_takes_the_formats_files_in_natural_order(tmp_path: Path):
    for name in ("10.json", "2.json", "notes.md", ".hidden.json"):
        (tmp_path / name).write_text("[]")
    assert [p.name for p in source_files(tmp_path, "smilechat")] == ["2.json", "10.json"]
    with pytest.raises(FormatError, match="holds no soulchat files"):
        source_files(tmp_path, "soulchat")
    with pytest.raises(FormatError, match="does not exist"):
        source_files(tmp_path / "missing", "soulchat")
    with pytest.raises(FormatError, match="unknown format"):
        source_files(tmp_path, "csv")


def test_export_records_match_the_soulchat_sft_and_chatml_layouts():
    context = [Turn(USER, "u1"), Turn(PSYCHOLOGIST, "p1"), Turn(USER, "u2")]
    assert export_record("soulchat-sft", source_id="d#3", context=context, reference="p2") == {
        "input": "用户：u1\n心理咨询师：p1\n用户：u2\n心理咨询师：",
        "target": "p2",
    }
    assert export_record("chatml", source_id="d#3", context=context, reference="p2") == {
        "id": "d#3",
        "messages": [
            {"role": "user", "content": "u1"},
            {"role": "assistant", "content": "p1"},
            {"role": "user", "content": "u2"},
            {"role": "assistant", "content": "p2"},
        ],
    }
