"""Real Celery worker processes for the integration tests, and waiting on them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection

from tests.support.paths import REPO_ROOT


def child_process_env() -> dict[str, str]:
    """The environment of a child process that works on the test database (PostgreSQL;
    tests that start one need `django_db(transaction=True)` so that it sees their rows)."""
    database = connection.settings_dict
    database_url = (
        f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST']}:"
        f"{database['PORT'] or 5432}/{database['NAME']}"
    )
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url,
    }


class CeleryWorker:
    """A real Celery worker process on Redis, against the test database (tests that use it
    need `django_db(transaction=True)` so that it sees their rows). `pool="prefork"` runs
    tasks in a child process as servers do; `beat=True` also runs Celery beat in it, as
    the sweeper of docker-compose does."""

    def __init__(
        self,
        broker_url: str,
        *,
        queues: str = "default,gpu",
        pool: str = "solo",
        beat: bool = False,
        env: dict[str, str] | None = None,
    ) -> None:
        self.env = {**child_process_env(), "CELERY_BROKER_URL": broker_url, **(env or {})}
        self.name = uuid.uuid4().hex[:8]
        self.log = REPO_ROOT / "var" / f"test-worker-{self.name}.log"
        self.schedule = REPO_ROOT / "var" / f"test-beat-{self.name}"
        self.queues, self.pool, self.beat = queues, pool, beat
        self.process: subprocess.Popen | None = None

    def start(self) -> CeleryWorker:
        self.log.parent.mkdir(exist_ok=True)
        beat = ["--beat", "--schedule", str(self.schedule)] if self.beat else []
        with self.log.open("w") as log_file:
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "celery", "-A", "config", "worker",
                    "--queues", self.queues, "--pool", self.pool, "--concurrency", "1",
                    "--loglevel", "INFO", "--hostname", f"test-{self.name}@%h",
                    "--without-gossip", "--without-mingle", "--without-heartbeat", *beat,
                ],
                cwd=REPO_ROOT, env=self.env, stdout=log_file, stderr=subprocess.STDOUT,
            )  # fmt: skip
        return self

    def pool_children(self) -> list[int]:
        """The pids of the pool's child processes (prefork), read from /proc."""
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def log_text(self) -> str:
        return self.log.read_text() if self.log.exists() else "(the worker has not started)"

    def remove_files(self) -> None:
        self.log.unlink(missing_ok=True)
        for path in self.schedule.parent.glob(f"{self.schedule.name}*"):
            path.unlink(missing_ok=True)


def wait_for(condition, worker: CeleryWorker, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"the worker did not finish in {seconds:.0f} s; its log:\n{worker.log_text()}")


def silence(work) -> None:
    """Make running work look as if its run had said nothing for longer than the stale
    threshold, as a run on a killed worker would."""
    from django.utils import timezone

    from common.work import stale_after

    type(work).objects.filter(pk=work.pk).update(
        heartbeat_at=timezone.now() - stale_after() - timedelta(seconds=1)
    )
