"""Fixtures of the annotation tests (the helpers are in tests/support/studies.py)."""

from __future__ import annotations

import pytest

from annotation.models import Annotator
from tests.support.factories import AnnotatorFactory
from tests.support.studies import StudyWorld, study_world


@pytest.fixture
def world(db) -> StudyWorld:
    return study_world()


@pytest.fixture
def annotator(db) -> Annotator:
    return AnnotatorFactory()


@pytest.fixture
def other_annotator(db) -> Annotator:
    return AnnotatorFactory()
