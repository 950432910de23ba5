"""Model input built from a context, and fitted to a token budget. No Django here.

Presets:
- ``soulchat``: the paper's string, ``用户：u1\\n心理咨询师：p1\\n…用户：uN\\n心理咨询师：``, no
  system prompt; the model writes the rest.
- ``mechat``: the same shape in MeChat's roles, ``求助者：…\\n支持者：…\\n支持者：``.
- ``chat``: user/assistant messages (and an optional system prompt) that the model's
  own chat template renders; API systems receive the messages as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from generation.dialogues import PSYCHOLOGIST, USER, Turn

SOULCHAT = "soulchat"
CHAT = "chat"
MECHAT = "mechat"
PRESETS = (SOULCHAT, CHAT, MECHAT)

DEFAULT_INPUT_BUDGET = 1536

ROLE_NAMES = {
    SOULCHAT: {USER: "用户", PSYCHOLOGIST: "心理咨询师"},
    MECHAT: {USER: "求助者", PSYCHOLOGIST: "支持者"},
}
CHAT_ROLES = {USER: "user", PSYCHOLOGIST: "assistant"}


def role_prefixed_transcript(turns: Iterable[Turn], preset: str = SOULCHAT) -> str:
    names = ROLE_NAMES[preset]
    return "\n".join(f"{names[turn.role]}：{turn.content}" for turn in turns)


def role_prefixed_prompt(context: Iterable[Turn], preset: str = SOULCHAT) -> str:
    return f"{role_prefixed_transcript(context, preset)}\n{ROLE_NAMES[preset][PSYCHOLOGIST]}："


def soulchat_prompt(context: Iterable[Turn]) -> str:
    """`用户：u1\\n心理咨询师：p1\\n…用户：uN\\n心理咨询师：`, the model writes the rest."""
    return role_prefixed_prompt(context, SOULCHAT)


def mechat_prompt(context: Iterable[Turn]) -> str:
    return role_prefixed_prompt(context, MECHAT)


def chat_messages(context: Iterable[Turn], system_prompt: str = "") -> list[dict[str, str]]:
    messages = [{"role": "system", "content": system_prompt}] if system_prompt else []
    messages.extend({"role": CHAT_ROLES[turn.role], "content": turn.content} for turn in context)
    return messages


def chat_transcript(messages: Sequence[dict[str, str]]) -> str:
    """What an API chat request is measured by when no chat template is at hand."""
    return "\n".join(f"{message['role']}: {message['content']}" for message in messages)


def response_clean(text: str, preset: str) -> str:
    """A completion-style model often goes on to write the client's next turn: cut it."""
    names = ROLE_NAMES.get(preset)
    if names is not None:
        text = text.split(f"\n{names[USER]}：", 1)[0]
    return text.strip()


def stop_strings(preset: str) -> list[str]:
    names = ROLE_NAMES.get(preset)
    return [f"\n{names[USER]}："] if names else []


# --- The input budget -----------------------------------------------------------------


class TextTokenizer(Protocol):
    def encode(self, text: str) -> list[int]: ...

    def decode(self, ids: Sequence[int]) -> str: ...


class CharacterTokenizer:
    """One token per character: the measure for API systems that name no tokenizer.
    Common tokenizers give Chinese text at most about one token per character."""

    def encode(self, text: str) -> list[int]:
        return [ord(character) for character in text]

    def decode(self, ids: Sequence[int]) -> str:
        return "".join(chr(code) for code in ids)


class PromptError(ValueError):
    """This context cannot be made into a prompt within the budget."""


class TokenCounter:
    """A model's tokenizer as the prompt budget sees it (and as the model is fed)."""

    def __init__(self, tokenizer: Any, *, add_special_tokens: bool) -> None:
        self.tokenizer = tokenizer
        self.add_special_tokens = add_special_tokens

    def encode(self, text: str) -> list[int]:
        return list(self.tokenizer.encode(text, add_special_tokens=self.add_special_tokens))

    def decode(self, ids: Sequence[int]) -> str:
        return str(self.tokenizer.decode(list(ids), skip_special_tokens=True))


def model_token_counter(tokenizer: Any, preset: str) -> TokenCounter:
    # A chat template writes its own begin-of-text token; a plain string gets the
    # tokenizer's special tokens, exactly as the model will see them.
    return TokenCounter(tokenizer, add_special_tokens=preset != CHAT)


def model_prompt_renderer(
    tokenizer: Any, preset: str, system_prompt: str = ""
) -> Callable[[Sequence[Turn]], str]:
    """How a local model's prompt is written from context turns: one function for
    generation and for training, so the two never disagree."""
    if preset == CHAT:
        if not getattr(tokenizer, "chat_template", None):
            raise PromptError(
                "the prompt preset 'chat' needs the tokenizer's chat template, and this "
                "tokenizer has none; use the 'soulchat' or 'mechat' preset"
            )

        def render(turns: Sequence[Turn]) -> str:
            return str(
                tokenizer.apply_chat_template(
                    chat_messages(turns, system_prompt), tokenize=False, add_generation_prompt=True
                )
            )

        return render
    if preset not in ROLE_NAMES:
        raise PromptError(f"unknown prompt preset {preset!r}; one of {', '.join(PRESETS)}")
    return lambda turns: role_prefixed_prompt(turns, preset)


@dataclass(frozen=True, slots=True)
class FittedPrompt:
    text: str
    token_ids: list[int]
    turns: tuple[Turn, ...]
    # Whole turns left out from the oldest end.
    dropped_turns: int
    # The last user turn itself was too long and lost its beginning.
    truncated: bool


def prompt_fit(
    context: Sequence[Turn],
    *,
    render: Callable[[Sequence[Turn]], str],
    tokenizer: TextTokenizer,
    budget: int = DEFAULT_INPUT_BUDGET,
) -> FittedPrompt:
    """The longest suffix of `context` whose rendered prompt fits in `budget` tokens.

    Whole turns go from the oldest end; the last user turn always stays. If the prompt
    made of the last user turn and what follows it is still too long, the beginning of
    that user turn is cut (its end, nearest the reply, matters most).
    """
    if budget < 1:
        raise PromptError(f"the input budget must be at least 1 token, not {budget}")
    context = tuple(context)
    user_positions = [index for index, turn in enumerate(context) if turn.role == USER]
    if not user_positions:
        raise PromptError("the context has no user turn to answer")
    last_user = user_positions[-1]

    def measured(start: int) -> FittedPrompt:
        text = render(context[start:])
        return FittedPrompt(text, tokenizer.encode(text), context[start:], start, False)

    whole = measured(0)
    if len(whole.token_ids) <= budget:
        return whole
    shortest = measured(last_user)
    if len(shortest.token_ids) > budget:
        return _cut_last_user_turn(context[last_user:], last_user, render, tokenizer, budget)
    # Fewer turns never make a longer prompt, so the first start that fits is found by
    # bisection: a handful of renders however long the dialogue.
    low, high = 1, last_user
    best = shortest
    while low < high:
        middle = (low + high) // 2
        candidate = measured(middle)
        if len(candidate.token_ids) <= budget:
            best, high = candidate, middle
        else:
            low = middle + 1
    return best


def _cut_last_user_turn(
    kept: tuple[Turn, ...],
    dropped: int,
    render: Callable[[Sequence[Turn]], str],
    tokenizer: TextTokenizer,
    budget: int,
) -> FittedPrompt:
    user_turn, after = kept[0], kept[1:]
    frame = tokenizer.encode(render((Turn(USER, ""), *after)))
    room = budget - len(frame)
    if room < 1:
        raise PromptError(
            f"the prompt without the client's words already takes {len(frame)} tokens; "
            f"the input budget is {budget}"
        )
    content_ids = tokenizer.encode(user_turn.content)
    keep = min(room, len(content_ids))
    while keep > 0:
        # A byte-level tokenizer can split a character; a partial one decodes as U+FFFD.
        content = tokenizer.decode(content_ids[-keep:]).lstrip("\ufffd")
        turns = (Turn(USER, content), *after)
        text = render(turns)
        token_ids = tokenizer.encode(text)
        # Tokens can merge differently across the cut: measure again, shrink if needed.
        if len(token_ids) <= budget:
            return FittedPrompt(text, token_ids, turns, dropped, True)
        keep -= max(1, len(token_ids) - budget)
    raise PromptError(f"no part of the client's last turn fits in {budget} tokens")
