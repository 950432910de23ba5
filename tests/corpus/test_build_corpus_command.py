"""build_corpus as a user types it, and a build run by a real Celery worker."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from corpus.models import CorpusBuild
from corpus.services import CorpusRequest, corpus_build_create
from generation.models import Sample
from tests.support.rewriter import qa_line, write_input
from tests.support.workers import wait_for

pytestmark = pytest.mark.django_db


def command(*args) -> str:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return err.getvalue() + out.getvalue()


def build_mine(tmp_path) -> str:
    path = write_input(tmp_path, [qa_line("q1", "good~1"), qa_line("q2", "short~2"),
                                  qa_line("q3", "crisis~3"), "{"])  # fmt: skip
    return command("build_corpus", str(path), "--rewriter", "rewriter", "--prompt", "empathy",
                   "--name", "mine")  # fmt: skip


# Real commits, as when a user runs the command: the queued (eager) task runs at once.
@pytest.mark.django_db(transaction=True)
def test_a_build_runs_and_reports_what_became_of_every_record(tmp_path, server, rewriter):
    output = build_mine(tmp_path)
    assert "build mine: 3 answers to rewrite with rewriter and prompt empathy@1" in output
    assert "1 input lines skipped" in output
    assert "line 4: not a JSON object" in output
    assert "build mine: succeeded" in output
    assert "accepted      1" in output
    assert "rejected      1 (too_few_rounds 1)" in output
    assert "for review    1 waiting, 0 accepted, 0 rejected" in output
    assert "cost          0.0" in output
    assert "dataset       mine (1 dialogues)" in output
    build = CorpusBuild.objects.get(name="mine")
    assert f"/admin/corpus/corpusbuild/{build.pk}/statistics/" in output
    assert f"/admin/corpus/corpusbuild/{build.pk}/review/" in output
    assert Sample.objects.filter(dataset__name="mine").count() == 8


@pytest.mark.django_db(transaction=True)
def test_resuming_asks_again_for_a_rejected_record_only_when_told_to(tmp_path, server, rewriter):
    build_mine(tmp_path)
    with pytest.raises(CommandError, match="nothing to ask again"):
        command("build_corpus", "--resume", "mine")
    output = command("build_corpus", "--resume", "mine", "--rejected")
    assert server.asked["short~2"] == 2
    assert "build mine: succeeded" in output


@pytest.mark.django_db(transaction=True)
def test_a_failing_build_ends_the_command_with_its_reason(tmp_path, server, rewriter):
    path = write_input(tmp_path, [qa_line("q1", "error")])
    with pytest.raises(CommandError, match=r"1 of 1 records got no answer.*HTTP 500"):
        command("build_corpus", str(path), "--rewriter", "rewriter", "--prompt", "smile")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give FILE, --rewriter, --prompt \\(or --resume NAME\\)"),
        (["FILE", "--prompt", "empathy"], "give --rewriter"),
        (["FILE", "--rewriter", "nobody", "--prompt", "empathy"],
         "no system named 'nobody' \\(known: rewriter\\)"),
        (["FILE", "--rewriter", "rewriter", "--prompt", "empathy", "--min-rounds", "0"],
         "rounds 0–20"),
        (["FILE", "--rewriter", "rewriter", "--prompt", "empathy", "--max-turn-chars", "0"],
         "longest turn"),
        (["--resume", "nothing"], "no corpus build named 'nothing'"),
        (["FILE", "--resume", "x"], "takes no FILE"),
    ],
)  # fmt: skip
def test_bad_commands_are_refused_with_a_clear_message(tmp_path, rewriter, args, message):
    path = write_input(tmp_path, [qa_line("q1", "good~1")])
    args = [str(path) if arg == "FILE" else arg for arg in args]
    with pytest.raises(CommandError, match=message):
        command("build_corpus", *args)
    assert not CorpusBuild.objects.exists()


def test_a_bad_price_is_refused_by_add_system():
    with pytest.raises(CommandError, match="'-1' is not a price"):
        command("add_system", "x", "--kind", "openai_api", "--endpoint", "http://h/v1",
                "--model", "m", "--input-price", "-1")  # fmt: skip
    with pytest.raises(CommandError, match="'abc' is not a price"):
        command("add_system", "x", "--kind", "openai_api", "--endpoint", "http://h/v1",
                "--model", "m", "--output-price", "abc")  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_build_from_the_default_queue(tmp_path, server, rewriter, worker):
    lines = [qa_line(f"q{n}", f"good~{n}") for n in range(1, 6)] + [qa_line("q6", "refusal")]
    request = CorpusRequest(path=write_input(tmp_path, lines), rewriter=rewriter, prompt="empathy")
    build = corpus_build_create(request=request)  # queued on `default` (an API rewriter)

    def finished() -> bool:
        build.refresh_from_db()
        return build.status not in (CorpusBuild.Status.QUEUED, CorpusBuild.Status.RUNNING)

    wait_for(finished, worker)
    assert build.status == CorpusBuild.Status.SUCCEEDED, build.error
    assert build.progress_done == 6
    assert build.statistics["status"]["accepted"] == 5
    assert build.statistics["rejected_by_reason"] == {"no_dialogue": 1}
    assert Sample.objects.filter(dataset__name=build.name).count() == 40
    assert sorted(server.asked.values()) == [1] * 6
    assert "corpus.tasks.corpus_build_run" in worker.log_text()
