from __future__ import annotations

import json

from django.core.management.base import CommandParser

from common.commands import ServiceCommand
from reports.exports import csv_lines
from reports.formats import table_json, table_latex, table_text
from reports.metrics import PROFILES
from reports.selectors.export_rows import export_table
from reports.selectors.exports import EXPORT_KINDS, export_kind_get
from reports.selectors.results import results_table
from reports.selectors.runs import run_get
from reports.selectors.table import AFTER_EXCLUSIONS, RATINGS_VIEWS


class Command(ServiceCommand):
    help = (
        "Table 1 of an evaluation run: per dataset × system the automatic metrics and the "
        "CEHS means with n and 95% bootstrap intervals, best per column marked, agreement "
        "below. Formats: table, csv, json, latex (booktabs, laid out like the paper's). "
        "--export KIND prints another of the run's CSV exports instead (the dashboard's)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("run", type=int, help="the run's number (run_eval prints it)")
        parser.add_argument("--format", choices=["table", "csv", "json", "latex"], default="table")
        parser.add_argument("--profile", choices=PROFILES, default="soulchat")
        parser.add_argument(
            "--export", choices=list(EXPORT_KINDS), help="print this CSV export of the run"
        )
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
        table = results_table(run=run, profile=options["profile"], ratings=options["ratings"])
        if options["format"] == "json":
            return json.dumps(table_json(table), ensure_ascii=False, indent=2)
        if options["format"] == "latex":
            return table_latex(table)
        if options["format"] == "csv":
            return "".join(csv_lines(export_table(table=table))).lstrip("\ufeff")
        return table_text(table)
