"""Dialogues, the samples cut from them, and the train/test split. No Django here.

A sample is made at every psychologist turn that has a user turn somewhere before it:
its context is every earlier turn and its reference is that turn, as SoulChat and
SMILE build their training samples.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

USER = "user"
PSYCHOLOGIST = "psychologist"
ROLES = (USER, PSYCHOLOGIST)

TRAIN = "train"
TEST = "test"


@dataclass(frozen=True, slots=True)
class Turn:
    role: str
    content: str

    def as_json(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True, slots=True)
class Dialogue:
    source_id: str
    turns: tuple[Turn, ...]
    # Where it was read, for messages: "file.jsonl:12" or "dir/123.json".
    location: str
    topic: str = ""


@dataclass(frozen=True, slots=True)
class SampleDraft:
    turn_index: int
    context: tuple[Turn, ...]
    reference: str


def dialogue_samples(dialogue: Dialogue) -> list[SampleDraft]:
    samples = []
    seen_user = False
    for index, turn in enumerate(dialogue.turns):
        if turn.role == USER:
            seen_user = True
        elif turn.role == PSYCHOLOGIST and seen_user:
            samples.append(
                SampleDraft(
                    turn_index=index, context=dialogue.turns[:index], reference=turn.content
                )
            )
    return samples


def sample_source_id(dialogue_id: str, turn_index: int) -> str:
    return f"{dialogue_id}#{turn_index}"


def split_for(*, dataset_name: str, dialogue_id: str, test_ratio: float, seed: str) -> str:
    """Deterministic split of a whole dialogue, so no dialogue straddles train and test.

    The hash of (seed, dataset name, dialogue id) gives a number in [0, 1); below the
    test ratio means test. It depends on nothing else, so re-imports, other machines
    and other Python versions agree.
    """
    key = "\x1f".join((seed, dataset_name, dialogue_id)).encode()
    position = int.from_bytes(hashlib.sha256(key).digest()[:8], "big") / 2**64
    return TEST if position < test_ratio else TRAIN
