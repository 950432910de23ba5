from __future__ import annotations

import json

from django.core.management.base import CommandError, CommandParser

from common.commands import ServiceCommand
from reports.difference_formats import differences_json, differences_latex, differences_text
from reports.exports import csv_lines
from reports.formats import table_json, table_latex, table_text
from reports.judge_formats import validation_json, validation_lines
from reports.metrics import PROFILES
from reports.models import EvalRun
from reports.pairwise_formats import pairwise_json, pairwise_text
from reports.selectors.differences import run_differences
from reports.selectors.export_rows import export_differences, export_table
from reports.selectors.exports import EXPORT_KINDS, export_kind_get
from reports.selectors.judge_exports import export_judge_validation
from reports.selectors.judging import run_judge_validation, run_judges
from reports.selectors.pairwise_exports import export_pairwise
from reports.selectors.pairwise_results import study_pairwise_results
from reports.selectors.results import results_table
from reports.selectors.runs import run_get
from reports.selectors.table import AFTER_EXCLUSIONS, RATINGS_VIEWS


class Command(ServiceCommand):
    help = (
        "Table 1 of an evaluation run: per dataset × system the automatic metrics and the "
        "CEHS means with n and 95% bootstrap intervals, best per column marked, agreement "
        "below. Formats: table, csv, json, latex (booktabs, laid out like the paper's). "
        "--differences prints the system differences on the CEHS scales instead (a mixed "
        "model with items and raters, Holm-corrected), in the same formats. "
        "--export KIND prints another of the run's CSV exports instead (the dashboard's). "
        "--judges prints how far each LLM judge of the run agrees with its experts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("run", type=int, help="the run's number (run_eval prints it)")
        parser.add_argument("--format", choices=["table", "csv", "json", "latex"], default="table")
        parser.add_argument("--profile", choices=PROFILES, default="soulchat")
        parser.add_argument(
            "--export", choices=list(EXPORT_KINDS), help="print this CSV export of the run"
        )
        parser.add_argument(
            "--differences", action="store_true",
            help="the system differences on the CEHS scales (score ~ system + (1|item) + "
            "(1|rater)), every pair Holm-corrected, instead of Table 1",
        )  # fmt: skip
        parser.add_argument(
            "--judges", action="store_true",
            help="each LLM judge of the run against its experts (table, json or csv)",
        )  # fmt: skip
        parser.add_argument(
            "--pairwise", action="store_true",
            help="the run's pairwise study: Bradley–Terry rankings with intervals, win rates, "
            "side bias (table, json or csv)",
        )  # fmt: skip
        parser.add_argument(
            "--ratings", choices=RATINGS_VIEWS, default=AFTER_EXCLUSIONS,
            help="the human columns and agreement read the ratings left in after "
            "exclusions (default) or all of them",
        )  # fmt: skip

    def handle(self, *args, **options) -> str:
        run = run_get(run_id=options["run"])
        if options["export"]:
            export = export_kind_get(key=options["export"])
            return "".join(csv_lines(export.rows(run, options["ratings"]))).lstrip("\ufeff")
        if options["differences"]:
            return _differences(run, options["format"], options["ratings"])
        if options["judges"]:
            return _judges(run, options["format"])
        if options["pairwise"]:
            return _pairwise(run, options["format"])
        table = results_table(run=run, profile=options["profile"], ratings=options["ratings"])
        if options["format"] == "json":
            return json.dumps(table_json(table), ensure_ascii=False, indent=2)
        if options["format"] == "latex":
            return table_latex(table)
        if options["format"] == "csv":
            return "".join(csv_lines(export_table(table=table))).lstrip("\ufeff")
        return table_text(table)


def _differences(run: EvalRun, fmt: str, ratings: str) -> str:
    tables = run_differences(run=run, ratings=ratings)
    if fmt == "json":
        return json.dumps(differences_json(tables), ensure_ascii=False, indent=2)
    if fmt == "latex":
        return differences_latex(tables)
    if fmt == "csv":
        return "".join(csv_lines(export_differences(tables=tables))).lstrip("\ufeff")
    return differences_text(tables)


def _pairwise(run: EvalRun, fmt: str) -> str:
    if run.pair_study is None:
        return f"run {run.pk} has no pairwise study: run_eval … --pairwise adds one"
    if fmt == "csv":
        return "".join(csv_lines(export_pairwise(run=run))).lstrip("\ufeff")
    results = study_pairwise_results(study=run.pair_study, seed=run.seed)
    if fmt == "json":
        return json.dumps(pairwise_json(results), ensure_ascii=False, indent=2)
    if fmt == "latex":
        raise CommandError("--pairwise prints a table, json or csv, not latex")
    return pairwise_text(results)


def _judges(run: EvalRun, fmt: str) -> str:
    validations = [run_judge_validation(run=run, judge=judge) for judge in run_judges(run)]
    if not validations:
        return f"run {run.pk} has no LLM judge: judge {run.pk} --judge SYSTEM adds one"
    if fmt == "json":
        return json.dumps([validation_json(v) for v in validations], ensure_ascii=False, indent=2)
    if fmt == "csv":
        return "".join(csv_lines(export_judge_validation(validations=validations))).lstrip("\ufeff")
    if fmt == "latex":
        raise CommandError("--judges comes as table, json or csv")
    return "\n".join(line for validation in validations for line in validation_lines(validation))
