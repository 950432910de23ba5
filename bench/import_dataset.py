"""Time `import_dataset` on the shared SMILECHAT slice.

There is no reference importer to race, so the floor it is compared with is reading the
same file with gzip + json alone, in the same process: the ratio is the cost of cutting
samples, splitting and writing rows.

    .venv/bin/python bench/import_dataset.py [--database-url postgres://…/souleval_bench]

With no URL it uses a fresh SQLite file. A PostgreSQL database named in the URL is
created if missing and emptied first (its name must end in _bench).
"""

from __future__ import annotations

import argparse
import gzip
import json
import time

from scratch import ROOT, scratch_django

DATA = ROOT.parent / "shared" / "data" / "smilechat"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    source = DATA / "dev.jsonl.gz"
    if not source.is_file():
        print(f"skipped: {source} is absent")
        return 0
    database_url = scratch_django(parser, args.database_url)
    from django.core.management import call_command

    from generation.models import Dataset
    from generation.services import dataset_import

    call_command("migrate", verbosity=0)
    floor, imports = [], []
    for attempt in range(args.repeat):
        started = time.perf_counter()
        with gzip.open(source, "rt", encoding="utf-8") as stream:
            dialogues = sum(1 for line in stream if json.loads(line))
        floor.append(time.perf_counter() - started)

        Dataset.objects.filter(name="bench").delete()
        started = time.perf_counter()
        report = dataset_import(path=source, source_format="smilechat", name="bench")
        imports.append(time.perf_counter() - started)
        print(
            f"run {attempt + 1}: import {imports[-1]:.2f} s "
            f"({report.samples_created} samples from {report.dialogues_imported} dialogues), "
            f"gzip+json alone {floor[-1]:.3f} s"
        )
    best_import, best_floor = min(imports), min(floor)
    engine = database_url.split(":", 1)[0]
    print(
        f"dev.jsonl.gz ({dialogues} dialogues) on {engine}: import best {best_import:.2f} s, "
        f"{report.samples_created / best_import:,.0f} samples/s; gzip+json alone "
        f"{best_floor:.3f} s; ratio import/floor {best_import / best_floor:.1f}×"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
