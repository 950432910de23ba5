"""A corpus build of a file whose every record meets a different fate: what became of
each, the dataset, what the rewriter was asked, the cost and the statistics."""

from __future__ import annotations

from decimal import Decimal

import pytest

from corpus.models import CorpusBuild, CorpusRewrite
from corpus.services import corpus_build_cost
from generation.models import Dataset, Sample
from tests.support.corpus_builds import build_mixed, statuses

pytestmark = pytest.mark.django_db
Status = CorpusRewrite.Status


def test_every_record_of_a_file_of_answers_is_accepted_or_its_rejection_explained(
    tmp_path, server, rewriter
):
    build = build_mixed(tmp_path, rewriter)
    assert statuses(build) == {
        "q1#1": (Status.ACCEPTED, ""),
        "q2#1": (Status.ACCEPTED, ""),
        "q3#1": (Status.ACCEPTED, ""),
        "q4#1": (Status.REJECTED, "too_few_rounds"),
        "q5#1": (Status.REJECTED, "no_dialogue"),
        "q6#1": (Status.QUARANTINED, "markers"),
        "q7#1": (Status.QUARANTINED, "markers"),
        "q8#1": (Status.DUPLICATE, "exact_duplicate"),
        "q9#1": (Status.DUPLICATE, "near_duplicate"),
        "q10#1": (Status.FAILED, "request"),
        "q11#1": (Status.REJECTED, "too_many_rounds"),
    }


def test_a_build_with_an_unanswered_record_fails_saying_how_to_resume(tmp_path, server, rewriter):
    build = build_mixed(tmp_path, rewriter)
    assert build.status == CorpusBuild.Status.FAILED  # one record got no answer
    assert "1 of 11 records got no answer" in build.error
    assert "HTTP 500" in build.error
    assert "--resume" in build.error


def test_unreadable_input_lines_are_named_by_line(tmp_path, server, rewriter):
    build = build_mixed(tmp_path, rewriter)
    assert build.input_problems[0].startswith("line 12: ")
    assert build.input_problems[1] == 'line 13: "question" is missing'


def test_a_rejected_rewrite_keeps_its_reason_output_prompt_and_attempts(tmp_path, server, rewriter):
    build = build_mixed(tmp_path, rewriter)
    rewrite = build.rewrites.get(source_id="q4#1")
    assert rewrite.reason == "3 rounds (at least 8)"
    assert rewrite.raw_output.startswith("用户：最近总是睡不着")
    assert rewrite.prompt == "empathy@1"
    assert rewrite.attempts == 1


def test_quarantined_rewrites_name_their_markers(tmp_path, server, rewriter):
    build = build_mixed(tmp_path, rewriter)
    crisis = build.rewrites.get(source_id="q6#1")
    assert {hit["marker"] for hit in crisis.marker_hits} == {"跳楼", "我是"}
    assert crisis.reason in ("contains 跳楼, 我是", "contains 我是, 跳楼")
    phone = build.rewrites.get(source_id="q7#1")
    assert [hit["marker"] for hit in phone.marker_hits] == ["phone number"]


def test_an_exact_duplicate_points_at_the_dialogue_it_repeats(tmp_path, server, rewriter):
    build = build_mixed(tmp_path, rewriter)
    copy = build.rewrites.get(source_id="q8#1")
    assert copy.duplicate_of.source_id == "q1#1"
    assert not copy.near_duplicate


def test_the_accepted_dialogues_and_only_they_become_the_dataset(tmp_path, server, rewriter):
    build = build_mixed(tmp_path, rewriter)
    # A sample per psychologist turn (8 + 9 + 20), split by dialogue.
    dataset = Dataset.objects.get(name=build.name)
    assert build.dataset == dataset
    assert dataset.source_format == Dataset.SourceFormat.CORPUS_BUILDER
    samples = Sample.objects.filter(dataset=dataset)
    assert samples.count() == 37
    assert set(samples.values_list("dialogue_id", flat=True)) == {"q1#1", "q2#1", "q3#1"}
    assert samples.get(source_id="q2#1#1").reference.startswith("听起来这段时间你真的很辛苦")
    assert samples.get(source_id="q2#1#1").context[0]["content"].startswith("最近总是睡不着")
    assert set(samples.values_list("topic", flat=True)) == {"情绪", "职场", "婚恋"}


def test_the_rewriter_is_asked_with_the_papers_constraints_and_room_for_a_dialogue(
    tmp_path, server, rewriter
):
    build_mixed(tmp_path, rewriter)
    request = server.requests[0]
    assert request["model"] == "rewriter-model"
    assert request["max_tokens"] == 4096
    assert request["messages"][0]["role"] == "system"
    assert "倾听" in request["messages"][1]["content"]
    assert "工作压力很大。" in request["messages"][1]["content"]


def test_a_build_counts_its_calls_and_tokens_and_prices_them(tmp_path, server, rewriter):
    build = build_mixed(tmp_path, rewriter)
    assert (build.calls, build.prompt_tokens) == (11, 10_000)  # the 500 reports no usage
    cost = corpus_build_cost(build)
    expected = (Decimal(10_000) * Decimal("0.5") + build.completion_tokens * Decimal("1.5")) / (
        10**6
    )
    assert cost.spent == expected.quantize(Decimal("0.0001"))
    assert cost.currency == "USD"


def test_a_builds_statistics_count_every_outcome(tmp_path, server, rewriter):
    build = build_mixed(tmp_path, rewriter)
    stats = build.statistics
    assert stats["input_records"] == 11
    assert stats["input_problems"] == 2
    assert stats["rejected_by_reason"] == {
        "too_few_rounds": 1, "no_dialogue": 1, "too_many_rounds": 1,
    }  # fmt: skip
    assert stats["review"] == {"waiting": 2, "accepted": 0, "rejected": 0}
    assert stats["duplicates"] == {"exact": 1, "near": 1}
    assert stats["rounds"] == {"8": 1, "9": 1, "20": 1}
    assert stats["topics"]["情绪"] == 1
    assert stats["topics"]["职场"] == 1
    assert stats["dialogues"] == 3
    assert stats["psychologist_words"]
