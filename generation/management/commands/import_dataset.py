from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError, CommandParser
from tqdm import tqdm

from common.commands import ServiceCommand
from generation.dataset_formats import FORMATS, FormatError, file_stem, parse_role_map
from generation.services import (
    ImportReport,
    dataset_import,
    dataset_import_size,
)

# The summary lists this many problems one by one, and the rest by reason.
LISTED_PROBLEMS = 20


class Command(ServiceCommand):
    help = (
        "Import dialogues into a dataset, one sample per psychologist turn that follows a user "
        "turn. Formats: smilechat (a directory of <id>.json as published, or JSON lines of "
        '{"id", "dialogue"}), soulchat (role-prefixed text files, dialogues separated by a '
        'line "==="), chatml (JSON lines of {"messages"}). Re-importing adds nothing.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="a file, or a directory of files")
        parser.add_argument("--format", required=True, choices=FORMATS, dest="source_format")
        parser.add_argument("--name", help="dataset name (default: the file or directory name)")
        parser.add_argument(
            "--roles",
            help="map role names to user/psychologist/ignore, e.g. "
            "来访者=user,心理咨询师=psychologist (replaces the format's default map)",
        )
        parser.add_argument(
            "--test-ratio",
            type=float,
            default=0.1,
            help="share of dialogues in the test split (default 0.1)",
        )
        parser.add_argument("--seed", default="0", help="split seed (default 0)")
        parser.add_argument("--licence", default="", help="licence note stored on the dataset")

    def handle(self, *args, **options) -> str:
        path: Path = options["path"]
        source_format: str = options["source_format"]
        name = options["name"] or file_stem(path) or "dataset"
        roles = None
        if options["roles"]:
            try:
                roles = parse_role_map(options["roles"])
            except FormatError as error:
                raise CommandError(f"--roles: {error}") from None
        try:
            total = dataset_import_size(path=path, source_format=source_format)
        except FormatError as error:
            raise CommandError(str(error)) from None
        with tqdm(
            total=total, unit="B", unit_scale=True, desc=f"import {name}", disable=None
        ) as bar:
            try:
                report = dataset_import(
                    path=path,
                    source_format=source_format,
                    name=name,
                    roles=roles,
                    test_ratio=options["test_ratio"],
                    seed=options["seed"],
                    licence_note=options["licence"],
                    progress=bar.update,
                )
            except FormatError as error:
                raise CommandError(str(error)) from None
        self._print_problems(report)
        summary = (
            f"{report.dataset_name}: {report.files} file(s), {report.dialogues_read} dialogues "
            f"read, {report.dialogues_imported} imported ({report.samples_created} samples), "
            f"{report.dialogues_already_present} already present, {report.skipped} skipped, "
            f"{len(report.failed_files)} file(s) unreadable"
        )
        if report.dialogues_imported == 0 and report.dialogues_already_present == 0:
            raise CommandError(f"nothing could be imported. {summary}")
        if report.dialogues_imported == 0:
            summary += " — nothing new to import"
        return summary

    def _print_problems(self, report: ImportReport) -> None:
        for reason in report.failed_files:
            self.stderr.write(f"unreadable file: {reason}")
        for problem in report.problems[:LISTED_PROBLEMS]:
            self.stderr.write(f"skipped {problem.location}: {problem.reason}")
        if len(report.problems) > LISTED_PROBLEMS:
            self.stderr.write(f"… and {len(report.problems) - LISTED_PROBLEMS} more skipped:")
            for reason, count in report.problem_reasons().most_common():
                self.stderr.write(f"  {count:>6} × {reason}")
