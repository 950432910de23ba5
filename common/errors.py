"""The one error path of every service and selector: a `ServiceError` with a code, which
the API (common.api_errors), commands (common.commands) and admin
forms each turn into their own answer in one place. No Django here."""

from __future__ import annotations

from collections.abc import Mapping

# What went wrong, for the API's status: the caller's input (400), something missing
# (404), the state of what they asked about (409), not theirs (403), a part that cannot
# work now (503).
INVALID, NOT_FOUND, CONFLICT, FORBIDDEN, UNAVAILABLE = (
    "invalid", "not_found", "conflict", "forbidden", "unavailable",
)  # fmt: skip
CODES = (INVALID, NOT_FOUND, CONFLICT, FORBIDDEN, UNAVAILABLE)


class ServiceError(Exception):
    """A refusal said in words for the person who asked; nothing was changed.

    ``code`` (one of CODES) is the class's unless given; ``errors`` maps a field to its
    message where the refusal is about particular fields ("__all__" when not)."""

    code: str = INVALID

    def __init__(
        self, message: str = "", *, code: str | None = None, errors: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        if code is not None:
            if code not in CODES:
                raise ValueError(f"unknown service error code {code!r}")
            self.code = code
        self.errors = dict(errors) if errors else {"__all__": message}
