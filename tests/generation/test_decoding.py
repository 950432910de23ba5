"""Decoding parameters and the batch plan of local generation: pure code."""

from __future__ import annotations

import random

import pytest

from generation.decoding import DECODING_DEFAULTS, batches_plan, decoding_params


def test_the_defaults_are_the_papers():
    params = decoding_params({})
    assert params == DECODING_DEFAULTS
    assert (params.do_sample, params.top_p, params.temperature) == (True, 0.75, 0.95)
    assert (params.max_new_tokens, params.seed) == (512, 0)


def test_overrides_replace_only_what_they_name():
    params = decoding_params({"do_sample": False, "max_new_tokens": 64, "top_p": 1})
    assert (params.do_sample, params.max_new_tokens, params.top_p) == (False, 64, 1)
    assert params.temperature == 0.95


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"top_k": 5}, "unknown decoding parameter"),
        ({"top_p": 1.5}, "top_p must be within"),
        ({"top_p": 0}, "above 0"),
        ({"max_new_tokens": 0}, "max_new_tokens must be within"),
        ({"max_new_tokens": 2.5}, "must be an integer"),
        ({"do_sample": "yes"}, "true or false"),
        ({"temperature": "hot"}, "must be a number"),
        ({"seed": True}, "must be an integer"),
        (["top_p"], "JSON object"),
    ],
)
def test_bad_overrides_are_refused_by_name(overrides, message):
    with pytest.raises(ValueError, match=message):
        decoding_params(overrides)


def test_batches_hold_each_prompt_once_within_both_caps():
    rng = random.Random(3)
    lengths = [rng.randint(5, 400) for _ in range(300)]
    plan = batches_plan(lengths, batch_size=16, max_batch_tokens=6000, max_new_tokens=100)
    assert sorted(index for batch in plan for index in batch) == list(range(300))
    for batch in plan:
        assert len(batch) <= 16
        widest = max(lengths[index] for index in batch) + 100
        assert len(batch) * widest <= 6000


def test_batches_group_similar_lengths_longest_first():
    lengths = [10, 500, 12, 480, 11, 490]
    plan = batches_plan(lengths, batch_size=3, max_batch_tokens=10**6, max_new_tokens=1)
    assert plan == [[1, 5, 3], [2, 4, 0]]


def test_a_prompt_over_the_token_cap_gets_a_batch_of_its_own():
    plan = batches_plan([5000, 10, 10], batch_size=8, max_batch_tokens=1000, max_new_tokens=50)
    assert plan == [[0], [1, 2]]
    assert batches_plan([], batch_size=8, max_batch_tokens=1000, max_new_tokens=50) == []
