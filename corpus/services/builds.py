"""Corpus builds: single-turn counselling answers rewritten by a system into multi-turn
dialogues, checked, screened, deduplicated, reviewed, and written as a dataset.

A build stores its input records as pending rewrites when it is created, so a worker on
any host runs it without the file, and a run may stop anywhere: each batch of answers is
committed with its verdicts, and a later run (a redelivered task, a resume) asks only
for what is still pending. The dataset is written at the end of every run through the
dataset importer, which skips the dialogues it already has, so nothing is added twice.

Here: making, resuming, requeueing and cancelling a build; its run on a worker is in
corpus.services.runs, its publishing in corpus.services.publish.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from common.errors import ServiceError
from common.queueing import task_send_on_commit
from common.work import work_cancel, work_holder, work_is_stale, work_take_back
from corpus.models import CorpusBuild, CorpusRewrite
from corpus.rewrite_prompts import RewritePrompt, rewrite_prompt_get
from corpus.rewrites import (
    DEFAULT_MARKER_PATTERNS,
    DEFAULT_MARKER_WORDS,
    LineProblem,
    QARecord,
    RewriteRules,
    qa_records,
)
from generation.models import Dataset, System, name_validator
from generation.services.jobs import generation_job_queue

logger = logging.getLogger(__name__)

Status = CorpusBuild.Status
RewriteStatus = CorpusRewrite.Status
PROBLEMS_KEPT = 200
DEFAULT_MAX_NEW_TOKENS = 4096


class CorpusBuildError(ServiceError):
    """The request cannot be carried out; nothing was written."""


@dataclass(frozen=True)
class CorpusRequest:
    path: Path
    rewriter: System
    prompt: str  # a name of generation.rewrite_prompts.PROMPTS
    name: str = ""  # the build's and the dataset's; empty: FILE-PROMPT, made free
    limit: int | None = None  # the first N answers only
    test_ratio: float = 0.1
    rules: RewriteRules = field(default_factory=RewriteRules)
    # None: settings.SOULEVAL_CORPUS_MARKER_WORDS, or else the defaults.
    marker_words: Sequence[str] | None = None
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS


def _name_free(name: str) -> bool:
    return not (
        Dataset.objects.filter(name=name).exists() or CorpusBuild.objects.filter(name=name).exists()
    )


def corpus_build_name_default(path: Path, prompt: str) -> str:
    stem = re.sub(r"[^\w.\-]+", "-", path.stem).strip("-") or "corpus"
    base = f"{stem}-{prompt}"[:90]
    name, number = base, 1
    while not _name_free(name):
        number += 1
        name = f"{base}-{number}"
    return name


def _records_read(path: Path) -> tuple[list[QARecord], list[str]]:
    if not path.is_file():
        raise CorpusBuildError(f"{path}: no such file")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = path.read_bytes()[: error.start].count(b"\n") + 1
        raise CorpusBuildError(f"{path}: line {line} is not UTF-8 text") from None
    except OSError as error:
        raise CorpusBuildError(f"cannot read {path}: {error}") from None
    records, problems = [], []
    for item in qa_records(text.splitlines()):
        if isinstance(item, LineProblem):
            problems.append(f"line {item.line}: {item.message}")
        else:
            records.append(item)
    return records, problems


def _request_check(request: CorpusRequest) -> RewritePrompt:
    if request.rewriter.kind not in (System.Kind.OPENAI_API, System.Kind.HF_LOCAL):
        raise CorpusBuildError(
            f"system {request.rewriter.name} is of kind {request.rewriter.kind}: a rewriter "
            "must be an openai_api or hf_local system"
        )
    try:
        prompt = rewrite_prompt_get(request.prompt)
    except ValueError as error:
        raise CorpusBuildError(str(error)) from None
    rules = request.rules
    if rules.min_rounds < 1 or rules.max_rounds < rules.min_rounds:
        raise CorpusBuildError(
            f"rounds {rules.min_rounds}–{rules.max_rounds}: at least 1, and the maximum not "
            "below the minimum"
        )
    if rules.max_turn_chars < 1:
        raise CorpusBuildError("the longest turn allowed must be at least 1 character")
    if request.limit is not None and request.limit < 1:
        raise CorpusBuildError(f"--limit {request.limit}: at least 1")
    if request.max_new_tokens < 1:
        raise CorpusBuildError(f"max new tokens {request.max_new_tokens}: at least 1")
    if not 0.0 <= request.test_ratio <= 1.0:
        raise CorpusBuildError(f"test ratio {request.test_ratio} must be between 0 and 1")
    return prompt


def _marker_words(request: CorpusRequest) -> list[str]:
    if request.marker_words is not None:
        words = request.marker_words
    else:
        words = settings.SOULEVAL_CORPUS_MARKER_WORDS or DEFAULT_MARKER_WORDS
    return list(dict.fromkeys(word.strip() for word in words if word.strip()))


def corpus_build_create(*, request: CorpusRequest, enqueue: bool = True) -> CorpusBuild:
    """A build of the file's records, queued once the transaction commits. Lines that
    cannot be used are recorded on the build and skipped; a file that cannot be read, or
    has no usable record, writes nothing."""
    prompt = _request_check(request)
    name = request.name or corpus_build_name_default(request.path, prompt.name)
    try:
        name_validator(name)
    except ValidationError:
        raise CorpusBuildError(
            f"name {name!r}: use letters, digits, '.', '-' and '_' only"
        ) from None
    if CorpusBuild.objects.filter(name=name).exists():
        raise CorpusBuildError(
            f"a corpus build named {name!r} exists: resume it (build_corpus --resume {name}) "
            "or choose another name"
        )
    if Dataset.objects.filter(name=name).exists():
        raise CorpusBuildError(f"a dataset named {name!r} exists: choose another name")
    records, problems = _records_read(request.path)
    if request.limit is not None:
        records = records[: request.limit]
    if not records:
        first = "; ".join(problems[:3]) or "the file is empty"
        raise CorpusBuildError(f"{request.path}: no usable record ({first})")
    with transaction.atomic():
        build = CorpusBuild.objects.create(
            name=name,
            input_name=str(request.path),
            rewriter=request.rewriter,
            prompt=prompt.label,
            rules={
                "min_rounds": request.rules.min_rounds,
                "max_rounds": request.rules.max_rounds,
                "max_turn_chars": request.rules.max_turn_chars,
            },
            markers={"words": _marker_words(request), "patterns": DEFAULT_MARKER_PATTERNS},
            max_new_tokens=request.max_new_tokens,
            test_ratio=request.test_ratio,
            progress_total=len(records),
            input_problems=problems[:PROBLEMS_KEPT]
            + (
                [f"… and {len(problems) - PROBLEMS_KEPT} more"]
                if len(problems) > PROBLEMS_KEPT
                else []
            ),
            statistics={"input_records": len(records), "input_problems": len(problems)},
        )
        CorpusRewrite.objects.bulk_create(
            [
                CorpusRewrite(
                    build=build,
                    source_id=record.source_id,
                    input_line=record.line,
                    question=record.question,
                    description=record.description,
                    answer=record.answer,
                    topic=record.topic,
                )
                for record in records
            ],
            batch_size=2000,
        )
        if enqueue:
            _enqueue(build)
    return build


def _enqueue(build: CorpusBuild) -> None:
    from corpus.tasks import corpus_build_run_task

    queue = generation_job_queue(build.rewriter)
    task_send_on_commit(corpus_build_run_task, build.pk, queue=queue)


@transaction.atomic
def corpus_build_resume(*, build: CorpusBuild, rejected: bool = False) -> CorpusBuild:
    """Queue the build again for what is pending or got no answer (and, with `rejected`,
    for what the checks rejected: asked anew, since a sampled rewrite may pass next time).
    Rows already answered are never asked or counted twice."""
    build = CorpusBuild.objects.select_for_update().get(pk=build.pk)
    if build.status == Status.QUEUED:
        raise CorpusBuildError(f"build {build.name} is already queued")
    if build.status == Status.RUNNING and not work_is_stale(build):
        # A second run beside a live one would pay for the same records twice; one whose
        # run fell silent is taken back below (or by the sweep) and goes on.
        raise CorpusBuildError(
            f"build {build.name} is running ({work_holder(build)}); cancel it first to resume it"
        )
    again = [RewriteStatus.FAILED] + ([RewriteStatus.REJECTED] if rejected else [])
    build.rewrites.filter(status__in=again).update(
        status=RewriteStatus.PENDING, reason_code="", reason="", updated_at=timezone.now()
    )
    silent = build.status == Status.RUNNING
    if not silent and not build.rewrites.filter(status=RewriteStatus.PENDING).exists():
        raise CorpusBuildError(
            f"build {build.name} has nothing to ask again"
            + ("" if rejected else " (add --rejected to ask again for the rejected ones)")
        )
    if silent:
        # Its run may have stopped between the last answer and publishing: run it anyway.
        work_take_back(work=build)
    else:
        build.status, build.error, build.finished_at = Status.QUEUED, "", None
        build.save(update_fields=["status", "error", "finished_at", "updated_at"])
        _enqueue(build)
    build_progress_save(build)
    build.refresh_from_db()
    return build


def corpus_build_requeue(build: CorpusBuild) -> None:
    """What the stale-work sweep does with a build taken back from a silent run."""
    _enqueue(build)


def corpus_build_cancel(*, build: CorpusBuild) -> bool:
    """Stops a queued or running build after the batch in flight; what is stored stays."""
    return work_cancel(work=build)


def build_progress_save(build: CorpusBuild) -> None:
    build.progress_done = build.rewrites.exclude(status=RewriteStatus.PENDING).count()
    CorpusBuild.objects.filter(pk=build.pk).update(
        progress_done=build.progress_done, updated_at=timezone.now()
    )
