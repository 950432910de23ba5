"""score_pairs and agreement: files in, figures out; bad files refused with the line."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from reports.metric_references import reference_scores
from tests.reports.test_agreement import FLEISS_TABLE


def test_score_pairs_writes_each_pair_and_a_summary(tmp_path):
    source = tmp_path / "pairs.jsonl"
    pairs = [
        {"id": "a", "hypothesis": "我理解你的难过。", "reference": "我能理解你很难过。"},
        {"id": 2, "hypothesis": "", "reference": "你好。"},
        {"id": "c", "hypothesis": "睡不好多久了？", "reference": "失眠多久了？"},
    ]
    source.write_text("\n".join(json.dumps(p, ensure_ascii=False) for p in pairs), "utf-8")
    output = tmp_path / "out.jsonl"
    call_command("score_pairs", str(source), "--output", str(output), "--workers", "1")
    lines = [json.loads(line) for line in output.read_text("utf-8").splitlines()]
    assert [line.get("id") for line in lines[:3]] == ["a", "2", "c"]
    expected = reference_scores(pairs[0]["hypothesis"], pairs[0]["reference"])
    assert abs(lines[0]["bleu_2"] - expected[1] * 100) < 1e-7
    assert lines[1]["empty"] is True
    assert lines[1]["rouge_l"] == 0
    summary = lines[3]["summary"]
    assert summary["n"] == 3
    assert summary["empty_hypotheses"] == 1
    low, high = summary["bleu_1"]["ci95"]
    assert low <= summary["bleu_1"]["mean"] <= high


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"id": 1, "hypothesis": "a"}', "line 1|:1: missing reference"),
        ("not json", ":1: not JSON"),
        ('{"id": 1, "hypothesis": 5, "reference": "b"}', "must be strings"),
        ('{"id": 1, "hypothesis": "a", "reference": "b"}\n' * 2, "appears twice"),
        ("", "holds no pairs"),
        (
            '{"id": 1, "hypothesis": "a", "reference": "b"}\n' + "[" * 100_000,
            ":2: JSON nested deeper than 64 levels",
        ),
    ],
)
def test_score_pairs_refuses_bad_files(tmp_path, content, message):
    source = tmp_path / "bad.jsonl"
    source.write_text(content, "utf-8")
    with pytest.raises(CommandError, match=message):
        call_command("score_pairs", str(source), "--output", str(tmp_path / "o.jsonl"))
    assert not (tmp_path / "o.jsonl").exists()


def _fleiss_csv(path):
    lines = ["item,rater,dimension,score"]
    for item, row in enumerate(FLEISS_TABLE):
        rater = 0
        for category, count in enumerate(row):
            for _ in range(count):
                lines.append(f"s{item},r{rater},x,{category}")
                rater += 1
    path.write_text("\n".join(lines), "utf-8")


def test_agreement_prints_the_textbook_kappa(tmp_path, capsys):
    source = tmp_path / "ratings.csv"
    _fleiss_csv(source)
    call_command("agreement", str(source), "--format", "json")
    data = json.loads(capsys.readouterr().out)
    assert round(data[0]["fleiss_kappa"]["value"], 4) == 0.2099
    assert data[0]["fleiss_kappa"]["band"] == "fair"
    call_command("agreement", str(source))
    assert "0.210" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("item,rater,score\n1,a,2", "header must name"),
        ("item,rater,dimension,score\n1,a,content,3", "content is scored 0–2; got 3"),
        ("item,rater,dimension,score\n1,a,content,x", "not a whole number"),
        ("item,rater,dimension,score\n1,a,content,1\n1,a,content,2", "twice"),
        ("item,rater,dimension,score\n", "no ratings"),
        (
            "item,rater,dimension,score\n1,a,mine,0\n1,b,mine,3000000",
            "mine is scored from 0 to 3000000; a scale of at most 101 points",
        ),
        (
            'item,rater,dimension,score\n1,a,content,1\n2,a,content,"' + "x" * 140_000 + '"',
            ":3: not readable CSV \\(field larger than field limit",
        ),
        ("item,rater,dimension,score\n1,a,content,²", "'²' is not a whole number"),
    ],
)
def test_agreement_refuses_bad_files(tmp_path, content, message):
    source = tmp_path / "bad.csv"
    source.write_text(content, "utf-8")
    with pytest.raises(CommandError, match=message):
        call_command("agreement", str(source))


def test_commands_refuse_bad_options(tmp_path):
    source = tmp_path / "pairs.jsonl"
    source.write_text('{"id": 1, "hypothesis": "a", "reference": "b"}', "utf-8")
    with pytest.raises(CommandError, match="--workers must be at least 1"):
        call_command("score_pairs", str(source), "--workers", "0")
    ratings = tmp_path / "ratings.csv"
    _fleiss_csv(ratings)
    with pytest.raises(CommandError, match="--resamples must be at least 100"):
        call_command("agreement", str(ratings), "--resamples", "50")
    with pytest.raises(CommandError, match="cannot read"):
        call_command("agreement", str(tmp_path / "missing.csv"))
