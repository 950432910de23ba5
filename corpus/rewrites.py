"""A rewriter's text made into a dialogue, checked, and screened for crisis and privacy
markers: the pure part of the corpus builder. No Django here.

The rewriter (an LLM asked to turn a single-turn counselling answer into a multi-turn
dialogue) writes free text. Its turns are found line by line: a line that opens with a
role name (用户/来访者/求助者 or 心理咨询师/咨询师/支持者, before a full-width or ASCII
colon, under any numbering or markdown) starts a turn; other lines continue it; anything
before the first turn (an analysis, a heading) is left out.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from common.highlight import MarkerHit
from common.json_input import JsonTooDeep, json_loads
from generation.dialogues import PSYCHOLOGIST, USER, Turn

ROLE_ALIASES = {
    "用户": USER,
    "来访者": USER,
    "求助者": USER,
    "心理咨询师": PSYCHOLOGIST,
    "咨询师": PSYCHOLOGIST,
    "支持者": PSYCHOLOGIST,
}
MIN_ROUNDS, MAX_ROUNDS = 8, 20
DEFAULT_MAX_TURN_CHARS = 300

# Longest alias first, so that 心理咨询师 is not read as 咨询师 after a stray prefix.
_ALIASES = "|".join(sorted(ROLE_ALIASES, key=len, reverse=True))
_TURN_START = re.compile(
    r"^\s*(?:[-*+>#]+\s*)*"  # markdown bullets, quotes, headings
    # numbering: 1. / 1、 / (1) / 【1】 / 第1轮
    r"(?:[(（\[【]?\s*(?:第\s*)?[0-9０-９一二三四五六七八九十]+\s*(?:轮)?\s*[)）\]】.、:：]?\s*)?"
    r"(?:\*\*|__)?\s*(?P<role>" + _ALIASES + r")\s*(?:\*\*|__)?\s*"
    r"(?:[(（][^)）]{0,20}[)）])?\s*"  # a remark such as （轻声）
    r"[:：]\s*(?:\*\*|__)?\s*(?P<text>.*)$"
)
_MARKDOWN_NOISE = re.compile(r"(\*\*|__|`)")


class RewriteRejected(ValueError):
    """The rewrite is not a usable dialogue; `code` names the rule, the message says why."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


@dataclass(frozen=True)
class RewriteRules:
    min_rounds: int = MIN_ROUNDS
    max_rounds: int = MAX_ROUNDS
    max_turn_chars: int = DEFAULT_MAX_TURN_CHARS


def rewrite_parse(text: str) -> list[Turn]:
    """The turns of a rewriter's text, in order, with whitespace and markdown removed;
    consecutive lines of one speaker are one turn."""
    turns: list[tuple[str, list[str]]] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        match = _TURN_START.match(line)
        if match:
            turns.append((ROLE_ALIASES[match["role"]], [match["text"]]))
        elif turns and line.strip() and not line.strip().startswith("```"):
            turns[-1][1].append(line)
    dialogue: list[Turn] = []
    for role, lines in turns:
        content = _MARKDOWN_NOISE.sub("", " ".join(part.strip() for part in lines)).strip()
        if dialogue and dialogue[-1].role == role:
            # The same speaker twice in a row: one turn written over two paragraphs.
            dialogue[-1] = Turn(role, f"{dialogue[-1].content} {content}".strip())
        else:
            dialogue.append(Turn(role, content))
    return dialogue


def rewrite_check(turns: Sequence[Turn], rules: RewriteRules = RewriteRules()) -> None:
    """RewriteRejected unless the dialogue starts with the user, ends with the
    psychologist, has rules.min_rounds to max_rounds rounds and no empty or overlong turn.
    (Parsing already merges a speaker's consecutive lines, so turns alternate.)"""
    if not turns:
        raise RewriteRejected("no_dialogue", "no turn of 用户 or 心理咨询师 was found")
    if turns[0].role != USER:
        raise RewriteRejected(
            "starts_with_psychologist", "the dialogue starts with the psychologist"
        )
    if turns[-1].role != PSYCHOLOGIST:
        raise RewriteRejected("ends_with_user", "the dialogue ends with the user")
    for position, turn in enumerate(turns, 1):
        if not turn.content:
            raise RewriteRejected("empty_turn", f"turn {position} is empty")
        if len(turn.content) > rules.max_turn_chars:
            raise RewriteRejected(
                "turn_too_long",
                f"turn {position} has {len(turn.content)} characters (at most "
                f"{rules.max_turn_chars})",
            )
    rounds = len(turns) // 2
    if rounds < rules.min_rounds:
        raise RewriteRejected("too_few_rounds", f"{rounds} rounds (at least {rules.min_rounds})")
    if rounds > rules.max_rounds:
        raise RewriteRejected("too_many_rounds", f"{rounds} rounds (at most {rules.max_rounds})")


# --- Crisis and privacy markers ---------------------------------------------------------

# The paper's three, then other words of self-harm that a counselling corpus must not
# keep unread.
DEFAULT_MARKER_WORDS = ("我是", "自杀", "跳楼", "轻生", "割腕", "不想活")
DEFAULT_MARKER_PATTERNS = {
    "phone number": r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?!\d)",
    "landline number": r"(?<!\d)0\d{2,3}-\d{7,8}(?!\d)",
    "ID-card number": r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])",
    "e-mail address": r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+",
}


class MarkerScreen:
    """Finds crisis and privacy markers (words and named patterns) in dialogues."""

    def __init__(
        self,
        words: Iterable[str] = DEFAULT_MARKER_WORDS,
        patterns: dict[str, str] | None = None,
    ) -> None:
        self.words = tuple(word for word in words if word)
        named = DEFAULT_MARKER_PATTERNS if patterns is None else patterns
        self.patterns = {name: re.compile(pattern) for name, pattern in named.items()}

    def hits(self, turns: Sequence[Turn]) -> list[MarkerHit]:
        found = []
        for index, turn in enumerate(turns):
            for word in self.words:
                start = turn.content.find(word)
                while start != -1:
                    found.append(MarkerHit(index, start, start + len(word), word))
                    start = turn.content.find(word, start + 1)
            for name, pattern in self.patterns.items():
                found.extend(
                    MarkerHit(index, match.start(), match.end(), name)
                    for match in pattern.finditer(turn.content)
                )
        return sorted(found, key=lambda hit: (hit.turn, hit.start, hit.end))


# --- The verdict on one output ------------------------------------------------------------

ACCEPTED, REJECTED, QUARANTINED = "accepted", "rejected", "quarantined"


@dataclass(frozen=True)
class RewriteVerdict:
    outcome: str  # ACCEPTED, REJECTED or QUARANTINED
    turns: list[Turn]
    code: str = ""  # the rule a rejected dialogue broke
    message: str = ""
    hits: tuple[MarkerHit, ...] = ()

    @property
    def rounds(self) -> int:
        return sum(turn.role == PSYCHOLOGIST for turn in self.turns)


def rewrite_judge(text: str, rules: RewriteRules, screen: MarkerScreen) -> RewriteVerdict:
    """Parse, check, then screen: a usable dialogue with a crisis or privacy marker is
    set aside for a person to decide, never kept or dropped silently."""
    turns = rewrite_parse(text)
    try:
        rewrite_check(turns, rules)
    except RewriteRejected as rejection:
        return RewriteVerdict(REJECTED, turns, rejection.code, str(rejection))
    hits = tuple(screen.hits(turns))
    if hits:
        markers = ", ".join(dict.fromkeys(hit.marker for hit in hits))
        return RewriteVerdict(QUARANTINED, turns, "markers", f"contains {markers}", hits)
    return RewriteVerdict(ACCEPTED, turns)


# --- Single-turn input ------------------------------------------------------------------

TOPICS = (
    "家庭", "婚恋", "性心理", "成长发展", "人际关系", "职场",
    "自我认知", "行为", "情绪", "治疗", "社会事件", "心理学知识",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class QARecord:
    """One answer to rewrite: a question with several answers gives one record each."""

    source_id: str  # "ID#N", N counting the question's answers from 1
    question: str
    description: str
    answer: str
    topic: str
    line: int = 0  # where it was read


@dataclass(frozen=True, slots=True)
class LineProblem:
    line: int
    message: str


def _text_field(record: dict[str, Any], name: str, *, required: bool) -> str:
    value = record.get(name)
    if value is None:
        if required:
            raise ValueError(f'"{name}" is missing')
        return ""
    if not isinstance(value, str):
        raise ValueError(f'"{name}" is not text')
    if required and not value.strip():
        raise ValueError(f'"{name}" is empty')
    return value.strip()


def qa_records(lines: Iterable[str]) -> Iterable[QARecord | LineProblem]:
    """Records of PsyQA-like JSON lines `{"id", "question", "description"?, "answer" |
    "answers", "topic"?}`; a line that cannot be used becomes a LineProblem naming it."""
    seen: set[str] = set()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            try:
                record = json_loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(
                    f"not a JSON object ({error.msg} at column {error.colno})"
                ) from None
            except JsonTooDeep as error:
                raise ValueError(f"not a usable JSON object ({error})") from None
            if not isinstance(record, dict):
                raise ValueError("not a JSON object")
            identifier = record.get("id")
            if isinstance(identifier, bool) or not isinstance(identifier, str | int):
                raise ValueError('"id" is missing or not text or a number')
            identifier = str(identifier).strip()
            if not identifier:
                raise ValueError('"id" is empty')
            if identifier in seen:
                raise ValueError(f"id {identifier!r} was already used on an earlier line")
            question = _text_field(record, "question", required=True)
            description = _text_field(record, "description", required=False)
            topic = _text_field(record, "topic", required=False)
            if "answers" in record:
                answers = record["answers"]
                if not isinstance(answers, list) or not answers:
                    raise ValueError('"answers" is not a non-empty list')
                texts = [_text_field({"answer": item}, "answer", required=True) for item in answers]
            else:
                texts = [_text_field(record, "answer", required=True)]
        except ValueError as error:
            yield LineProblem(number, str(error))
            continue
        seen.add(identifier)
        for position, answer in enumerate(texts, 1):
            yield QARecord(f"{identifier}#{position}", question, description, answer, topic, number)


# --- Statistics ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CorpusStatistics:
    dialogues: int
    rounds: dict[int, int]  # rounds → dialogues
    topics: dict[str, int]  # each of TOPICS, then "other" and "none"
    psychologist_words: list[tuple[str, float]]  # TF-IDF keywords, heaviest first


def corpus_statistics(
    dialogues: Sequence[Sequence[Turn]], topics: Sequence[str], *, words: int = 50
) -> CorpusStatistics:
    """What the paper shows of its corpus: rounds, topics, and the words psychologists
    use most (jieba's TF-IDF keywords, the basis of its word cloud)."""
    # Imported here: parsing and checking should not pay for jieba's start-up.
    import jieba
    import jieba.analyse

    jieba.setLogLevel(logging.WARNING)  # its dictionary loading talks at DEBUG into commands
    if len(dialogues) != len(topics):
        raise ValueError("one topic (or an empty one) per dialogue")
    rounds: dict[int, int] = {}
    for turns in dialogues:
        count = sum(turn.role == PSYCHOLOGIST for turn in turns)
        rounds[count] = rounds.get(count, 0) + 1
    topic_counts = dict.fromkeys((*TOPICS, "other", "none"), 0)
    for topic in topics:
        key = topic if topic in TOPICS else "other" if topic else "none"
        topic_counts[key] += 1
    text = "\n".join(
        turn.content for turns in dialogues for turn in turns if turn.role == PSYCHOLOGIST
    )
    keywords = jieba.analyse.extract_tags(text, topK=words, withWeight=True) if text else []
    return CorpusStatistics(
        dialogues=len(dialogues),
        rounds=dict(sorted(rounds.items())),
        topics=topic_counts,
        psychologist_words=[(word, float(weight)) for word, weight in keywords],
    )
