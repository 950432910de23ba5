"""The reference pipeline of METRICS.md, call for call, and the shared-data pairs the
engine is checked and timed on. Only tests and bench/ import this module: NLTK and
rouge_chinese are test dependencies, never needed at run time."""

from __future__ import annotations

import gzip
import json
import logging
import random
from collections.abc import Iterator
from pathlib import Path

import jieba
from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu
from rouge_chinese import Rouge

jieba.setLogLevel(logging.WARNING)  # no dictionary-loading chatter (reports.metrics says)
_SMOOTHING = SmoothingFunction().method3
_ROUGE = Rouge()


def reference_scores(hypothesis: str, reference: str) -> tuple[float, ...]:
    """Seven scores (bleu_1..4, rouge_1, rouge_2, rouge_l) the way SoulChat's evaluation
    computes them; the empty cases, where the libraries raise, are 0 by definition."""
    hypothesis = hypothesis.strip()
    reference = reference.strip()
    if not hypothesis or not reference:
        return (0.0,) * 7
    bleu = tuple(
        sentence_bleu(
            [list(reference)],
            list(hypothesis),
            weights=(1 / order,) * order,
            smoothing_function=_SMOOTHING,
        )
        for order in (1, 2, 3, 4)
    )
    rouge = _ROUGE.get_scores(" ".join(jieba.cut(hypothesis)), " ".join(jieba.cut(reference)))[0]
    return (*bleu, rouge["rouge-1"]["f"], rouge["rouge-2"]["f"], rouge["rouge-l"]["f"])


def counsellor_turns(path: Path) -> list[str]:
    """Every counsellor turn of a SMILECHAT JSON-lines file (gzip or plain)."""
    return [turn for _, turn in counsellor_turns_by_dialogue(path)]


def counsellor_turns_by_dialogue(path: Path) -> list[tuple[int, str]]:
    """(dialogue's line number, turn) for every counsellor turn of a SMILECHAT file."""
    opener = gzip.open if path.suffix == ".gz" else open
    turns = []
    with opener(path, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines):
            for turn in json.loads(line)["dialogue"]:
                if turn["role"] == "counselor":
                    turns.append((number, turn["content"]))
    return turns


def benchmark_pairs(turns: list[str]) -> Iterator[tuple[str, str]]:
    """Each counsellor turn as the reference of three hypotheses: the next counsellor turn
    (an unrelated answer), itself (a perfect one) and an empty string."""
    for index, reference in enumerate(turns):
        yield turns[(index + 1) % len(turns)], reference
        yield reference, reference
        yield "", reference


def realistic_pairs(turns: list[tuple[int, str]], *, seed: int = 0) -> list[tuple[str, str]]:
    """Each counsellor turn as the reference of a counsellor turn drawn (seeded) from
    another dialogue: what a model's answer looks like to the metrics, with no pair empty
    or identical by construction (the floor row's pairs, METRICS.md)."""
    if len({dialogue for dialogue, _ in turns}) < 2:
        return []
    rng = random.Random(seed)  # noqa: S311 (a reproducible draw, not a secret)
    pairs = []
    for dialogue, reference in turns:
        while True:
            donor_dialogue, hypothesis = turns[rng.randrange(len(turns))]
            if donor_dialogue != dialogue:
                pairs.append((hypothesis, reference))
                break
    return pairs
