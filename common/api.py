"""What every DRF API of the project shares."""

from __future__ import annotations

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from common.json_input import MAX_DEPTH, JsonTooDeep, nesting_exceeds


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, refusing nesting deeper than common.json_input.MAX_DEPTH with
    a 400 like any malformed body (Python's parser would raise RecursionError: a 500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON parse error - {JsonTooDeep(MAX_DEPTH)}") from None
        if nesting_exceeds(data, MAX_DEPTH):
            raise ParseError(f"JSON parse error - {JsonTooDeep(MAX_DEPTH)}")
        return data
