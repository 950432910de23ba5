from __future__ import annotations

from decimal import Decimal

import pytest

from generation.services import system_save
from tests.generation.rewriter import RewriterServer


@pytest.fixture
def server():
    """The OpenAI-compatible rewriter of tests/generation/rewriter.py, on 127.0.0.1."""
    server = RewriterServer().start()
    yield server
    server.stop()


@pytest.fixture
def rewriter(server, db):
    return system_save(
        name="rewriter",
        fields={"kind": "openai_api", "endpoint": server.url, "model_name": "rewriter-model",
                "max_retries": 0, "request_timeout_seconds": 5, "concurrency": 2,
                "input_price_per_million": Decimal("0.5"),
                "output_price_per_million": Decimal("1.5")},
    )  # fmt: skip
