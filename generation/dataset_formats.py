"""Readers for the dialogue corpora the platform imports. No Django here.

Each reader turns one file into a stream of `Dialogue`s and `Problem`s (a record that
is malformed, reported with its place and skipped). A file that cannot be read at all
raises `SourceError`, and the importer then keeps nothing from it.

Formats:
- ``smilechat``: SMILECHAT as published, one ``<id>.json`` per dialogue holding a list
  of ``{"role": "client"|"counselor", "content", ...}``; or JSON lines of
  ``{"id", "dialogue": [...], "topic"?}`` (optionally gzip-compressed).
- ``soulchat``: role-prefixed plain text (``用户：…`` / ``心理咨询师：…``), one dialogue per
  file or several separated by a line holding only ``===``.
- ``chatml``: JSON lines of ``{"messages": [{"role": "system"|"user"|"assistant",
  "content"}], "id"?, "topic"?}``; system messages are not turns and are left out.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from common.json_input import JsonTooDeep, json_loads
from generation.dialogues import PSYCHOLOGIST, ROLES, USER, Dialogue, Turn
from generation.prompts import soulchat_prompt

FORMATS = ("smilechat", "soulchat", "chatml")

# A role mapped to this is read and dropped (e.g. chatml's system prompt).
IGNORED = "ignore"

DEFAULT_ROLES: dict[str, dict[str, str]] = {
    "smilechat": {"client": USER, "counselor": PSYCHOLOGIST},
    "soulchat": {"用户": USER, "心理咨询师": PSYCHOLOGIST},
    "chatml": {"user": USER, "assistant": PSYCHOLOGIST, "system": IGNORED},
}

# File names a directory import reads, per format.
DIRECTORY_PATTERNS: dict[str, tuple[str, ...]] = {
    "smilechat": ("*.json", "*.jsonl", "*.jsonl.gz"),
    "soulchat": ("*.txt",),
    "chatml": ("*.jsonl", "*.jsonl.gz"),
}

Progress = Callable[[int], None]


class SourceError(Exception):
    """The whole file is unreadable: nothing from it may be stored."""


class FormatError(ValueError):
    """A format name or role map given by the user is not usable."""


@dataclass(frozen=True, slots=True)
class Problem:
    location: str
    reason: str


Record = Dialogue | Problem


def parse_role_map(spec: str) -> dict[str, str]:
    """`来访者=user,心理咨询师=psychologist` → {"来访者": "user", "心理咨询师": "psychologist"}."""
    roles: dict[str, str] = {}
    for item in spec.split(","):
        name, separator, role = (part.strip() for part in item.partition("="))
        if not separator or not name or not role:
            raise FormatError(f"role map item {item.strip()!r} is not NAME=ROLE")
        if role not in (*ROLES, IGNORED):
            raise FormatError(
                f"role map item {item.strip()!r}: role must be one of user, psychologist, ignore"
            )
        if name in roles:
            raise FormatError(f"role map names {name!r} twice")
        roles[name] = role
    if USER not in roles.values() or PSYCHOLOGIST not in roles.values():
        raise FormatError("role map must name at least one user role and one psychologist role")
    return roles


def source_files(path: Path, source_format: str) -> list[Path]:
    """The files an import of `path` reads: the file itself, or a directory's matching files."""
    if source_format not in FORMATS:
        raise FormatError(f"unknown format {source_format!r}: use one of {', '.join(FORMATS)}")
    if path.is_file():
        return [path]
    if path.is_dir():
        found = {
            file
            for pattern in DIRECTORY_PATTERNS[source_format]
            for file in path.glob(pattern)
            if file.is_file() and not file.name.startswith(".")
        }
        if not found:
            patterns = ", ".join(DIRECTORY_PATTERNS[source_format])
            raise FormatError(f"{path} holds no {source_format} files ({patterns})")
        return sorted(found, key=_natural_key)
    raise FormatError(f"{path} does not exist")


def read_file(
    path: Path,
    source_format: str,
    roles: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> Iterator[Record]:
    """Dialogues and problems of one file, streamed; `progress` gets bytes read."""
    role_map = dict(roles) if roles is not None else DEFAULT_ROLES[source_format]
    if source_format == "soulchat":
        yield from _read_soulchat(path, role_map, progress)
    elif source_format == "smilechat" and path.name.endswith(".json"):
        yield from _read_smilechat_file(path, role_map, progress)
    elif source_format in ("smilechat", "chatml"):
        yield from _read_json_lines(path, source_format, role_map, progress)
    else:
        raise FormatError(f"unknown format {source_format!r}: use one of {', '.join(FORMATS)}")


def _natural_key(path: Path) -> tuple[int | str, ...]:
    # 2.json before 10.json, as SMILECHAT's numbered files are meant to be read.
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name))


# --- JSON -----------------------------------------------------------------------------


def _read_smilechat_file(
    path: Path, roles: Mapping[str, str], progress: Progress | None
) -> Iterator[Record]:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise SourceError(f"{path}: cannot be read ({error.strerror})") from None
    try:
        data = json_loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise SourceError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise SourceError(
            f"{path}: not valid JSON ({error.msg} at line {error.lineno} column {error.colno})"
        ) from None
    except JsonTooDeep as error:
        raise SourceError(f"{path}: {error}") from None
    if progress:
        progress(len(raw))
    location = str(path)
    if not isinstance(data, list):
        raise SourceError(f"{path}: expected a JSON list of turns, found {_kind(data)}")
    turns = _json_turns(data, roles, "role", location)
    if isinstance(turns, Problem):
        yield turns
    else:
        yield Dialogue(source_id=file_stem(path), turns=turns, location=location)


def _read_json_lines(
    path: Path, source_format: str, roles: Mapping[str, str], progress: Progress | None
) -> Iterator[Record]:
    turns_key = "dialogue" if source_format == "smilechat" else "messages"
    for line_number, line in _lines(path, progress):
        location = f"{path}:{line_number}"
        if not line.strip():
            continue
        try:
            record = json_loads(line.decode("utf-8"))
        except UnicodeDecodeError:
            yield Problem(location, "line is not UTF-8 text")
            continue
        except json.JSONDecodeError as error:
            yield Problem(location, f"not valid JSON ({error.msg} at column {error.colno})")
            continue
        except JsonTooDeep as error:
            yield Problem(location, str(error))
            continue
        if not isinstance(record, dict):
            yield Problem(location, f"expected a JSON object, found {_kind(record)}")
            continue
        source_id = _record_id(record, source_format, path, line_number)
        if isinstance(source_id, Problem):
            yield Problem(location, source_id.reason)
            continue
        items = record.get(turns_key)
        if not isinstance(items, list):
            yield Problem(location, f'"{turns_key}" must be a list of turns')
            continue
        topic = record.get("topic", "")
        if not isinstance(topic, str):
            yield Problem(location, '"topic" must be a string')
            continue
        turns = _json_turns(items, roles, "role", location)
        if isinstance(turns, Problem):
            yield turns
            continue
        yield Dialogue(source_id=source_id, turns=turns, location=location, topic=topic.strip())


def _record_id(
    record: dict[str, Any], source_format: str, path: Path, line_number: int
) -> str | Problem:
    value = record.get("id")
    if value is None:
        if source_format == "chatml":
            # chatml has no id field of its own; the line number is stable for a file.
            return f"{file_stem(path)}:{line_number}"
        return Problem("", 'missing "id"')
    if isinstance(value, bool) or not isinstance(value, str | int):
        return Problem("", '"id" must be a string or an integer')
    text = str(value).strip()
    if not text:
        return Problem("", '"id" is empty')
    return text


def _json_turns(
    items: list[Any], roles: Mapping[str, str], role_key: str, location: str
) -> tuple[Turn, ...] | Problem:
    turns = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            return Problem(location, f"turn {number}: expected an object, found {_kind(item)}")
        role_name = item.get(role_key)
        content = item.get("content")
        if not isinstance(role_name, str):
            return Problem(location, f'turn {number}: missing "{role_key}"')
        if role_name not in roles:
            known = ", ".join(sorted(roles))
            return Problem(location, f"turn {number}: unknown role {role_name!r} (known: {known})")
        if not isinstance(content, str):
            return Problem(location, f'turn {number}: "content" must be a string')
        role = roles[role_name]
        if role == IGNORED:
            continue
        if not content.strip():
            return Problem(location, f"turn {number}: empty content")
        turns.append(Turn(role=role, content=content.strip()))
    if not turns:
        return Problem(location, "no turns")
    return tuple(turns)


# --- Plain text -----------------------------------------------------------------------

_SEPARATOR = re.compile(r"^===\s*$")


def _read_soulchat(
    path: Path, roles: Mapping[str, str], progress: Progress | None
) -> Iterator[Record]:
    names = sorted(roles, key=len, reverse=True)  # longest first: 心理咨询师 before 咨询师
    turn_start = re.compile(r"^\s*(" + "|".join(map(re.escape, names)) + r")\s*[：:](.*)$")
    blocks: list[tuple[int, list[tuple[int, str]]]] = [(1, [])]
    for line_number, raw in _lines(path, progress):
        try:
            line = raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError:
            raise SourceError(f"{path}:{line_number}: not UTF-8 text") from None
        if _SEPARATOR.match(line):
            blocks.append((line_number + 1, []))
        else:
            blocks[-1][1].append((line_number, line))
    blocks = [block for block in blocks if any(line.strip() for _, line in block[1])]
    stem = file_stem(path)
    for index, (first_line, lines) in enumerate(blocks, start=1):
        source_id = stem if len(blocks) == 1 else f"{stem}#{index}"
        yield _soulchat_dialogue(path, source_id, lines, first_line, turn_start, roles)


def _soulchat_dialogue(
    path: Path,
    source_id: str,
    lines: list[tuple[int, str]],
    first_line: int,
    turn_start: re.Pattern[str],
    roles: Mapping[str, str],
) -> Record:
    turns: list[tuple[int, str, list[str]]] = []  # (line, role name, text lines)
    for line_number, line in lines:
        match = turn_start.match(line)
        if match:
            turns.append((line_number, match.group(1), [match.group(2)]))
        elif turns:
            turns[-1][2].append(line)
        elif line.strip():
            return Problem(f"{path}:{line_number}", "text before the first role line")
    if not turns:
        return Problem(f"{path}:{first_line}", "no turns")
    result = []
    for line_number, name, text_lines in turns:
        role = roles[name]
        content = "\n".join(text_lines).strip()
        if role == IGNORED:
            continue
        if not content:
            return Problem(f"{path}:{line_number}", f"empty {name} turn")
        result.append(Turn(role=role, content=content))
    return Dialogue(source_id=source_id, turns=tuple(result), location=f"{path}:{turns[0][0]}")


# --- Files ----------------------------------------------------------------------------


def _lines(path: Path, progress: Progress | None) -> Iterator[tuple[int, bytes]]:
    """Numbered raw lines, gzip or not; reports compressed bytes read to `progress`."""
    try:
        raw_file: BinaryIO = path.open("rb")
    except OSError as error:
        raise SourceError(f"{path}: cannot be read ({error.strerror})") from None
    with raw_file:
        stream: Iterable[bytes] = (
            gzip.GzipFile(fileobj=raw_file) if path.suffix == ".gz" else raw_file
        )
        position = 0
        try:
            for line_number, line in enumerate(stream, start=1):
                yield line_number, line
                if progress:
                    now = raw_file.tell()
                    progress(now - position)
                    position = now
        except (OSError, EOFError, zlib.error) as error:
            raise SourceError(f"{path}: cannot be decompressed ({error})") from None


def file_stem(path: Path) -> str:
    """`dev.jsonl.gz` → `dev`: the name a file gives its dialogues and datasets."""
    name = path.name
    for suffix in (".gz", ".jsonl", ".json", ".txt"):
        name = name.removesuffix(suffix)
    return name


def _kind(value: Any) -> str:
    kinds: dict[type, str] = {dict: "an object", list: "a list", str: "a string"}
    return kinds.get(type(value), type(value).__name__)


# --- Export ---------------------------------------------------------------------------

EXPORT_FORMATS = ("chatml", "soulchat-sft")

_CHATML_ROLES = {USER: "user", PSYCHOLOGIST: "assistant"}


def export_record(
    export_format: str, *, source_id: str, context: list[Turn], reference: str
) -> dict[str, Any]:
    """One training example: the context and the psychologist's reply to it."""
    if export_format == "chatml":
        messages = [{"role": _CHATML_ROLES[turn.role], "content": turn.content} for turn in context]
        messages.append({"role": "assistant", "content": reference})
        return {"id": source_id, "messages": messages}
    if export_format == "soulchat-sft":
        return {"input": soulchat_prompt(context), "target": reference}
    raise FormatError(f"unknown export format {export_format!r}: use {', '.join(EXPORT_FORMATS)}")
