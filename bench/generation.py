"""Batched against one-at-a-time generation: the same model, the same prompts.

The reference is the plain way to run a Hugging Face model: one `generate` call per
prompt. Both paths go through `generation.local_models`, with greedy decoding and a
fixed number of new tokens (end tokens are ignored), so both produce the same count of
tokens and the ratio is pure batching gain.

    .venv/bin/python bench/generation.py                    # the demo-size model, CPU
    .venv/bin/python bench/generation.py --model qwen2-0.5b --device cuda --samples 256

Prompts are SoulChat-format contexts from the shared SMILECHAT slice when it is present
(../shared/data/smilechat/dev.jsonl.gz), else from the demo corpus.

With --serving-endpoint, the same prompts (the same checkpoint served by vLLM, SGLang or
TGI's OpenAI-compatible server) are also sent to its /v1/completions, --concurrency in
flight, greedy, the same number of new tokens (vLLM's ignore_eos), and that rate is
printed beside HF batched generation's, with the ratio:

    vllm serve /tmp/souleval-bench-model-… --served-model-name bench --port 8001 &
    .venv/bin/python bench/generation.py --checkpoint /tmp/souleval-bench-model-… --device cuda \
        --samples 256 --serving-endpoint http://127.0.0.1:8001/v1 --serving-model bench
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SMILECHAT = ROOT.parent / "shared" / "data" / "smilechat" / "dev.jsonl.gz"
DEMO_CORPUS = ROOT / "demo" / "corpus" / "counselling.txt"

# Random-weight configurations; "demo" is the size make_demo_model trains.
MODELS = {
    "demo": {"hidden_size": 96, "intermediate_size": 192, "num_hidden_layers": 3,
             "num_attention_heads": 4, "num_key_value_heads": 4},
    # Qwen2-0.5B's shape (its 151k vocabulary replaced by the bench tokenizer's).
    "qwen2-0.5b": {"hidden_size": 896, "intermediate_size": 4864, "num_hidden_layers": 24,
                   "num_attention_heads": 14, "num_key_value_heads": 2},
}  # fmt: skip


def contexts(limit: int) -> tuple[str, list]:
    from generation.dataset_formats import read_file
    from generation.dialogues import Dialogue, dialogue_samples

    source, source_format = (
        (SMILECHAT, "smilechat") if SMILECHAT.is_file() else (DEMO_CORPUS, "soulchat")
    )
    found = []
    for record in read_file(source, source_format):
        if isinstance(record, Dialogue):
            found.extend(draft.context for draft in dialogue_samples(record))
        if len(found) >= limit:
            break
    # The demo corpus is small: repeat it to the requested count.
    return source.name, [found[index % len(found)] for index in range(limit)]


def build(model_name: str, directory: Path, texts: list[str]) -> None:
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    from demo.model import tokenizer_train

    tokenizer = tokenizer_train(texts, 4000)
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        max_position_embeddings=4096,
        tie_word_embeddings=True,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        **MODELS[model_name],
    )
    torch.manual_seed(0)
    Qwen2ForCausalLM(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=MODELS, default="demo")
    parser.add_argument("--checkpoint", help="a real checkpoint directory instead")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--samples", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--input-budget", type=int, default=1536)
    parser.add_argument("--serving-endpoint", help="an OpenAI-compatible base URL serving it")
    parser.add_argument("--serving-model", default="bench", help="the name it is served as")
    parser.add_argument("--concurrency", type=int, default=64, help="requests in flight there")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

    import torch

    from generation.decoding import DecodingParams, batches_plan
    from generation.local_models import LocalModel, LocalModelSpec
    from generation.prompts import prompt_fit, soulchat_prompt

    source, samples = contexts(args.samples)
    checkpoint = args.checkpoint
    if checkpoint is None:
        checkpoint = tempfile.mkdtemp(prefix="souleval-bench-model-")
        build(args.model, Path(checkpoint), [soulchat_prompt(context) for context in samples])
    model = LocalModel.load(LocalModelSpec(checkpoint=checkpoint, device=args.device))
    counter = model.token_counter("soulchat")
    prompts = [
        prompt_fit(c, render=soulchat_prompt, tokenizer=counter, budget=args.input_budget).token_ids
        for c in samples
    ]
    # Greedy, a fixed length: no end token stops a row early, so both paths make as many tokens.
    model.model.generation_config.eos_token_id = None
    params = DecodingParams(do_sample=False, max_new_tokens=args.max_new_tokens)
    parameters = sum(parameter.numel() for parameter in model.model.parameters())
    print(
        f"model {args.checkpoint or args.model} ({parameters / 1e6:.1f} M parameters) on "
        f"{model.device}, {model.model.dtype}; {len(prompts)} prompts from {source}, mean "
        f"{sum(map(len, prompts)) / len(prompts):.0f} tokens; {args.max_new_tokens} new tokens"
    )

    def synchronize() -> None:
        if model.device.type == "cuda":
            torch.cuda.synchronize()

    model.generate(prompts[:2], params)  # warm-up: kernels, allocator
    synchronize()
    started = time.perf_counter()
    single = [model.generate([prompt], params)[0] for prompt in prompts]
    synchronize()
    single_seconds = time.perf_counter() - started

    plan = batches_plan(
        [len(prompt) for prompt in prompts],
        batch_size=args.batch_size,
        max_batch_tokens=10**9,
        max_new_tokens=args.max_new_tokens,
    )
    started = time.perf_counter()
    batched = [
        completion
        for batch in plan
        for completion in model.generate_fitting_memory([prompts[i] for i in batch], params)
    ]
    synchronize()
    batched_seconds = time.perf_counter() - started

    single_tokens = sum(completion.completion_tokens for completion in single)
    batched_tokens = sum(completion.completion_tokens for completion in batched)
    single_rate = single_tokens / single_seconds
    batched_rate = batched_tokens / batched_seconds
    print(
        f"one at a time: {single_tokens} tokens in {single_seconds:.2f} s = "
        f"{single_rate:.1f} tokens/s"
    )
    print(
        f"batched ({args.batch_size}): {batched_tokens} tokens in {batched_seconds:.2f} s = "
        f"{batched_rate:.1f} tokens/s"
    )
    print(f"ratio batched / one at a time: {batched_rate / single_rate:.2f}x (goal: >= 5x)")
    if args.serving_endpoint:
        texts = [counter.decode(prompt) for prompt in prompts]
        served_tokens, served_seconds = served(args, texts)
        served_rate = served_tokens / served_seconds
        print(
            f"served ({args.serving_endpoint}, {args.concurrency} in flight): {served_tokens} "
            f"tokens in {served_seconds:.2f} s = {served_rate:.1f} tokens/s; "
            f"ratio served / HF batched: {served_rate / batched_rate:.2f}x"
        )
    return 0


def served(args: argparse.Namespace, prompts: list[str]) -> tuple[int, float]:
    """Completion tokens and seconds for the prompts through the serving engine."""
    from concurrent.futures import ThreadPoolExecutor

    import openai

    client = openai.OpenAI(base_url=args.serving_endpoint, api_key="not-needed", max_retries=0)

    def complete(prompt: str) -> int:
        answer = client.completions.create(
            model=args.serving_model,
            prompt=prompt,
            max_tokens=args.max_new_tokens,
            temperature=0,
            # vLLM's: every answer as long as HF's fixed-length ones.
            extra_body={"ignore_eos": True, "min_tokens": args.max_new_tokens},
        )
        return answer.usage.completion_tokens if answer.usage else 0

    complete(prompts[0])  # warm-up
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        tokens = sum(pool.map(complete, prompts))
    return tokens, time.perf_counter() - started


if __name__ == "__main__":
    sys.exit(main())
