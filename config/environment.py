"""The one place that reads the process environment.

Every helper refuses a malformed value with ImproperlyConfigured naming the
variable, instead of guessing what was meant (a server that silently runs with
DEBUG on because someone wrote ``DEBUG=ture`` is worse than one that will not start).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal, overload
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def env_file_load(default: Path) -> None:
    """Variables of a `.env` file (SOULEVAL_ENV_FILE, else `default`) into the
    environment, never over one already set; no file, nothing to do."""
    named = os.environ.get("SOULEVAL_ENV_FILE")
    path = default if named is None else Path(named) if named else None
    if path is not None and path.is_file():
        load_dotenv(path, override=False)


@overload
def env_str(name: str, default: str, *, required: bool = False) -> str: ...
@overload
def env_str(name: str, default: None = None, *, required: Literal[True]) -> str: ...
@overload
def env_str(name: str, default: None = None, *, required: bool = False) -> str | None: ...
def env_str(name: str, default: str | None = None, *, required: bool = False) -> str | None:
    value = _raw(name)
    if value is None:
        if required:
            raise ImproperlyConfigured(f"{name} must be set.")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a boolean: use one of true/false, 1/0, yes/no, on/off."
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} must be at least {minimum}.")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return list(default)
    items = [item.strip() for item in value.split(",")]
    if any(not item for item in items):
        raise ImproperlyConfigured(
            f"{name}={value!r} has an empty item: separate values with single commas."
        )
    return items


def env_database(name: str, default: str) -> dict[str, Any]:
    value = _raw(name) or default
    try:
        config = dj_database_url.parse(value, conn_max_age=60, conn_health_checks=True)
    except (ValueError, KeyError) as error:
        raise ImproperlyConfigured(f"{name} is not a usable database URL: {error}") from None
    if not config.get("NAME"):
        raise ImproperlyConfigured(f"{name}={_redact(value)!r} names no database.")
    return dict(config)


def env_broker_url(name: str) -> str | None:
    value = _raw(name)
    if value is None:
        return None
    scheme = urlsplit(value).scheme
    if scheme not in {"redis", "rediss", "amqp", "amqps", "memory"}:
        raise ImproperlyConfigured(
            f"{name}={_redact(value)!r} is not a broker URL: expected redis://host:port/db."
        )
    return value


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(parts.password, "***")
    return url
