"""Loading a local checkpoint and generating in batches, on a model the tests train."""

from __future__ import annotations

import pytest
import torch

from demo.services import DEMO_CORPUS
from generation.dataset_formats import read_file, source_files
from generation.decoding import DecodingParams
from generation.dialogues import Dialogue, dialogue_samples
from generation.local_models import (
    Completion,
    LocalModel,
    LocalModelSpec,
    ModelLoadError,
    device_resolve,
    dtype_resolve,
)
from generation.prompts import prompt_fit, stop_strings

GREEDY = DecodingParams(do_sample=False, max_new_tokens=24)


@pytest.fixture(scope="module")
def model(tiny_model) -> LocalModel:
    return LocalModel.load(LocalModelSpec(checkpoint=str(tiny_model), device="cpu"))


@pytest.fixture(scope="module")
def prompts(model) -> list[list[int]]:
    contexts = [
        draft.context
        for path in source_files(DEMO_CORPUS, "soulchat")
        for record in read_file(path, "soulchat")
        if isinstance(record, Dialogue)
        for draft in dialogue_samples(record)
    ]
    render = model.prompt_renderer("soulchat")
    counter = model.token_counter("soulchat")
    return [
        prompt_fit(context, render=render, tokenizer=counter, budget=200).token_ids
        for context in contexts
    ]


def test_batched_and_one_at_a_time_greedy_outputs_are_the_same(model, prompts):
    assert len({len(prompt) for prompt in prompts}) > 5, "left padding must be exercised"
    one_by_one = [model.generate([prompt], GREEDY)[0] for prompt in prompts]
    batched = model.generate(prompts, GREEDY)
    assert [c.text for c in batched] == [c.text for c in one_by_one]
    assert [c.completion_tokens for c in batched] == [c.completion_tokens for c in one_by_one]
    assert [c.prompt_tokens for c in batched] == [len(prompt) for prompt in prompts]
    assert all(0 < c.completion_tokens <= 24 for c in batched)


def test_sampling_with_a_seed_repeats_itself(model, prompts):
    sampled = DecodingParams(max_new_tokens=16, seed=7, temperature=1.5)
    first = [c.text for c in model.generate(prompts[:6], sampled)]
    assert [c.text for c in model.generate(prompts[:6], sampled)] == first


def test_generation_stops_at_the_clients_next_turn(model, prompts):
    params = DecodingParams(do_sample=False, max_new_tokens=80)
    free = model.generate(prompts, params)
    going_on = [index for index, c in enumerate(free) if "\n用户：" in c.text]
    assert going_on, "the model learnt the corpus layout: it writes the client's next turn"
    stopped = model.generate(
        [prompts[index] for index in going_on], params, stop_strings("soulchat")
    )
    for index, completion in zip(going_on, stopped, strict=True):
        before, _, _ = free[index].text.partition("\n用户：")
        assert completion.text == before + "\n用户："
        assert completion.completion_tokens < free[index].completion_tokens


def test_the_chat_preset_renders_with_the_tokenizers_template(model):
    from generation.dialogues import USER, Turn

    render = model.prompt_renderer("chat", system_prompt="你是咨询师。")
    assert render((Turn(USER, "你好"),)) == (
        "<|im_start|>system\n你是咨询师。<|im_end|>\n<|im_start|>user\n你好<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
    # The template writes its own markers: the count adds no special tokens of its own.
    assert model.token_counter("chat").add_special_tokens is False


def test_the_chat_preset_needs_a_chat_template(tiny_model):
    model = LocalModel.load(LocalModelSpec(checkpoint=str(tiny_model)))
    model.tokenizer.chat_template = None
    with pytest.raises(ModelLoadError, match="needs the tokenizer's chat template"):
        model.prompt_renderer("chat")


def test_a_missing_checkpoint_is_named(tmp_path):
    with pytest.raises(ModelLoadError, match=f"checkpoint not found at {tmp_path / 'nope'}"):
        LocalModel.load(LocalModelSpec(checkpoint=str(tmp_path / "nope")))
    (tmp_path / "file").write_text("x")
    with pytest.raises(ModelLoadError, match="is not a directory"):
        LocalModel.load(LocalModelSpec(checkpoint=str(tmp_path / "file")))
    with pytest.raises(ModelLoadError, match=f"cannot load the checkpoint at {tmp_path}"):
        LocalModel.load(LocalModelSpec(checkpoint=str(tmp_path)))


def test_a_hub_name_is_not_downloaded():
    with pytest.raises(ModelLoadError, match="never downloads weights"):
        LocalModel.load(LocalModelSpec(checkpoint="Qwen/Qwen2-0.5B"))


def test_a_lora_adapter_is_loaded_on_top(tiny_model, model, prompts, tmp_path):
    from peft import LoraConfig, get_peft_model

    base = LocalModel.load(LocalModelSpec(checkpoint=str(tiny_model))).model
    # Non-zero initial weights, so that the adapter visibly changes the output.
    config = LoraConfig(
        r=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False, task_type="CAUSAL_LM"
    )
    get_peft_model(base, config).save_pretrained(tmp_path / "adapter")
    adapted = LocalModel.load(
        LocalModelSpec(checkpoint=str(tiny_model), adapter=str(tmp_path / "adapter"))
    )
    with_adapter = [c.text for c in adapted.generate(prompts[:6], GREEDY)]
    assert with_adapter != [c.text for c in model.generate(prompts[:6], GREEDY)]
    with pytest.raises(ModelLoadError, match="adapter not found at"):
        LocalModel.load(
            LocalModelSpec(checkpoint=str(tiny_model), adapter=str(tmp_path / "missing"))
        )


def test_dtype_and_device_are_chosen_for_the_hardware():
    cpu = torch.device("cpu")
    assert device_resolve("cpu") == cpu
    assert dtype_resolve("auto", cpu) == torch.float32
    assert dtype_resolve("bfloat16", cpu) == torch.bfloat16
    if torch.cuda.is_available():
        assert device_resolve("auto").type == "cuda"
        assert dtype_resolve("auto", torch.device("cuda")) in (torch.bfloat16, torch.float16)
    else:
        assert device_resolve("auto") == cpu
        with pytest.raises(ModelLoadError, match="has no CUDA GPU"):
            device_resolve("cuda:0")
    with pytest.raises(ModelLoadError, match="unknown dtype"):
        dtype_resolve("float8", cpu)


def test_a_batch_that_runs_out_of_memory_is_halved(model, monkeypatch):
    # No GPU here to run out of: the model's generate raises the real torch error
    # whenever it is handed more than two prompts.
    calls = []

    def generate(prompts, params, stop=()):
        calls.append(len(prompts))
        if len(prompts) > 2:
            raise torch.OutOfMemoryError("CUDA out of memory")
        return [Completion("x", len(prompt), 1, 0.0) for prompt in prompts]

    monkeypatch.setattr(model, "generate", generate)
    completions = model.generate_fitting_memory([[1], [2, 2], [3], [4], [5]], GREEDY)
    assert [c.prompt_tokens for c in completions] == [1, 2, 1, 1, 1]
    assert calls == [5, 2, 3, 1, 2]
