"""Shared fixtures.

PostgreSQL and Redis are used when DATABASE_URL / CELERY_BROKER_URL point at them
(bin/test sets both when the local servers answer). Without them the tests that need
them skip, saying why; with SOULEVAL_REQUIRE_SERVICES=1 (set by .ci/run) such a skip
is a failure instead, so CI always runs against the real services.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import traceback
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("SOULEVAL_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
SMILECHAT = SHARED_DATA / "smilechat"
REQUIRE_SERVICES = os.environ.get("SOULEVAL_REQUIRE_SERVICES") == "1"


def service_missing(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (SOULEVAL_REQUIRE_SERVICES=1 makes this a failure)")
    pytest.skip(reason)


def pytest_report_header(config) -> list[str]:
    database = settings.DATABASES["default"]
    return [
        f"souleval: database {database['ENGINE'].rsplit('.', 1)[-1]} {database.get('HOST') or ''}",
        f"souleval: broker {_redacted(settings.CELERY_BROKER_URL)}",
        f"souleval: shared data {'present' if SMILECHAT.is_dir() else 'absent'} at {SHARED_DATA}",
    ]


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    return url.replace(parts.password, "***") if parts.password else url


@pytest.fixture(autouse=True)
def no_request_ends_in_an_unhandled_exception():
    """Every request of the suite, through the test client or to the live server (the
    browser tests), is answered without an unhandled exception: the signal Django sends
    for one (a 500 on a server) fails the test that made the request."""
    from django.core.signals import got_request_exception

    seen: list[str] = []

    def record(sender, request=None, **kwargs) -> None:
        where = f"{request.method} {request.get_full_path()}" if request is not None else "?"
        seen.append(f"{where}\n{traceback.format_exc()}")

    got_request_exception.connect(record, weak=False, dispatch_uid="tests.unhandled")
    yield
    got_request_exception.disconnect(dispatch_uid="tests.unhandled")
    if seen:
        pytest.fail("a request ended in an unhandled exception:\n" + "\n".join(seen))


@pytest.fixture
def postgres() -> None:
    if connection.vendor != "postgresql":
        service_missing("needs PostgreSQL: set DATABASE_URL=postgres://…")


@pytest.fixture
def redis_broker_url() -> str:
    url = settings.CELERY_BROKER_URL
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        service_missing("needs Redis: set CELERY_BROKER_URL=redis://…")
    try:
        socket.create_connection((parts.hostname or "localhost", parts.port or 6379), 2).close()
    except OSError as error:
        service_missing(f"Redis at {parts.hostname}:{parts.port} does not answer: {error}")
    return url


@pytest.fixture
def smilechat() -> Path:
    if not SMILECHAT.is_dir():
        pytest.skip(f"shared SMILECHAT data absent at {SMILECHAT}")
    return SMILECHAT


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """A checkpoint built by the demo model's own code, smaller still, in seconds."""
    from demo.model import DemoModelSize, demo_model_build
    from demo.services import demo_corpus_texts

    directory = tmp_path_factory.mktemp("models") / "tiny"
    size = DemoModelSize(hidden_size=48, layers=2, heads=2, vocabulary=700, steps=120)
    demo_model_build(texts=demo_corpus_texts(), directory=directory, size=size)
    return directory


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


@pytest.fixture
def idle_worker(postgres, redis_broker_url):
    """A worker not started yet: tasks sent before `start()` wait in Redis for it."""
    from config.celery_app import app as celery_app

    worker = CeleryWorker(redis_broker_url)
    # The test process sends to Redis instead of running tasks in-process.
    celery_app.conf.task_always_eager = False
    try:
        yield worker
    finally:
        celery_app.conf.task_always_eager = True
        worker.stop()
        worker.remove_files()


@pytest.fixture
def worker(idle_worker: CeleryWorker) -> CeleryWorker:
    idle_worker.start()
    return idle_worker


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


@pytest.fixture
def server():
    """The OpenAI-compatible rewriter of tests/generation/rewriter.py, on 127.0.0.1."""
    from tests.corpus.rewriter import RewriterServer

    server = RewriterServer().start()
    yield server
    server.stop()


@pytest.fixture
def rewriter(server, db):
    from generation.services import system_save

    return system_save(
        name="rewriter",
        fields={"kind": "openai_api", "endpoint": server.url, "model_name": "rewriter-model",
                "max_retries": 0, "request_timeout_seconds": 5, "concurrency": 2,
                "input_price_per_million": Decimal("0.5"),
                "output_price_per_million": Decimal("1.5")},
    )  # fmt: skip
