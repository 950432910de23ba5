"""The reference pipeline of METRICS.md, call for call, and the shared-data pairs the
engine is checked and timed on. Only tests and bench/ import this module: NLTK and
rouge_chinese are test dependencies, never needed at run time."""

from __future__ import annotations

import gzip
import json
import logging
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
    opener = gzip.open if path.suffix == ".gz" else open
    turns = []
    with opener(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            for turn in json.loads(line)["dialogue"]:
                if turn["role"] == "counselor":
                    turns.append(turn["content"])
    return turns


def benchmark_pairs(turns: list[str]) -> Iterator[tuple[str, str]]:
    """Each counsellor turn as the reference of three hypotheses: the next counsellor turn
    (an unrelated answer), itself (a perfect one) and an empty string."""
    for index, reference in enumerate(turns):
        yield turns[(index + 1) % len(turns)], reference
        yield reference, reference
        yield "", reference
