"""Floors, lowest first: common ← generation ← {corpus, training, judging} ← annotation ←
reports ← demo.
No import goes up, apps on one floor do not import each other, and the pure modules do not
import Django."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support.paths import REPO_ROOT

FLOORS = [
    ["common"], ["generation"], ["corpus", "training", "judging"], ["annotation"], ["reports"],
    ["demo"],
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
    "judging/prompt.py",
    "judging/verdicts.py",
    "annotation/rubric.py",
    "annotation/rater_quality.py",
    "annotation/identity_screen.py",
    "reports/metrics.py",
    "reports/statistics.py",
    "reports/diversity.py",
    "reports/agreement.py",
    "reports/gwet.py",
    "reports/mixed_model.py",
    "reports/planner.py",
    "reports/judge_validation.py",
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


# Pure, but typed against torch and transformers, whose own types are too loose for the
# strict checks: mypy checks them with the rest of the app code, not strictly.
UNTYPED_PURE = {"generation/local_models.py", "demo/model.py"}


def _module(path: Path) -> str:
    relative = path.relative_to(REPO_ROOT).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def _covered(module: str, patterns: list[str]) -> bool:
    return any(
        module == pattern or (pattern.endswith(".*") and module.startswith(pattern[:-1]))
        for pattern in patterns
    )


def test_mypy_checks_all_app_code_and_strictly_the_pure_modules_services_and_selectors():
    import tomllib

    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    mypy = config["tool"]["mypy"]
    assert set(mypy["files"]) == {*APPS, "config"}
    patterns = mypy["overrides"][0]["module"]
    layers = [
        path
        for app in APPS
        for name in ("services", "selectors")
        for path in [*(REPO_ROOT / app).glob(f"{name}.py"), *(REPO_ROOT / app).glob(f"{name}/*.py")]
    ]
    wanted = {_module(REPO_ROOT / module) for module in set(PURE_MODULES) - UNTYPED_PURE}
    wanted |= {_module(path) for path in layers}
    assert sorted(module for module in wanted if not _covered(module, patterns)) == []
    assert not [
        module for module in UNTYPED_PURE if _covered(_module(REPO_ROOT / module), patterns)
    ]
