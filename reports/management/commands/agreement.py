from __future__ import annotations

import csv
import json
from pathlib import Path

from django.core.management.base import CommandError, CommandParser

from common.commands import ServiceCommand
from reports.agreement import ScoreRecord, agreement_table
from reports.exports import csv_lines
from reports.formats import agreement_json, agreement_lines
from reports.selectors.export_rows import export_agreement
from reports.selectors.ratings import DOMAINS

COLUMNS = ("item", "rater", "dimension", "score")
# A custom dimension's scale runs from its lowest to its highest score; the agreement
# tables hold a column per point (0–100 is the widest a rating scale sensibly is).
MAX_SCALE_POINTS = 101


def read_scores(path: Path) -> tuple[list[ScoreRecord], dict[str, list[int]]]:
    """Records of a long CSV and each dimension's scale: the CEHS scale for content,
    empathy, helpfulness and safety, else the observed range. Any bad row refuses the file."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            try:
                if reader.fieldnames is None or any(c not in reader.fieldnames for c in COLUMNS):
                    raise CommandError(
                        f"{path}: the header must name {', '.join(COLUMNS)}; "
                        f"it has {reader.fieldnames}"
                    )
                rows = [(reader.line_num, row) for row in reader]
            except csv.Error as error:
                # A cell over the csv module's field limit, a NUL byte, … (line_num counts
                # the lines read before the record that failed).
                line = reader.line_num + 1
                raise CommandError(f"{path}:{line}: not readable CSV ({error})") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"cannot read {path}: {error}") from None
    records = []
    seen: set[tuple[str, str, str]] = set()
    observed: dict[str, set[int]] = {}
    for line, row in rows:
        item, rater, dimension = (row[c].strip() if row[c] else "" for c in COLUMNS[:3])
        if not item or not rater or not dimension:
            raise CommandError(f"{path}:{line}: item, rater and dimension must not be empty")
        try:
            score = int((row["score"] or "").strip())
        except ValueError:
            raise CommandError(
                f"{path}:{line}: score {row['score']!r} is not a whole number"
            ) from None
        domain = DOMAINS.get(dimension)
        if domain is not None and score not in domain:
            raise CommandError(
                f"{path}:{line}: {dimension} is scored {domain[0]}–{domain[-1]}; got {score}"
            )
        key = (item, rater, dimension)
        if key in seen:
            raise CommandError(f"{path}:{line}: {rater} rated {dimension} of {item} twice")
        seen.add(key)
        observed.setdefault(dimension, set()).add(score)
        records.append(ScoreRecord(item, rater, dimension, score))
    if not records:
        raise CommandError(f"{path} holds no ratings")
    for dimension, scores in observed.items():
        if dimension not in DOMAINS and max(scores) - min(scores) + 1 > MAX_SCALE_POINTS:
            raise CommandError(
                f"{path}: {dimension} is scored from {min(scores)} to {max(scores)}; a scale "
                f"of at most {MAX_SCALE_POINTS} points can be analysed"
            )
    domains = {
        dimension: DOMAINS.get(dimension) or list(range(min(scores), max(scores) + 1))
        for dimension, scores in observed.items()
    }
    return records, domains


class Command(ServiceCommand):
    help = (
        "Inter-rater agreement of a long CSV (item,rater,dimension,score): Fleiss' κ over "
        "items with the usual number of raters, Krippendorff's α (ordinal) and Gwet's AC1 "
        "and AC2 (ordinal) over all, with the observed agreement and the majority score's "
        "share, 95% bootstrap intervals over items, Landis & Koch bands. Prints what the "
        "dashboard shows."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=["table", "csv", "json"], default="table")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--resamples", type=int, default=1000)

    def handle(self, *args, **options) -> str:
        if options["resamples"] < 100:
            raise CommandError("--resamples must be at least 100")
        records, domains = read_scores(options["file"])
        rows = agreement_table(
            records, domains=domains, seed=options["seed"], resamples=options["resamples"]
        )
        if options["format"] == "json":
            return json.dumps(agreement_json(rows), ensure_ascii=False, indent=2)
        if options["format"] == "csv":
            return "".join(csv_lines(export_agreement(agreement=rows))).lstrip("\ufeff")
        return agreement_lines(rows)
