"""The scratch database and settings a benchmark runs Django on: a fresh SQLite file by
default, or a PostgreSQL database named in a URL (created, or emptied, first: its name
must end in _bench)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def scratch_django(parser: argparse.ArgumentParser, database_url: str | None) -> str:
    """Point the settings at a scratch database and var/ folder, set Django up, and
    return the database URL."""
    scratch = Path(tempfile.mkdtemp(prefix="souleval-bench-"))
    url = database_url or f"sqlite:///{scratch / 'bench.sqlite3'}"
    if database_url and not url.rsplit("/", 1)[-1].endswith("_bench"):
        parser.error("the database name must end in _bench: it is emptied")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DJANGO_DEBUG="true",
        DATABASE_URL=url,
        SOULEVAL_VAR_DIR=str(scratch),
        SOULEVAL_ENV_FILE="",
    )
    os.environ.pop("CELERY_BROKER_URL", None)  # tasks run eagerly, in this process
    sys.path.insert(0, str(ROOT))
    if url.startswith("postgres"):
        import psycopg

        base, name = url.rsplit("/", 1)
        with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            connection.execute(f'CREATE DATABASE "{name}"')
    import django

    django.setup()
    return url
