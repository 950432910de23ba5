"""Distinct-n and length on hand-made responses whose answers are known (no database)."""

from __future__ import annotations

import math

import pytest

from reports.diversity import answer_lengths, character_ngrams, distinct_n, distinct_n_estimate


def test_distinct_n_counts_character_ngrams_over_all_responses():
    texts = ["你好你好", " 好的 ", ""]
    assert character_ngrams(" 好的 ", 2) == ["好的"]
    # 1-grams: 你 好 你 好 好 的 → 3 distinct of 6; 2-grams: 你好 好你 你好 好的 → 3 of 4.
    assert distinct_n(texts, 1) == pytest.approx(50.0)
    assert distinct_n(texts, 2) == pytest.approx(75.0)


def test_no_ngram_at_all_is_undefined_not_zero():
    assert distinct_n(["", "  ", "好"], 2) is None
    assert distinct_n_estimate(["", "好"], 2) is None
    assert distinct_n([], 1) is None


def test_the_interval_is_the_jackknifes_and_holds_the_value_of_the_whole():
    texts = [f"我理解你的感受{n % 4}，慢慢来。" for n in range(40)]
    estimate = distinct_n_estimate(texts, 2)
    assert estimate.mean == pytest.approx(distinct_n(texts, 2))
    assert estimate.n == 40
    assert estimate.low <= estimate.mean <= estimate.high + 1e-9
    assert distinct_n_estimate(texts, 2) == estimate
    # The same text forty times: 2 distinct characters of 160, whichever is left out.
    same = distinct_n_estimate(["好的好的"] * 40, 1)
    assert (same.low, same.mean, same.high) == (1.25, 1.25, 1.25)


def test_the_jackknife_equals_leaving_each_answer_out_by_hand():
    texts = ["你好呀", "你好", "今天很累", "", "我很累很累", "谢谢你"]
    for n in (1, 2):
        whole = distinct_n(texts, n)
        left_out = [
            value
            for i in range(len(texts))
            if (value := distinct_n(texts[:i] + texts[i + 1 :], n)) is not None
        ]
        m = len(left_out)
        mean = sum(left_out) / m
        spread = math.sqrt((m - 1) / m * sum((value - mean) ** 2 for value in left_out))
        estimate = distinct_n_estimate(texts, n)
        assert estimate.low == pytest.approx(max(0.0, whole - 1.959963984540054 * spread))
        assert estimate.high == pytest.approx(min(100.0, whole + 1.959963984540054 * spread))


def test_a_varied_corpus_keeps_its_value_inside_the_interval():
    """Where a bootstrap fails: every answer different, so a resample that repeats
    answers has far fewer kinds per n-gram than the corpus."""
    texts = [f"第{n}位来访者说{n * 7}次" for n in range(30)]
    estimate = distinct_n_estimate(texts, 2)
    assert estimate.low <= estimate.mean <= estimate.high
    assert estimate.high <= 100.0


def test_one_answer_has_no_interval_rather_than_a_made_up_one():
    estimate = distinct_n_estimate(["我听到了你的难过"], 2)
    assert estimate.mean == 100.0
    assert math.isnan(estimate.low)
    assert math.isnan(estimate.high)


def test_the_length_column_counts_stripped_characters_and_empty_answers():
    assert answer_lengths(["  你好 ", "", "我听到了"]) == [2.0, 0.0, 4.0]
    assert answer_lengths([]) == []


def test_distinct_n_estimate_equals_a_leave_one_out_by_brute_force_beyond_the_packed_keys():
    # Distinct-3 over more texts than three packed code points leave bits for.
    texts = [f"我听到了{number % 7}你的难过" for number in range(3000)] + ["", "好"]
    estimate = distinct_n_estimate(texts, 3)
    assert estimate.mean == distinct_n(texts, 3)
    with pytest.raises(ValueError, match="n must be"):
        distinct_n_estimate(texts, 4)


def test_no_interval_is_said_as_such_in_every_format():
    import json

    from reports.exports import csv_lines
    from reports.formats import table_json, table_text
    from reports.selectors.export_rows import export_table
    from reports.selectors.table import Column, ResultRow, ResultsTable

    cell = distinct_n_estimate(["我听到了你的难过"], 2)
    table = ResultsTable(
        profile="soulchat",
        columns=[Column("distinct_2", "D-2", "diversity")],
        rows=[ResultRow(dataset="d", system="s", samples=1, empty=0, rated_items=0,
                        cells={"distinct_2": cell})],
        agreement=[],
        seed=0,
    )  # fmt: skip
    assert "100.00 [no CI] 1" in table_text(table)
    text = json.dumps(table_json(table), allow_nan=False)
    assert json.loads(text)["rows"][0]["cells"]["distinct_2"] == {
        "mean": 100.0,
        "ci95": None,
        "n": 1,
    }
    lines = "".join(csv_lines(export_table(table=table))).splitlines()
    assert "nan" not in lines[1].lower()


def test_kept_figures_follow_every_change_of_their_input():
    """The figure cache is keyed on the values themselves: a changed answer or score
    gives a new figure, never the kept one."""
    from django.core.cache import cache

    from reports.selectors.figure_cache import distinct_cells, means_estimated
    from reports.statistics import bootstrap_means

    cache.clear()
    texts = ["我听到了你的难过", "你愿意多说说吗", "好的"]
    first = distinct_cells(texts)
    assert distinct_cells(list(texts)) == first
    changed = distinct_cells([*texts[:2], "好的好的"])
    assert changed["distinct_1"] == distinct_n_estimate([*texts[:2], "好的好的"], 1)
    assert changed != first
    columns = {"a": [1.0, 2.0, 3.0], "b": [0.0, 1.0]}
    kept = means_estimated(columns, seed=0)
    assert means_estimated({"a": [1.0, 2.0, 3.0], "b": [0.0, 1.0]}, seed=0) == kept
    assert means_estimated({"a": [1.0, 2.0, 4.0], "b": [0.0, 1.0]}, seed=0)["a"].mean == 7 / 3
    spread = {"a": [float(value % 7) for value in range(40)]}
    assert means_estimated(spread, seed=1) == bootstrap_means(spread, seed=1)
    assert means_estimated(spread, seed=1) != means_estimated(spread, seed=2)
