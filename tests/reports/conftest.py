"""Fixtures of the reports tests (the helpers are in tests/support/runs.py)."""

from __future__ import annotations

import pytest

from tests.support.runs import RunWorld, run_world


@pytest.fixture
def world(db) -> RunWorld:
    return run_world()
