"""Settings read the environment once and refuse malformed values, naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support.paths import REPO_ROOT

STRONG_KEY = "k" * 20 + "Q7-x_Zp9" * 5


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "CELERY_"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings.base", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "DJANGO_SECRET_KEY must be set"),
        ({"DJANGO_DEBUG": "false"}, "DJANGO_SECRET_KEY must be set"),
        ({"DJANGO_SECRET_KEY": "short"}, "DJANGO_SECRET_KEY is too weak"),
        ({"DJANGO_DEBUG": "ture"}, "DJANGO_DEBUG='ture' is not a boolean"),
        (
            {"DJANGO_DEBUG": "true", "DATABASE_URL": "mongo://x/y"},
            "DATABASE_URL is not a usable database URL",
        ),
        (
            {"DJANGO_DEBUG": "true", "DATABASE_URL": "postgres://u:secretpw@h:5432"},
            "DATABASE_URL='postgres://u:***@h:5432' names no database",
        ),
        (
            {"DJANGO_DEBUG": "true", "CELERY_BROKER_URL": "localhost:6379"},
            "CELERY_BROKER_URL='localhost:6379' is not a broker URL",
        ),
        (
            {"DJANGO_DEBUG": "true", "DJANGO_ALLOWED_HOSTS": "a.example,,b.example"},
            "DJANGO_ALLOWED_HOSTS='a.example,,b.example' has an empty item",
        ),
        (
            {"DJANGO_DEBUG": "true", "CELERY_VISIBILITY_TIMEOUT_SECONDS": "soon"},
            "CELERY_VISIBILITY_TIMEOUT_SECONDS='soon' is not an integer",
        ),
        (
            {"DJANGO_DEBUG": "true", "SOULEVAL_WORK_STALE_SECONDS": "0"},
            "SOULEVAL_WORK_STALE_SECONDS=0 must be at least 1",
        ),
        (
            {"DJANGO_DEBUG": "true", "SOULEVAL_LOGIN_ADDRESS_FAILURE_LIMIT": "3"},
            "SOULEVAL_LOGIN_ADDRESS_FAILURE_LIMIT=3 must be at least 5",
        ),
        (
            {"DJANGO_DEBUG": "true", "DJANGO_BEHIND_TLS_PROXY": "true", "DJANGO_PROXY_HOPS": "0"},
            "DJANGO_PROXY_HOPS=0 must be at least 1",
        ),
        (
            {"DJANGO_DEBUG": "true", "SOULEVAL_IMPORT_BATCH_SIZE": "0"},
            "SOULEVAL_IMPORT_BATCH_SIZE=0 must be at least 1",
        ),
    ],
)
def test_it_refuses_to_start_with_bad_settings(env, message):
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert message in result.stderr
    assert "secretpw" not in result.stderr


def test_production_settings_pass_the_deployment_check_without_warnings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY=STRONG_KEY,
        DJANGO_ALLOWED_HOSTS="eval.example.org",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/souleval",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_debug():
    result = run_manage(
        "check",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_DEBUG="true",
        DJANGO_SECRET_KEY=STRONG_KEY,
    )
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be off" in result.stderr


def test_the_embedded_default_is_sqlite_with_eager_tasks(tmp_path):
    probe = (
        "from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.DEBUG)"
    )
    result = run_manage(
        "shell", "-v", "0", "-c", probe, DJANGO_DEBUG="true", SOULEVAL_VAR_DIR=str(tmp_path / "var")
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "True", "True"]
    result = run_manage(
        "shell",
        "-v",
        "0",
        "-c",
        probe,
        DJANGO_DEBUG="true",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/souleval",
    )
    assert result.stdout.split() == ["django.db.backends.postgresql", "False", "True"]


def test_a_missing_secret_is_one_line_that_says_what_to_do():
    result = run_manage("report", "1")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("manage.py: DJANGO_SECRET_KEY must be set on a server")
    assert "bin/demo" in line


def test_the_settings_read_a_local_env_file_under_the_environment(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("# bin/demo's\nDJANGO_DEBUG=true\n", "utf-8")
    probe = "from django.conf import settings as s; print(s.DEBUG)"
    var = str(tmp_path / "var")
    read = run_manage("shell", "-v", "0", "-c", probe, SOULEVAL_ENV_FILE=str(env_file),
                      SOULEVAL_VAR_DIR=var)  # fmt: skip
    assert read.returncode == 0, read.stderr
    assert read.stdout.split() == ["True"]
    overridden = run_manage("check", SOULEVAL_ENV_FILE=str(env_file), DJANGO_DEBUG="false")
    assert "DJANGO_SECRET_KEY must be set" in overridden.stderr
