from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import cast

from django.core.management.base import CommandError, CommandParser

from common.commands import ServiceCommand
from common.json_input import JsonTooDeep, json_loads
from reports.metrics import (
    METRIC_KEYS,
    METRIC_LABELS,
    default_workers,
    is_empty,
    score_pairs,
    scores_summary,
)


def read_pairs(path: Path) -> list[tuple[str, str, str]]:
    """(id, hypothesis, reference) per line; any bad line refuses the whole file."""
    pairs = []
    seen: set[str] = set()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"cannot read {path}: {error}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json_loads(line)
        except json.JSONDecodeError as error:
            raise CommandError(f"{path}:{number}: not JSON ({error.msg})") from None
        except JsonTooDeep as error:
            raise CommandError(f"{path}:{number}: {error}") from None
        if not isinstance(record, dict):
            raise CommandError(
                f"{path}:{number}: expected an object with id, hypothesis, reference"
            )
        missing = [key for key in ("id", "hypothesis", "reference") if key not in record]
        if missing:
            raise CommandError(f"{path}:{number}: missing {', '.join(missing)}")
        if not isinstance(record["hypothesis"], str) or not isinstance(record["reference"], str):
            raise CommandError(f"{path}:{number}: hypothesis and reference must be strings")
        identifier = str(record["id"])
        if identifier in seen:
            raise CommandError(f"{path}:{number}: id {identifier!r} appears twice")
        seen.add(identifier)
        pairs.append((identifier, record["hypothesis"], record["reference"]))
    if not pairs:
        raise CommandError(f"{path} holds no pairs")
    return pairs


class Command(ServiceCommand):
    help = (
        "Score hypotheses against references (JSON lines with id, hypothesis, reference) "
        "with the soulchat profile: BLEU-1..4 on characters, ROUGE-1/2/L on jieba words. "
        "Writes one JSON line per pair (scores ×100), then a summary line with the means, "
        "95% bootstrap intervals, n and the number of empty hypotheses."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--output", type=Path, help="write here instead of stdout")
        parser.add_argument("--seed", type=int, default=0, help="bootstrap seed")
        parser.add_argument("--workers", type=int, default=default_workers())

    def handle(self, *args, **options) -> None:
        if options["workers"] < 1:
            raise CommandError("--workers must be at least 1")
        pairs = read_pairs(options["file"])
        scores = score_pairs(
            [(hypothesis, reference) for _, hypothesis, reference in pairs],
            workers=options["workers"],
        )
        summary = scores_summary(
            [hypothesis for _, hypothesis, _ in pairs], scores, seed=options["seed"]
        )
        output = options["output"].open("w", encoding="utf-8") if options["output"] else sys.stdout
        try:
            for (identifier, hypothesis, _), row in zip(pairs, scores, strict=True):
                record = {"id": identifier, "empty": is_empty(hypothesis)}
                record.update(
                    {key: value * 100 for key, value in zip(METRIC_KEYS, row, strict=True)}
                )
                output.write(json.dumps(record, ensure_ascii=False) + "\n")
            output.write(json.dumps({"summary": summary}, ensure_ascii=False) + "\n")
        finally:
            if output is not sys.stdout:
                output.close()
        means = ", ".join(
            f"{METRIC_LABELS[key]} {cast('dict[str, float]', summary[key])['mean']:.2f}"
            for key in METRIC_KEYS
        )
        # stdout may be the JSON lines themselves: the one-line summary goes to stderr.
        self.stderr.write(f"{len(pairs)} pairs ({summary['empty_hypotheses']} empty): {means}")
