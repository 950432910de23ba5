"""Corpus builds against a real OpenAI-compatible HTTP server run by the test on
127.0.0.1 (tests/support/rewriter.py), which answers prepared rewrites."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus.models import CorpusBuild, CorpusRewrite
from corpus.rewrites import RewriteRules
from corpus.services import (
    CorpusBuildError,
    CorpusRequest,
    corpus_build_create,
    corpus_build_resume,
    corpus_build_run,
    corpus_rewrite_review,
)
from generation.models import Dataset, Sample
from generation.services import system_save
from tests.support.corpus_builds import build_mixed, statuses
from tests.support.factories import UserFactory
from tests.support.rewriter import qa_line, write_input
from tests.support.workers import silence

pytestmark = pytest.mark.django_db
Status = CorpusRewrite.Status


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
