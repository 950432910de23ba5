"""Where the suite's inputs are, and how a test that needs a missing service ends."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


SHARED_DATA = Path(os.environ.get("SOULEVAL_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


SMILECHAT = SHARED_DATA / "smilechat"


REQUIRE_SERVICES = os.environ.get("SOULEVAL_REQUIRE_SERVICES") == "1"


def service_missing(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (SOULEVAL_REQUIRE_SERVICES=1 makes this a failure)")
    pytest.skip(reason)
