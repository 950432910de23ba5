"""Samples cut from dialogues, and the split: no database."""

from __future__ import annotations

from generation.dialogues import (
    PSYCHOLOGIST,
    TEST,
    TRAIN,
    USER,
    Dialogue,
    Turn,
    dialogue_samples,
    split_for,
)


def make(*roles: str) -> Dialogue:
    turns = tuple(Turn(role, f"{role}{index}") for index, role in enumerate(roles))
    return Dialogue(source_id="d", turns=turns, location="here")


def test_one_sample_per_psychologist_turn_after_a_user_turn():
    dialogue = make(PSYCHOLOGIST, USER, PSYCHOLOGIST, PSYCHOLOGIST, USER, USER, PSYCHOLOGIST)
    samples = dialogue_samples(dialogue)
    assert [sample.turn_index for sample in samples] == [2, 3, 6]
    # Context is every earlier turn, the opening psychologist turn and repeats included.
    assert samples[0].context == dialogue.turns[:2]
    assert samples[2].context == dialogue.turns[:6]
    assert samples[2].reference == "psychologist6"


def test_no_sample_without_a_user_turn_first():
    assert dialogue_samples(make(PSYCHOLOGIST, PSYCHOLOGIST)) == []
    assert dialogue_samples(make(USER)) == []


def test_split_is_deterministic_and_depends_on_seed_name_and_id():
    ids = [str(number) for number in range(4000)]

    def splits(name: str, seed: str) -> list[str]:
        return [split_for(dataset_name=name, dialogue_id=i, test_ratio=0.1, seed=seed) for i in ids]

    first = splits("smile", "0")
    assert first == splits("smile", "0")
    assert first != splits("smile", "1")
    assert first != splits("other", "0")
    # 4,000 draws at p = 0.1: the count lies within 5 standard deviations (±95) of 400.
    assert 305 <= first.count(TEST) <= 495


def test_split_ratio_edges_put_everything_on_one_side():
    for dialogue_id in ("a", "b", "c", "d"):
        assert split_for(dataset_name="x", dialogue_id=dialogue_id, test_ratio=0.0, seed="0") == (
            TRAIN
        )
        assert split_for(dataset_name="x", dialogue_id=dialogue_id, test_ratio=1.0, seed="0") == (
            TEST
        )
