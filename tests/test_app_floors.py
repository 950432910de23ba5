"""Floors, lowest first: common ← generation ← {corpus, training} ← annotation ← reports
← demo.
No import goes up, apps on one floor do not import each other, and the pure modules do not
import Django."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support.paths import REPO_ROOT

FLOORS = [
    ["common"], ["generation"], ["corpus", "training"], ["annotation"], ["reports"], ["demo"],
]  # fmt: skip
APPS = [app for floor in FLOORS for app in floor]
PURE_MODULES = [
    "common/json_input.py",
    "common/charts.py",
    "common/highlight.py",
    "common/errors.py",
    "generation/dialogues.py",
    "generation/dataset_formats.py",
    "generation/prompts.py",
    "generation/decoding.py",
    "generation/local_models.py",
    "demo/model.py",
    "corpus/charts.py",
    "corpus/rewrites.py",
    "corpus/rewrite_prompts.py",
    "corpus/dedup.py",
    "training/examples.py",
    "training/plan.py",
    "annotation/rubric.py",
    "annotation/rater_quality.py",
    "annotation/identity_screen.py",
    "reports/metrics.py",
    "reports/statistics.py",
    "reports/diversity.py",
    "reports/agreement.py",
    "reports/exports.py",
    "reports/charts.py",
]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _floor(app: str) -> int:
    return next(index for index, floor in enumerate(FLOORS) if app in floor)


@pytest.mark.parametrize("app", APPS)
def test_no_app_imports_a_higher_floor_or_its_neighbour(app):
    level = _floor(app)
    # Above it, or beside it on its own floor.
    forbidden = {other for other in APPS if other != app and _floor(other) >= level}
    offending = [
        f"{path.relative_to(REPO_ROOT)} imports {name}"
        for path in (REPO_ROOT / app).rglob("*.py")
        for name in imported_modules(path)
        if name.split(".")[0] in forbidden
    ]
    assert offending == []


def test_every_app_of_the_project_is_on_a_floor():
    from django.conf import settings

    local = [app for app in settings.INSTALLED_APPS if (REPO_ROOT / app).is_dir()]
    assert sorted(local) == sorted(APPS)


@pytest.mark.parametrize("module", PURE_MODULES)
def test_pure_modules_do_not_import_django(module):
    names = imported_modules(REPO_ROOT / module)
    assert not [name for name in names if name.split(".")[0] in ("django", "rest_framework")]
    assert not [name for name in names if name.endswith((".models", ".services", ".selectors"))]


def test_the_floor_check_sees_an_upward_import(tmp_path):
    path = tmp_path / "x.py"
    path.write_text("from reports.models import X\nimport annotation.services\n")
    assert imported_modules(path) == {"reports.models", "annotation.services"}


# Pure, but typed against torch and transformers, which mypy does not check yet.
UNTYPED_PURE = {"generation/local_models.py", "demo/model.py"}


def test_mypy_checks_every_pure_module():
    import tomllib

    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    strict = {
        module.replace(".", "/") + ".py"
        for module in config["tool"]["mypy"]["overrides"][0]["module"]
    }
    assert strict == set(PURE_MODULES) - UNTYPED_PURE
    assert strict <= set(config["tool"]["mypy"]["files"])
