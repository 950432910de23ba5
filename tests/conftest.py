"""Shared fixtures.

PostgreSQL and Redis are used when DATABASE_URL / CELERY_BROKER_URL point at them
(bin/test sets both when the local servers answer). Without them the tests that need
them skip, saying why; with SOULEVAL_REQUIRE_SERVICES=1 (set by .ci/run) such a skip
is a failure instead, so CI always runs against the real services.
"""

from __future__ import annotations

import socket
import traceback
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection

from tests.support.paths import SHARED_DATA, SMILECHAT, service_missing
from tests.support.workers import CeleryWorker

# Modules whose every test imports torch; elsewhere a test that takes the `tiny_model`
# fixture does.
MODEL_MODULES = ("training/", "generation/test_local_models.py")


def pytest_collection_modifyitems(config, items) -> None:
    """Marks the tests that need torch `models`, so `bin/test --fast` can leave them out."""
    tests = Path(__file__).resolve().parent
    for item in items:
        where = Path(item.fspath).resolve().relative_to(tests).as_posix()
        if "tiny_model" in item.fixturenames or where.startswith(MODEL_MODULES):
            item.add_marker(pytest.mark.models)


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
    # Every dialogue: the tests run this model (its layout, its stop strings) and never
    # score it, and the fewer train dialogues alone do not teach it the layout in 120 steps.
    demo_model_build(texts=demo_corpus_texts(train_only=False), directory=directory, size=size)
    return directory


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


@pytest.fixture
def server():
    """The OpenAI-compatible rewriter of tests/support/rewriter.py, on 127.0.0.1."""
    from tests.support.rewriter import RewriterServer

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
