"""CSV that Excel opens right and that cannot run as a formula: a UTF-8 byte-order mark
first, and any cell starting with = + - @ tab or CR prefixed with an apostrophe. No
Django here; views stream what ``csv_lines`` yields."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

BOM = "\ufeff"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell_safe(value: object) -> object:
    """Text that a spreadsheet would read as a formula gets a leading apostrophe;
    numbers stay numbers (a negative number is data, not a formula)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def csv_lines(rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """The BOM, then one CSV line per row, each produced as it is needed."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    yield BOM
    for row in rows:
        writer.writerow([cell_safe(value) for value in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
