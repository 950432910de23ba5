"""Cutting a text at the spans a screen found, so a page can mark them (the corpus
builder's crisis markers, a study's identity leaks). No Django here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MarkerHit:
    turn: int  # index into the dialogue's turns
    start: int  # character span within that turn's content
    end: int
    marker: str  # the word, or the name of the pattern


def highlighted(content: str, hits: Iterable[MarkerHit]) -> list[tuple[str, str]]:
    """A turn's text cut into (piece, marker) pairs, marker "" between hits, so a page can
    mark the hits; overlapping hits are merged into one."""
    spans: list[tuple[int, int, str]] = []
    for hit in sorted(hits, key=lambda hit: (hit.start, hit.end)):
        if spans and hit.start < spans[-1][1]:
            start, end, marker = spans[-1]
            if hit.marker not in marker:
                marker += f", {hit.marker}"
            spans[-1] = (start, max(end, hit.end), marker)
        else:
            spans.append((hit.start, hit.end, hit.marker))
    pieces: list[tuple[str, str]] = []
    position = 0
    for start, end, marker in spans:
        if start > position:
            pieces.append((content[position:start], ""))
        pieces.append((content[start:end], marker))
        position = end
    if position < len(content):
        pieces.append((content[position:], ""))
    return pieces
