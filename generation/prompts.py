"""Model input built from a context, as the SoulChat paper formats it. No Django here."""

from __future__ import annotations

from collections.abc import Iterable

from generation.dialogues import USER, Turn

SOULCHAT_ROLE_NAMES = {USER: "用户", "psychologist": "心理咨询师"}


def soulchat_prompt(context: Iterable[Turn]) -> str:
    """`用户：u1\\n心理咨询师：p1\\n…用户：uN\\n心理咨询师：`, the model writes the rest."""
    lines = [f"{SOULCHAT_ROLE_NAMES[turn.role]}：{turn.content}" for turn in context]
    lines.append(f"{SOULCHAT_ROLE_NAMES['psychologist']}：")
    return "\n".join(lines)
