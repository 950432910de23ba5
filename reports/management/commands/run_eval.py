from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.urls import reverse
from tqdm import tqdm

from common.commands import ServiceCommand
from generation.selectors import (
    dataset_get,
    generation_jobs_unfinished,
    system_get,
)
from generation.services import REFERENCE_SYSTEM_NAME
from reports.formats import table_text
from reports.models import EvalRun
from reports.selectors.results import results_table
from reports.selectors.runs import run_get, run_progress
from reports.services import RunRequest, eval_run_start

POLL_SECONDS = 1.0


def dashboard_url(run: EvalRun) -> str:
    return settings.SOULEVAL_SITE_URL + reverse("admin:reports_evalrun_dashboard", args=[run.pk])


class Command(ServiceCommand):
    help = (
        "Evaluate systems on datasets: draw --auto test samples per dataset (seeded), have "
        "every system answer them (reusing stored responses), score them automatically and "
        "open a blind study of every system's answer to --human of them. The same command "
        "again resumes the same run. Prints the run's dashboard URL."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dataset", action="append", required=True, help="repeatable")
        parser.add_argument("--systems", required=True, help="comma-separated system names")
        parser.add_argument("--auto", type=int, default=10000, help="samples per dataset")
        parser.add_argument("--human", type=int, default=100, help="rated samples per dataset")
        parser.add_argument("--raters", type=int, default=3, help="raters per item")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--with-reference",
            action="store_true",
            help=f"one more blind system, {REFERENCE_SYSTEM_NAME}: each sample's own "
            "counsellor reply, rated like any answer (the human ceiling; no automatic scores)",
        )
        parser.add_argument(
            "--judge", action="append", default=[], metavar="SYSTEM",
            help="an LLM judge (openai_api or hf_local) that scores every response on the "
            "CEHS rubric once generation is done; repeatable",
        )  # fmt: skip
        parser.add_argument(
            "--pairwise", action="store_true",
            help="the human sample as a blind pairwise study too (two systems' answers to "
            "one context side by side, which is better); on a run that exists, adds it",
        )  # fmt: skip
        parser.add_argument(
            "--pairs-per-sample", type=int, default=1,
            help="with --pairwise: different pairs of systems per sample (default 1)",
        )  # fmt: skip
        parser.add_argument(
            "--wait", action="store_true", help="follow generation and scoring, then print"
        )

    def handle(self, *args, **options) -> str:
        names = [name.strip() for name in options["systems"].split(",") if name.strip()]
        datasets = [dataset_get(name=name) for name in options["dataset"]]
        systems = [system_get(name=name) for name in names]
        request = RunRequest(
            datasets=datasets,
            systems=systems,
            auto_samples=options["auto"],
            human_samples=options["human"],
            raters_per_item=options["raters"],
            seed=options["seed"],
            with_reference=options["with_reference"],
            judges=tuple(system_get(name=name) for name in options["judge"]),
            pairs_per_sample=options["pairs_per_sample"] if options["pairwise"] else 0,
        )
        run, created = eval_run_start(request=request)
        self.stderr.write(
            f"run {run.pk} {'created' if created else 'resumed'}: "
            f"{run.systems.count()} systems × {len(datasets)} datasets × {run.auto_samples} samples"
        )
        if not created:
            for line in generation_jobs_unfinished(
                job_ids=list(run.generation_jobs.values_list("pk", flat=True))
            ):
                self.stderr.write(line)
        url = dashboard_url(run)
        if options["wait"]:
            self._follow(run)
            run = run_get(run_id=run.pk)
            table = results_table(run=run, with_agreement=False)
            self.stdout.write(table_text(table, human=False))
            if run.status == EvalRun.Status.FAILED:
                raise CommandError(f"run {run.pk} failed: {run.error}\ndashboard: {url}")
        return f"dashboard: {url}"

    def _follow(self, run: EvalRun) -> None:
        progress = run_progress(run=run)
        bars = {
            "generation": tqdm(
                total=progress.expected, desc="generation", unit="resp", disable=None
            ),
            "scoring": tqdm(total=progress.to_score, desc="scoring", unit="resp", disable=None),
        }
        try:
            while True:
                run.refresh_from_db()
                progress = run_progress(run=run)
                bars["generation"].update(progress.answered - bars["generation"].n)
                bars["scoring"].update(progress.scored - bars["scoring"].n)
                if progress.settled:
                    break
                time.sleep(POLL_SECONDS)
        finally:
            for bar in bars.values():
                bar.close()
        if run.study is not None:
            self.stderr.write(f"study {run.study.name} is open for rating")
        if run.pair_study is not None:
            self.stderr.write(f"pairwise study {run.pair_study.name} is open for voting")
