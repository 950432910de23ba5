from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from django.core.management.base import CommandError, CommandParser

from common.commands import ServiceCommand
from generation.dataset_formats import EXPORT_FORMATS
from generation.selectors import dataset_export_records, dataset_get

if TYPE_CHECKING:
    from _typeshed import SupportsWrite


class Command(ServiceCommand):
    help = (
        "Write a dataset's samples as JSON lines for training tools: chatml "
        '({"id", "messages"}) or soulchat-sft ({"input": "用户：…\\n心理咨询师：", "target"}).'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="dataset name")
        parser.add_argument("--split", choices=["train", "test", "all"], required=True)
        parser.add_argument("--format", choices=EXPORT_FORMATS, required=True, dest="export_format")
        parser.add_argument("--output", type=Path, help="file to write (default: standard output)")

    def handle(self, *args, **options) -> str:
        dataset = dataset_get(name=options["name"])
        split = None if options["split"] == "all" else options["split"]
        records = dataset_export_records(
            dataset=dataset, split=split, export_format=options["export_format"]
        )
        output: Path | None = options["output"]
        if output is not None and not output.parent.is_dir():
            raise CommandError(f"--output: folder {output.parent} does not exist")
        # Write to a temporary name and rename, so a failed export leaves no half file.
        if output is None:
            try:
                count = _write_lines(self.stdout, records)
            except BrokenPipeError:
                # The reader stopped early (`| head`): not a failure of the export. Point
                # stdout at /dev/null so the interpreter's final flush does not fail again.
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                return ""
        else:
            target = output.with_name(output.name + ".partial")
            try:
                with target.open("w", encoding="utf-8") as stream:
                    count = _write_lines(stream, records)
            except BaseException:
                target.unlink(missing_ok=True)
                raise
            target.replace(output)
        where = output or "standard output"
        self.stderr.write(f"{count} samples of {dataset.name} ({options['split']}) → {where}")
        return ""


def _write_lines(stream: SupportsWrite[str], records: Iterable[dict]) -> int:
    count = 0
    for record in records:
        stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count
