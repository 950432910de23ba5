"""A tiny causal language model trained from the demo corpus in about a minute on a CPU.
No Django here.

It is a normal checkpoint directory (config, safetensors weights, tokenizer with a chat
template), loaded by the same code as a 7B model. What it writes is babble in the
corpus's words: it exists to exercise generation, not to counsel anyone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM
from transformers.utils import logging as transformers_logging

END = "<|endoftext|>"
CHAT_START, CHAT_END = "<|im_start|>", "<|im_end|>"
# The Qwen2 chat layout, so the `chat` preset has a template to render with.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    f"{CHAT_START}{{{{ message['role'] }}}}\n{{{{ message['content'] }}}}{CHAT_END}\n"
    "{% endfor %}"
    f"{{% if add_generation_prompt %}}{CHAT_START}assistant\n{{% endif %}}"
)

# Per-file progress bars of loading and saving clutter worker logs and command output.
transformers_logging.disable_progress_bar()


@dataclass(frozen=True, slots=True)
class DemoModelSize:
    hidden_size: int = 96
    layers: int = 3
    heads: int = 4
    vocabulary: int = 1200
    context: int = 128
    steps: int = 400
    batch_size: int = 16
    learning_rate: float = 3e-3


@dataclass(frozen=True, slots=True)
class DemoModelReport:
    directory: Path
    parameters: int
    vocabulary: int
    steps: int
    first_loss: float
    last_loss: float
    seconds: float


def tokenizer_train(texts: Sequence[str], vocabulary: int) -> PreTrainedTokenizerFast:
    # Byte-level BPE encodes any text, so prompts from other datasets never hit <unk>.
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocabulary,
        special_tokens=[END, CHAT_START, CHAT_END],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, eos_token=END, pad_token=END, unk_token=None
    )
    wrapped.chat_template = CHAT_TEMPLATE
    return wrapped


def demo_model_build(
    *,
    texts: Sequence[str],
    directory: Path,
    size: DemoModelSize = DemoModelSize(),
    seed: int = 0,
    on_step: Callable[[int, float], None] | None = None,
) -> DemoModelReport:
    """Train a tokenizer and a small Qwen2-style model on `texts` (whole dialogues as
    model input strings) and save both to `directory`."""
    started = time.perf_counter()
    torch.manual_seed(seed)
    tokenizer = tokenizer_train(texts, size.vocabulary)
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=size.hidden_size,
        intermediate_size=size.hidden_size * 2,
        num_hidden_layers=size.layers,
        num_attention_heads=size.heads,
        num_key_value_heads=size.heads,
        max_position_embeddings=4096,
        tie_word_embeddings=True,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    model = Qwen2ForCausalLM(config)
    stream = [
        token for text in texts for token in [*tokenizer.encode(text), tokenizer.eos_token_id]
    ]
    windows = torch.tensor(stream).unfold(0, size.context, size.context // 2)
    if len(windows) == 0:
        raise ValueError(f"the corpus is too short: {len(stream)} tokens, {size.context} needed")
    optimizer = torch.optim.AdamW(model.parameters(), lr=size.learning_rate)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=size.learning_rate, total_steps=size.steps, pct_start=0.1
    )
    generator = torch.Generator().manual_seed(seed)
    model.train()
    losses: list[float] = []
    for step in range(size.steps):
        rows = torch.randint(len(windows), (size.batch_size,), generator=generator)
        batch = windows[rows]
        loss = model(input_ids=batch, labels=batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(loss.item())
        if on_step is not None:
            on_step(step + 1, losses[-1])
    model.eval()
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    directory.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return DemoModelReport(
        directory=directory,
        parameters=sum(parameter.numel() for parameter in model.parameters()),
        vocabulary=len(tokenizer),
        steps=size.steps,
        first_loss=losses[0],
        last_loss=losses[-1],
        seconds=time.perf_counter() - started,
    )
