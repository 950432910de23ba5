"""A file of answers whose every record meets a different fate in a corpus build (the
fake rewriter of tests/support/rewriter.py answers each by its text), and the build of it."""

from __future__ import annotations

from corpus.models import CorpusBuild
from corpus.services import CorpusRequest, corpus_build_create, corpus_build_run
from tests.support.rewriter import qa_line, write_input

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
