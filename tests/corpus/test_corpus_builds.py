"""Corpus builds against a real OpenAI-compatible HTTP server run by the test on
127.0.0.1 (tests/support/rewriter.py), which answers prepared rewrites."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from corpus.models import CorpusBuild, CorpusRewrite
from corpus.rewrites import RewriteRules
from corpus.services import (
    CorpusBuildError,
    CorpusRequest,
    corpus_build_cost,
    corpus_build_create,
    corpus_build_resume,
    corpus_build_run,
    corpus_rewrite_review,
)
from generation.models import Dataset, Sample
from generation.services import system_save
from tests.support.factories import UserFactory
from tests.support.rewriter import qa_line, write_input
from tests.support.workers import silence

pytestmark = pytest.mark.django_db
Status = CorpusRewrite.Status


MIXED = [
    qa_line("q1", "good~1", topic="情绪"),
    qa_line("q2", "messy~2", topic="职场"),
    qa_line("q3", "long~3", topic="婚恋"),
    qa_line("q4", "short~4"),
    qa_line("q5", "refusal"),
    qa_line("q6", "crisis~6", topic="家庭"),
    qa_line("q7", "phone~7"),
    qa_line("q8", "copy"),
    qa_line("q9", "near"),
    qa_line("q10", "error"),
    qa_line("q11", "overlong~11"),
    "not json at all",
    '{"id": "q12", "answer": "没有问题"}',
]


def build_mixed(tmp_path, rewriter, **fields) -> CorpusBuild:
    request = CorpusRequest(
        path=write_input(tmp_path, MIXED), rewriter=rewriter, prompt="empathy", **fields
    )
    build = corpus_build_create(request=request, enqueue=False)
    return corpus_build_run(build_id=build.pk)


def statuses(build: CorpusBuild) -> dict[str, tuple[str, str]]:
    return {
        rewrite.source_id: (rewrite.status, rewrite.reason_code) for rewrite in build.rewrites.all()
    }


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


def test_a_reviewer_accepts_or_rejects_what_was_set_aside(tmp_path, server, rewriter):
    build = build_mixed(tmp_path, rewriter)
    reviewer = UserFactory(is_staff=True)
    before = Sample.objects.filter(dataset=build.dataset).count()

    crisis = corpus_rewrite_review(
        rewrite=build.rewrites.get(source_id="q6#1"), decision="accept", reviewer=reviewer,
        note="a figure of speech; kept",
    )  # fmt: skip
    assert (crisis.status, crisis.review, crisis.reviewed_by) == (Status.ACCEPTED, "accepted",
                                                                  reviewer)  # fmt: skip
    assert Sample.objects.filter(dataset=build.dataset).count() == before + 8
    phone = corpus_rewrite_review(
        rewrite=build.rewrites.get(source_id="q7#1"), decision="reject", reviewer=reviewer
    )
    assert (phone.status, phone.review) == (Status.DISCARDED, "rejected")
    assert not Sample.objects.filter(dataset=build.dataset, dialogue_id="q7#1").exists()

    # A second decision on the same dialogue (a double click, a second reviewer) is
    # refused and changes nothing.
    with pytest.raises(CorpusBuildError, match="not awaiting review: it is accepted"):
        corpus_rewrite_review(rewrite=crisis, decision="reject", reviewer=reviewer)
    with pytest.raises(CorpusBuildError, match="accept or reject"):
        corpus_rewrite_review(rewrite=crisis, decision="maybe", reviewer=reviewer)
    assert Sample.objects.filter(dataset=build.dataset).count() == before + 8
    build.refresh_from_db()
    assert build.statistics["review"] == {"waiting": 0, "accepted": 1, "rejected": 1}
    assert build.statistics["dialogues"] == 4


def test_a_reviewed_dialogue_that_duplicates_the_corpus_is_not_added(tmp_path, rewriter):
    lines = [qa_line("a", "crisis~6"), qa_line("b", "crisis~6")]
    request = CorpusRequest(path=write_input(tmp_path, lines), rewriter=rewriter, prompt="smile")
    build = corpus_build_run(build_id=corpus_build_create(request=request, enqueue=False).pk)
    reviewer = UserFactory(is_staff=True)
    first, second = build.rewrites.order_by("source_id")
    corpus_rewrite_review(rewrite=first, decision="accept", reviewer=reviewer)
    second = corpus_rewrite_review(rewrite=second, decision="accept", reviewer=reviewer)
    assert (second.status, second.duplicate_of) == (Status.DUPLICATE, first)
    assert set(Sample.objects.values_list("dialogue_id", flat=True)) == {"a#1"}


def test_an_interrupted_build_resumes_without_asking_or_storing_twice(tmp_path, server, rewriter):
    lines = [qa_line(f"q{n}", f"good~{n}") for n in range(1, 13)]
    request = CorpusRequest(path=write_input(tmp_path, lines), rewriter=rewriter, prompt="empathy")
    build = corpus_build_create(request=request, enqueue=False)
    seen = []

    def interrupt(done: int, total: int) -> None:
        seen.append(done)
        if done:  # the first window (concurrency 2 × 4) is stored, then the worker dies
            raise SystemExit("worker killed")

    with pytest.raises(SystemExit):
        corpus_build_run(build_id=build.pk, on_progress=interrupt)
    build.refresh_from_db()
    assert build.status == CorpusBuild.Status.RUNNING
    assert build.progress_done == 8
    assert not Dataset.objects.filter(name=build.name).exists()

    with pytest.raises(CorpusBuildError, match=r"is running .*cancel it first"):
        corpus_build_resume(build=build)
    # Delivered again while the run may still be alive, the task leaves the build alone.
    assert corpus_build_run(build_id=build.pk) is None
    assert sorted(server.asked.values()) == [1] * 8

    # Once the run has been silent past the threshold, the redelivered task goes on with
    # what is pending.
    silence(build)
    build = corpus_build_run(build_id=build.pk)
    assert build.status == CorpusBuild.Status.SUCCEEDED, build.error
    assert sorted(server.asked.values()) == [1] * 12
    assert build.calls == 12
    assert build.rewrites.filter(status=Status.ACCEPTED).count() == 12
    dialogues = Sample.objects.filter(dataset=build.dataset).values_list("dialogue_id", flat=True)
    assert len(dialogues) == 12 * 8
    assert len(set(dialogues)) == 12

    # Running a finished build again asks nothing and adds nothing.
    assert corpus_build_run(build_id=build.pk) is None
    assert Sample.objects.filter(dataset=build.dataset).count() == 96


def test_resume_asks_again_for_failed_records_and_on_request_rejected_ones(
    tmp_path, server, rewriter, django_capture_on_commit_callbacks
):
    server.fail_first["good~1"] = 1
    lines = [qa_line("q1", "good~1"), qa_line("q2", "short~2"), qa_line("q3", "good~3")]
    request = CorpusRequest(path=write_input(tmp_path, lines), rewriter=rewriter, prompt="empathy")
    build = corpus_build_run(build_id=corpus_build_create(request=request, enqueue=False).pk)
    assert build.status == CorpusBuild.Status.FAILED
    assert statuses(build)["q1#1"] == (Status.FAILED, "request")

    with django_capture_on_commit_callbacks(execute=True):
        build = corpus_build_resume(build=build)  # queued, and run at once (eager tasks)
    build.refresh_from_db()
    assert build.status == CorpusBuild.Status.SUCCEEDED, build.error
    assert statuses(build) == {"q1#1": (Status.ACCEPTED, ""), "q2#1": (Status.REJECTED,
                               "too_few_rounds"), "q3#1": (Status.ACCEPTED, "")}  # fmt: skip
    assert server.asked == {"good~1": 2, "short~2": 1, "good~3": 1}
    assert build.rewrites.get(source_id="q1#1").attempts == 2  # every call is counted

    with pytest.raises(CorpusBuildError, match=r"nothing to ask again.*--rejected"):
        corpus_build_resume(build=build)
    with django_capture_on_commit_callbacks(execute=True):
        corpus_build_resume(build=build, rejected=True)
    assert server.asked["short~2"] == 2
    assert build.rewrites.get(source_id="q2#1").attempts == 2
    assert Sample.objects.filter(dataset__name=build.name).count() == 16


def test_several_answers_to_a_question_are_rewritten_one_by_one(tmp_path, server, rewriter):
    lines = [qa_line("q1", "good~1", answers=3)]
    request = CorpusRequest(path=write_input(tmp_path, lines), rewriter=rewriter, prompt="empathy",
                            limit=2)  # fmt: skip
    build = corpus_build_run(build_id=corpus_build_create(request=request, enqueue=False).pk)
    assert sorted(statuses(build)) == ["q1#1", "q1#2"]
    assert "第1种建议" in server.requests[0]["messages"][-1]["content"] or (
        "第1种建议" in server.requests[1]["messages"][-1]["content"]
    )
    # The server answers a question the same whatever the answer: the second is a copy.
    assert build.statistics["duplicates"]["exact"] == 1


def test_the_rules_and_markers_of_a_build_are_its_own(tmp_path, server, rewriter):
    lines = [qa_line("q1", "good~1"), qa_line("q2", "short~2"), qa_line("q3", "crisis~3")]
    request = CorpusRequest(
        path=write_input(tmp_path, lines), rewriter=rewriter, prompt="smile",
        rules=RewriteRules(min_rounds=3, max_rounds=8, max_turn_chars=200),
        marker_words=["没用"],
    )  # fmt: skip
    build = corpus_build_run(build_id=corpus_build_create(request=request, enqueue=False).pk)
    assert build.rules == {"min_rounds": 3, "max_rounds": 8, "max_turn_chars": 200}
    assert build.markers["words"] == ["没用"]
    crisis = build.rewrites.get(source_id="q3#1")
    assert [hit["marker"] for hit in crisis.marker_hits] == ["没用"]
    assert statuses(build)["q2#1"] == (Status.ACCEPTED, "")
    assert server.requests[0]["messages"][0]["content"].startswith("请把下面的单轮问答")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"prompt": "poetry"}, "unknown rewrite prompt 'poetry'"),
        ({"limit": 0}, "--limit 0: at least 1"),
        ({"rules": RewriteRules(min_rounds=9, max_rounds=8)}, "rounds 9–8"),
        ({"name": "has space"}, "use letters, digits"),
        ({"name": "taken"}, "a dataset named 'taken' exists"),
        ({"path": Path("/nonexistent/qa.jsonl")}, "no such file"),
        ({"test_ratio": 1.5}, "test ratio 1.5"),
    ],
)
def test_bad_requests_are_refused_and_store_nothing(tmp_path, rewriter, change, message):
    from tests.support.factories import DatasetFactory

    DatasetFactory(name="taken")
    fields = {"path": write_input(tmp_path, [qa_line("q1", "good~1")]), "rewriter": rewriter,
              "prompt": "empathy", **change}  # fmt: skip
    with pytest.raises(CorpusBuildError, match=message):
        corpus_build_create(request=CorpusRequest(**fields), enqueue=False)
    assert not CorpusBuild.objects.exists()
    assert not CorpusRewrite.objects.exists()


def test_unreadable_or_empty_input_and_wrong_systems_are_refused(tmp_path, rewriter):
    from tests.support.factories import SystemFactory

    binary = tmp_path / "latin1.jsonl"
    binary.write_bytes(qa_line("q1", "good~1").encode() + b"\n\xff\xfe\n")
    empty = write_input(tmp_path, ["not json", ""])
    imported = SystemFactory(name="file", kind="imported", responses_file="x.jsonl")
    cases = [
        (CorpusRequest(path=binary, rewriter=rewriter, prompt="empathy"), "line 2 is not UTF-8"),
        (CorpusRequest(path=empty, rewriter=rewriter, prompt="empathy"),
         "no usable record \\(line 1: not a JSON object \\(Expecting value at column 1"),
        (CorpusRequest(path=empty, rewriter=imported, prompt="empathy"), "kind imported"),
    ]  # fmt: skip
    for request, message in cases:
        with pytest.raises(CorpusBuildError, match=message):
            corpus_build_create(request=request, enqueue=False)
    assert not CorpusBuild.objects.exists()


def test_a_second_build_of_the_same_name_is_refused(tmp_path, rewriter):
    request = CorpusRequest(path=write_input(tmp_path, [qa_line("q1", "good~1")]),
                            rewriter=rewriter, prompt="empathy", name="mine")  # fmt: skip
    corpus_build_create(request=request, enqueue=False)
    with pytest.raises(CorpusBuildError, match="resume it \\(build_corpus --resume mine\\)"):
        corpus_build_create(request=request, enqueue=False)
    default = CorpusRequest(path=request.path, rewriter=rewriter, prompt="empathy")
    assert corpus_build_create(request=default, enqueue=False).name == "psyqa-empathy"
    assert corpus_build_create(request=default, enqueue=False).name == "psyqa-empathy-2"


def test_an_unreachable_rewriter_fails_every_record_with_the_reason(tmp_path, rewriter):
    rewriter.endpoint = "http://127.0.0.1:9/v1"
    rewriter.save()
    request = CorpusRequest(path=write_input(tmp_path, [qa_line("q1", "good~1")]),
                            rewriter=rewriter, prompt="empathy")  # fmt: skip
    build = corpus_build_run(build_id=corpus_build_create(request=request, enqueue=False).pk)
    assert build.status == CorpusBuild.Status.FAILED
    assert "cannot reach http://127.0.0.1:9/v1" in build.error
    assert build.dataset is None


def test_a_build_made_with_another_prompt_version_is_not_mixed(tmp_path, rewriter):
    request = CorpusRequest(path=write_input(tmp_path, [qa_line("q1", "good~1")]),
                            rewriter=rewriter, prompt="empathy")  # fmt: skip
    build = corpus_build_create(request=request, enqueue=False)
    CorpusBuild.objects.filter(pk=build.pk).update(prompt="empathy@0")
    build = corpus_build_run(build_id=build.pk)
    assert build.status == CorpusBuild.Status.FAILED
    assert "made with prompt empathy@0, and this version of SoulEval has empathy@1" in build.error
    assert build.rewrites.get().status == Status.PENDING


def test_a_local_model_rewrites_through_the_same_build(tmp_path, tiny_model):
    """The hf_local path on the CPU: the tiny model writes no dialogue, and says so."""
    local = system_save(
        name="tiny", fields={"kind": "hf_local", "checkpoint": str(tiny_model), "device": "cpu",
                             "decoding": {"do_sample": False}},
    )  # fmt: skip
    request = CorpusRequest(path=write_input(tmp_path, [qa_line("q1", "good~1")]),
                            rewriter=local, prompt="empathy", max_new_tokens=12)  # fmt: skip
    build = corpus_build_run(build_id=corpus_build_create(request=request, enqueue=False).pk)
    rewrite = build.rewrites.get()
    assert rewrite.status in (Status.REJECTED, Status.ACCEPTED)
    assert rewrite.completion_tokens <= 12
    assert rewrite.prompt_tokens > 100
    assert build.status == CorpusBuild.Status.SUCCEEDED
