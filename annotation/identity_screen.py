"""Self-identification in a response ("我是ChatGLM", "作为一个AI语言模型", "as an AI language
model") tells an annotator which system wrote it: a study holds such items back until an
admin masks the span or leaves the item out. Pure computation, no Django."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Model and company names, and the phrases models introduce themselves with. A study adds
# the names of its own systems (their names, models and checkpoint folders).
DEFAULT_IDENTITY_PATTERNS = (
    "ChatGLM", "GLM", "Qwen", "通义", "文心", "智谱", "OpenAI", "ChatGPT", "GPT-4", "GPT-3.5",
    "Claude", "Llama", "MeChat", "SoulChat", "百川", "Baichuan", "InternLM", "书生",
    "作为一个AI", "作为AI", "作为一个人工智能", "作为人工智能", "作为AI语言模型",
    "作为一个语言模型", "我是一个人工智能", "我是人工智能", "我是一个AI", "我是AI",
    "AI语言模型", "人工智能助手", "as an AI language model", "as an AI", "I am an AI",
    "language model",
)  # fmt: skip
# What an annotator sees in place of a masked span: it says something was taken out and
# nothing about what.
PLACEHOLDER = "［…］"


@dataclass(frozen=True)
class IdentityMatch:
    start: int
    end: int
    pattern: str

    def as_json(self) -> dict[str, int | str]:
        return {"start": self.start, "end": self.end, "pattern": self.pattern}


def _expression(pattern: str) -> str:
    """A literal pattern, case and spacing aside; a Latin name is not matched inside a
    longer Latin word ("GLM" is not in "GLMX", but it is in "ChatGLM2")."""
    body = r"\s+".join(re.escape(part) for part in pattern.split())
    before = r"(?<![A-Za-z])" if pattern[:1].isascii() and pattern[:1].isalpha() else ""
    after = r"(?![A-Za-z])" if pattern[-1:].isascii() and pattern[-1:].isalpha() else ""
    return f"{before}{body}{after}"


class IdentityScreen:
    """Finds the patterns in a text, the longest at each place. Matches that overlap are
    all kept (a mask must cover their union: in 作为一个AI语言模型 both 作为一个AI and
    AI语言模型 match, and masking only the first would leave 语言模型 to give the answer
    away); a match inside an earlier one adds nothing and is left out."""

    def __init__(self, patterns: Iterable[str]) -> None:
        unique = {pattern.strip() for pattern in patterns if pattern and pattern.strip()}
        self.patterns = sorted(unique, key=lambda pattern: (-len(pattern), pattern.casefold()))
        # A lookahead matches at every position, so overlapping matches are all found.
        self._expression = (
            re.compile(
                "(?=(?:" + "|".join(f"({_expression(p)})" for p in self.patterns) + "))",
                re.IGNORECASE,
            )
            if self.patterns
            else None
        )

    def matches(self, text: str) -> list[IdentityMatch]:
        if self._expression is None or not text:
            return []
        found: list[IdentityMatch] = []
        covered = 0
        for match in self._expression.finditer(text):
            group = match.lastindex
            if group is None:  # the lookahead always holds one group; for the checker
                continue
            end = match.end(group)
            if end <= covered:
                continue
            found.append(IdentityMatch(match.start(group), end, self.patterns[group - 1]))
            covered = end
        return found


def identity_masked(
    text: str, matches: Sequence[IdentityMatch], placeholder: str = PLACEHOLDER
) -> str:
    """The text with every matched span (overlaps merged) replaced by the placeholder."""
    pieces, position = [], 0
    for start, end in _merged(matches):
        pieces.append(text[position:start])
        pieces.append(placeholder)
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def _merged(matches: Sequence[IdentityMatch]) -> list[tuple[int, int]]:
    spans: list[list[int]] = []
    for match in sorted(matches, key=lambda match: (match.start, match.end)):
        if spans and match.start <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], match.end)
        else:
            spans.append([match.start, match.end])
    return [(start, end) for start, end in spans]
