from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.urls import reverse
from tqdm import tqdm

from common.commands import ServiceCommand
from corpus.models import CorpusBuild
from corpus.rewrite_prompts import PROMPTS
from corpus.rewrites import DEFAULT_MAX_TURN_CHARS, MAX_ROUNDS, MIN_ROUNDS, RewriteRules
from corpus.services import (
    DEFAULT_MAX_NEW_TOKENS,
    CorpusRequest,
    corpus_build_cost,
    corpus_build_create,
    corpus_build_resume,
)
from generation.models import System

POLL_SECONDS = 2.0
FINISHED = {CorpusBuild.Status.SUCCEEDED, CorpusBuild.Status.FAILED, CorpusBuild.Status.CANCELLED}


class Command(ServiceCommand):
    help = (
        "Rewrite single-turn counselling Q&A (JSON lines {id, question, description?, answer "
        "| answers, topic?}) into multi-turn dialogues with a system, check and screen them, "
        "and write the accepted ones as a dataset of the build's name. "
        "--resume NAME goes on with a build that stopped or failed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", type=Path, help="JSON-lines file of Q&A")
        parser.add_argument("--rewriter", help="an openai_api or hf_local system")
        parser.add_argument("--prompt", choices=sorted(PROMPTS), help="rewrite prompt")
        parser.add_argument("--name", default="", help="build and dataset name (FILE-PROMPT)")
        parser.add_argument("--limit", type=int, help="rewrite only the first N answers")
        parser.add_argument("--test-ratio", type=float, default=0.1)
        parser.add_argument("--min-rounds", type=int, default=MIN_ROUNDS)
        parser.add_argument("--max-rounds", type=int, default=MAX_ROUNDS)
        parser.add_argument(
            "--max-turn-chars", type=int, default=DEFAULT_MAX_TURN_CHARS, help="longest turn"
        )
        parser.add_argument(
            "--marker-words",
            help="comma-separated crisis/privacy words sending a dialogue to review "
            "(default: SOULEVAL_CORPUS_MARKER_WORDS or 我是,自杀,跳楼,…)",
        )
        parser.add_argument("--max-new-tokens", type=int, default=DEFAULT_MAX_NEW_TOKENS)
        parser.add_argument("--resume", metavar="NAME", help="go on with this build")
        parser.add_argument(
            "--rejected", action="store_true", help="with --resume: ask again for rejected ones"
        )
        parser.add_argument("--wait", action="store_true", help="follow the build to its end")

    def handle(self, *args, **options) -> str:
        build = self._resume(options) if options["resume"] else self._create(options)
        if options["wait"]:
            self._follow(build)
        build.refresh_from_db()
        self._summary(build)
        if build.status == CorpusBuild.Status.FAILED:
            raise CommandError(f"build {build.name} failed: {build.error}")
        return ""

    def _resume(self, options) -> CorpusBuild:
        if options["file"] is not None:
            raise CommandError("--resume NAME takes no FILE: the build has its records")
        build = CorpusBuild.objects.filter(name=options["resume"]).first()
        if build is None:
            raise CommandError(f"no corpus build named {options['resume']!r}")
        return corpus_build_resume(build=build, rejected=options["rejected"])

    def _create(self, options) -> CorpusBuild:
        missing = [
            flag
            for flag, value in (
                ("FILE", options["file"]),
                ("--rewriter", options["rewriter"]),
                ("--prompt", options["prompt"]),
            )
            if not value
        ]
        if missing:
            raise CommandError(f"give {', '.join(missing)} (or --resume NAME)")
        rewriter = System.objects.filter(name=options["rewriter"]).first()
        if rewriter is None:
            known = ", ".join(System.objects.values_list("name", flat=True)) or "none yet"
            raise CommandError(f"no system named {options['rewriter']!r} (known: {known})")
        words = options["marker_words"]
        request = CorpusRequest(
            path=options["file"],
            rewriter=rewriter,
            prompt=options["prompt"],
            name=options["name"],
            limit=options["limit"],
            test_ratio=options["test_ratio"],
            rules=RewriteRules(
                min_rounds=options["min_rounds"],
                max_rounds=options["max_rounds"],
                max_turn_chars=options["max_turn_chars"],
            ),
            marker_words=None if words is None else words.split(","),
            max_new_tokens=options["max_new_tokens"],
        )
        build = corpus_build_create(request=request)
        problems = build.input_problems
        self.stderr.write(
            f"build {build.name}: {build.progress_total} answers to rewrite with "
            f"{rewriter.name} and prompt {build.prompt}"
            + (f"; {build.statistics['input_problems']} input lines skipped" if problems else "")
        )
        for problem in problems[:10]:
            self.stderr.write(f"  {problem}")
        return build

    def _follow(self, build: CorpusBuild) -> None:
        bar = tqdm(total=build.progress_total, desc="rewriting", unit="rec", disable=None)
        try:
            while True:
                build.refresh_from_db()
                bar.update(build.progress_done - bar.n)
                if build.status in FINISHED:
                    break
                time.sleep(POLL_SECONDS)
        finally:
            bar.close()

    def _summary(self, build: CorpusBuild) -> None:
        url = settings.SOULEVAL_SITE_URL
        write = self.stdout.write
        if build.status not in FINISHED:
            write(
                f"build {build.name} is {build.status}; follow it at "
                f"{url}{reverse('admin:corpus_corpusbuild_change', args=[build.pk])}"
            )
            return
        stats = build.statistics
        status = stats.get("status", {})
        write(f"build {build.name}: {build.status}")
        write(f"  records       {stats.get('rewrites', 0)}")
        write(f"  accepted      {status.get('accepted', 0)}")
        rejected = sorted(stats.get("rejected_by_reason", {}).items(), key=lambda item: -item[1])
        detail = ", ".join(f"{code} {count}" for code, count in rejected)
        write(f"  rejected      {status.get('rejected', 0)}" + (f" ({detail})" if detail else ""))
        write(f"  no answer     {status.get('failed', 0)}")
        review = stats.get("review", {})
        write(
            f"  for review    {review.get('waiting', 0)} waiting, {review.get('accepted', 0)} "
            f"accepted, {review.get('rejected', 0)} rejected"
        )
        duplicates = stats.get("duplicates", {})
        write(
            f"  duplicates    {duplicates.get('exact', 0)} exact, {duplicates.get('near', 0)} near"
        )
        write(f"  tokens        {build.prompt_tokens} in, {build.completion_tokens} out")
        cost = corpus_build_cost(build)
        if cost is not None:
            write(f"  cost          {cost.spent} {cost.currency}")
        if build.dataset is not None:
            write(f"  dataset       {build.dataset.name} ({stats.get('dialogues', 0)} dialogues)")
        for page in ("statistics", "review"):
            if page == "statistics" or review.get("waiting"):
                link = reverse(f"admin:corpus_corpusbuild_{page}", args=[build.pk])
                write(f"{page}: {url}{link}")
