"""Training examples: the input is exactly what generation feeds the model, the loss is
on the reply only, and the budgets cut where they should."""

from __future__ import annotations

import pytest
from transformers import AutoTokenizer

from generation.decoding import DecodingParams
from generation.dialogues import PSYCHOLOGIST, USER, Turn
from generation.prompts import PRESETS
from training.examples import (
    IGNORE_INDEX,
    ExampleBuilder,
    ExampleReport,
    ExampleSettings,
)

CONTEXT = (
    Turn(USER, "我最近总是睡不着。"),
    Turn(PSYCHOLOGIST, "听起来你很辛苦，能多说说吗？"),
    Turn(USER, "工作压力很大，我不知道怎么办。"),
)
REPLY = "我能理解你的压力，我们一起看看有哪些事情让你最担心。"


@pytest.fixture(scope="module")
def tokenizer(tiny_model):
    return AutoTokenizer.from_pretrained(tiny_model, local_files_only=True)


@pytest.mark.django_db
@pytest.mark.parametrize("preset", PRESETS)
def test_the_input_is_what_generation_feeds_the_model(tiny_model, tokenizer, preset):
    from generation.generators.local import LocalGenerator
    from tests.support.factories import SystemFactory

    system = SystemFactory(
        kind="hf_local", checkpoint=str(tiny_model), device="cpu", prompt_preset=preset,
        system_prompt="你是一位心理咨询师。" if preset == "chat" else "", max_input_tokens=40,
        responses_file="",
    )  # fmt: skip
    generation_input = LocalGenerator(system, DecodingParams())._fit(CONTEXT).token_ids
    settings = ExampleSettings(
        preset=preset, system_prompt=system.system_prompt, max_input_tokens=40
    )
    example = ExampleBuilder(tokenizer, settings).build(CONTEXT, REPLY)
    assert example.input_ids[: example.prompt_tokens] == generation_input
    assert example.dropped_turns > 0, "the 40-token budget must drop the oldest turns"


def test_the_loss_is_on_the_reply_and_its_end_token_only(tokenizer):
    example = ExampleBuilder(tokenizer, ExampleSettings()).build(CONTEXT, REPLY)
    reply = tokenizer.encode(REPLY, add_special_tokens=False)
    prompt = example.prompt_tokens
    assert example.labels[:prompt] == [IGNORE_INDEX] * prompt
    assert example.labels[prompt:] == [*reply, tokenizer.eos_token_id]
    assert example.input_ids[prompt:] == example.labels[prompt:]
    assert len(example.input_ids) == len(example.labels)
    assert (example.input_cut, example.target_cut, example.dropped_turns) == (False, False, 0)
    assert tokenizer.decode(example.input_ids[:prompt]).endswith("心理咨询师：")


def test_budgets_cut_old_turns_the_user_turns_start_and_the_reply_end(tokenizer):
    settings = ExampleSettings(max_input_tokens=12, max_target_tokens=5)
    example = ExampleBuilder(tokenizer, settings).build(CONTEXT, REPLY)
    assert example.prompt_tokens <= 12
    assert example.dropped_turns == 2
    assert example.input_cut
    assert example.target_cut
    assert len(example.labels) - example.prompt_tokens == 5
    assert example.labels[-1] == tokenizer.eos_token_id
    assert (
        example.labels[example.prompt_tokens : -1]
        == (tokenizer.encode(REPLY, add_special_tokens=False)[:4])
    )


def test_samples_that_cannot_be_examples_are_counted_with_their_reason(tokenizer):
    builder = ExampleBuilder(tokenizer, ExampleSettings(max_input_tokens=12))
    records = [
        (CONTEXT, REPLY),
        (CONTEXT, "   "),
        ((Turn(PSYCHOLOGIST, "你好。"),), REPLY),
        (CONTEXT[:1], REPLY),
    ]
    report = ExampleReport()
    examples = list(builder.build_all(records, report))
    assert len(examples) == report.built == 2
    assert report.rejected == {
        "the reply is empty": 1,
        "the context has no user turn to answer": 1,
    }
    assert report.turns_dropped == 1
    assert "rejected: 1 × the reply is empty" in report.summary()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (ExampleSettings(max_input_tokens=0), "max_input_tokens: at least 1"),
        (ExampleSettings(max_target_tokens=1), "max_target_tokens: at least 2"),
        (ExampleSettings(preset="gpt"), "unknown prompt preset 'gpt'"),
    ],
)
def test_settings_that_cannot_work_are_refused(tokenizer, settings, message):
    with pytest.raises(ValueError, match=message):
        ExampleBuilder(tokenizer, settings)
