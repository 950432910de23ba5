"""The CEHS judge prompt: the portal's bilingual rubric and anchors, the conversation and
one response, and the answer asked for as strict JSON. No Django here.

The rubric is handed in (annotation.rubric.SCALES, from the app above this one), and the
rendered system message is what a judge run keeps, so a verdict can always be traced to
the exact words its judge read. The judge never learns which system answered.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

# Bump when a word of the rendered prompt changes: verdicts are kept per version.
PROMPT_VERSION = "cehs-judge-1"


class RubricAnchor(Protocol):
    @property
    def score(self) -> int: ...
    @property
    def zh(self) -> str: ...
    @property
    def en(self) -> str: ...


class RubricScale(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def name_zh(self) -> str: ...
    @property
    def name_en(self) -> str: ...
    @property
    def question_zh(self) -> str: ...
    @property
    def question_en(self) -> str: ...
    @property
    def anchors(self) -> Sequence[RubricAnchor]: ...


@dataclass(frozen=True)
class Turn:
    role: str  # "user" or "psychologist"
    content: str


SPEAKERS = {"user": "用户 · User", "psychologist": "心理咨询师 · Psychologist"}


def system_message(scales: Sequence[RubricScale]) -> str:
    """The judge's instructions: every scale with its question and anchors, and the
    answer's exact shape."""
    lines = [
        "你是一位资深心理咨询督导，请按以下量表为一条心理咨询回复独立评分。",
        "You are a senior counselling supervisor. Rate one counselling response on each "
        "scale below, each on its own.",
        "",
    ]
    for scale in scales:
        top = max(anchor.score for anchor in scale.anchors)
        lines.append(f"## {scale.key}: {scale.name_zh} · {scale.name_en} (0–{top})")
        lines.append(f"{scale.question_zh} {scale.question_en}")
        lines.extend(f"- {anchor.score}: {anchor.zh} {anchor.en}" for anchor in scale.anchors)
        lines.append("")
    example = {scale.key: 0 for scale in scales} | {"reason": "…"}
    lines += [
        "只输出一个 JSON 对象，不要输出其他文字。Answer with one JSON object and nothing else:",
        json.dumps(example, ensure_ascii=False),
        "Every score is an integer in its scale's range; the reason is one short sentence.",
    ]
    return "\n".join(lines)


def user_message(conversation: Sequence[Turn], response: str) -> str:
    """The conversation so far and the response under review, nothing else about it."""
    lines = ["对话 · Conversation so far:"]
    lines.extend(f"{SPEAKERS.get(turn.role, turn.role)}: {turn.content}" for turn in conversation)
    lines += ["", "待评回复 · Response under review:", response]
    return "\n".join(lines)


def judge_messages(
    system: str, conversation: Sequence[Turn], response: str
) -> list[dict[str, str]]:
    """Chat messages for one verdict, with `system` from system_message()."""
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": user_message(conversation, response)},
    ]


# The pairwise judge's prompt, versioned on its own.
PAIR_PROMPT_VERSION = "cehs-pair-judge-1"
PAIR_ANSWERS = {"A": "first", "B": "second", "tie": "tie"}


def pair_system_message(scales: Sequence[RubricScale]) -> str:
    """The pairwise judge's instructions: the same scales as the guide to quality, and
    one preference between two responses as the answer."""
    lines = [
        "你是一位资深心理咨询督导。下面是同一段对话的两条心理咨询回复 A 和 B，"
        "请按以下量表判断哪条更好。",
        "You are a senior counselling supervisor. Two counselling responses, A and B, answer "
        "the same conversation; judge which is better by the scales below.",
        "不要因为回复的先后顺序或长短而偏向任何一方。Do not favour a response for its position "
        "or its length.",
        "",
    ]
    for scale in scales:
        lines.append(
            f"## {scale.name_zh} · {scale.name_en}: {scale.question_zh} {scale.question_en}"
        )
    lines += [
        "",
        "只输出一个 JSON 对象，不要输出其他文字。Answer with one JSON object and nothing else:",
        json.dumps({"better": "A", "reason": "…"}, ensure_ascii=False),
        'better is "A", "B" or "tie"; the reason is one short sentence.',
    ]
    return "\n".join(lines)


def pair_user_message(conversation: Sequence[Turn], first: str, second: str) -> str:
    """The conversation and the two responses as A (first) and B, nothing else."""
    lines = ["对话 · Conversation so far:"]
    lines.extend(f"{SPEAKERS.get(turn.role, turn.role)}: {turn.content}" for turn in conversation)
    lines += ["", "回复 A · Response A:", first, "", "回复 B · Response B:", second]
    return "\n".join(lines)
