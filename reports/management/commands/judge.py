from __future__ import annotations

from django.core.management.base import CommandParser

from common.commands import ServiceCommand
from judging.services import judge_run_cost, judge_run_resume
from reports.judge_formats import validation_lines
from reports.pairwise_formats import pair_judge_lines
from reports.selectors.judging import run_judge_run_get, run_judge_validation, verdict_counts
from reports.selectors.pairwise_results import study_pairwise_results
from reports.selectors.runs import run_get
from reports.services.judging import run_judge_start, run_pair_judge_start


class Command(ServiceCommand):
    help = (
        "Judge an evaluation run's responses with an LLM system on the CEHS rubric "
        "(openai_api or hf_local; it never sees which system answered), then print how far "
        "the judge agrees with the run's experts. What the judge already gave under this "
        "prompt version is not asked again; --resume asks again what got no answer. "
        "--pairwise compares the pairs of the run's pairwise study, each in both orders."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("run", type=int)
        parser.add_argument("--judge", required=True, help="the judging system's name")
        parser.add_argument("--limit", type=int, help="only the first N samples of the run")
        parser.add_argument("--passes", type=int, default=1, choices=[1, 2],
                            help="2: each response judged twice, for self-consistency")  # fmt: skip
        parser.add_argument("--pairwise", action="store_true",
                            help="compare the pairs of the run's pairwise study instead, each "
                            "asked in both orders")  # fmt: skip
        parser.add_argument("--resume", type=int, metavar="JUDGE_RUN",
                            help="ask again what this judge run got no answer for")  # fmt: skip

    def handle(self, *args, **options) -> None:
        run = run_get(run_id=options["run"])
        if options["resume"] is not None:
            judge_run = judge_run_resume(
                run=run_judge_run_get(run=run, judge_run_id=options["resume"])
            )
        elif options["pairwise"]:
            judge_run = run_pair_judge_start(run=run, judge_name=options["judge"])
        else:
            judge_run = run_judge_start(
                run=run, judge_name=options["judge"], limit=options["limit"],
                passes=options["passes"],
            )  # fmt: skip
        judge_run.refresh_from_db()
        counts = verdict_counts(judge_run=judge_run)
        self.stdout.write(
            f"judge run {judge_run.pk} ({judge_run.judge.name}): {judge_run.status}; "
            f"{counts['scored']} scored, {counts['failed']} failed, {counts['pending']} pending "
            f"of {judge_run.progress_total}; {judge_run.calls} calls, "
            f"{judge_run.prompt_tokens} prompt + {judge_run.completion_tokens} completion tokens"
        )
        cost = judge_run_cost(judge_run)
        if cost is not None:
            self.stdout.write(
                f"  cost at {judge_run.judge.name}'s prices: {cost.spent} {cost.currency}"
            )
        if judge_run.error:
            self.stdout.write(f"  {judge_run.error}")
        if judge_run.pairwise and run.pair_study is not None:
            results = study_pairwise_results(study=run.pair_study, seed=run.seed)
            for table in results.judges:
                if table.judge == judge_run.judge.name:
                    self.stdout.write("\n".join(pair_judge_lines(table)))
        elif run.study_id is not None:
            validation = run_judge_validation(run=run, judge=judge_run.judge)
            self.stdout.write("\n".join(validation_lines(validation)))
