"""Automatic metrics: BLEU-1..4 and ROUGE-1/2/L exactly as the SoulChat evaluation computes
them, only faster (no Django here, so a notebook can import it).

Profile ``soulchat`` (the default) reproduces, per pair, after stripping both texts:

- BLEU-n: ``nltk.translate.bleu_score.sentence_bleu([list(r)], list(h), weights=(1/n,)*n,
  smoothing_function=SmoothingFunction().method3)``: characters as tokens.
- ROUGE-1/2/L: ``rouge_chinese.Rouge().get_scores(' '.join(jieba.cut(h)),
  ' '.join(jieba.cut(r)))[0][...]['f']``: jieba words as tokens. rouge_chinese 1.0.3 cuts
  both texts into sentences and flattens them again, so its "summary-level" ROUGE-L is the
  LCS of the two flattened word lists; ROUGE-N counts *distinct* n-grams (sets).

The speed comes from doing each piece of work once and in C where it can run there: a
text's character n-grams for all four BLEU orders and its words are computed once (and
kept while the same text comes again in the batch, as a reference does for each system),
the intersections and clipping run as set and map operations, ROUGE-L's LCS runs in
rapidfuzz (C++), and segmentation uses rjieba (jieba's algorithm in Rust) wherever it
gives jieba's tokens, with jieba cutting only the runs of text where the two can differ.

An empty or whitespace-only hypothesis scores 0 on every metric (the references raise or
divide by zero there); so does an empty reference. Callers count empty hypotheses.
"""

from __future__ import annotations

import gc
import logging
import math
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from functools import lru_cache
from itertools import count, pairwise
from operator import add
from typing import Any, NamedTuple

import jieba
import rjieba
from rapidfuzz.distance import LCSseq

from reports.statistics import bootstrap_mean

# jieba logs its dictionary loading at DEBUG through a handler of its own (and again through
# a debug server's root handler): chatter in every command that scores. Set after import,
# since importing jieba sets its logger to DEBUG.
jieba.setLogLevel(logging.WARNING)

PROFILE_SOULCHAT = "soulchat"
PROFILE_SACREBLEU = "sacrebleu"
PROFILES = (PROFILE_SOULCHAT, PROFILE_SACREBLEU)

METRIC_KEYS = ("bleu_1", "bleu_2", "bleu_3", "bleu_4", "rouge_1", "rouge_2", "rouge_l")
METRIC_LABELS = {
    "bleu_1": "B-1",
    "bleu_2": "B-2",
    "bleu_3": "B-3",
    "bleu_4": "B-4",
    "rouge_1": "R-1",
    "rouge_2": "R-2",
    "rouge_l": "R-L",
}
SACREBLEU_KEY = "sacrebleu_bleu"

_BLEU_ORDERS = (1, 2, 3, 4)
# The same float weights as the reference's (1/n,)*n, so the log-sums round identically.
_BLEU_WEIGHTS = {order: (1 / order,) * order for order in _BLEU_ORDERS}
_ZEROS = (0.0,) * len(METRIC_KEYS)

# Where rjieba (jieba-rs) and jieba can disagree (measured on the shared SMILECHAT slice):
# jieba-rs treats more code points as Han (CJK extension A, the 9FD6–9FFF tail,
# compatibility ideographs, the supplementary planes), and it joins alphanumerics across
# the symbols of jieba's block pattern differently ("4-5" is one token for jieba-rs, three
# for jieba; likewise "SCL_90"). Texts with neither get identical tokens from both.
_EXTRA_HAN = re.compile("[\u3400-\u4dbf\u9fd6-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
_BLOCK_SYMBOLS = re.compile("[+#&._%\\-]")
# jieba cuts each maximal run of its block pattern (re_han_default) on its own; this finds
# the runs that hold one of the symbols.
_RUN_WITH_SYMBOL = re.compile(
    "[\u4e00-\u9fd5a-zA-Z0-9+#&._%\\-]*[+#&._%\\-][\u4e00-\u9fd5a-zA-Z0-9+#&._%\\-]*"
)

# rouge_chinese's Rouge.cut_sent, pattern for pattern.
_SENTENCE_BREAKS = (
    (re.compile("([。！？\\?])([^”’])"), r"\1\n\2"),
    (re.compile("(\\.{6})([^”’])"), r"\1\n\2"),
    (re.compile("(\\…{2})([^”’])"), r"\1\n\2"),
    (re.compile("([。！？\\?][”’])([^，。！？\\?])"), r"\1\n\2"),
)


def segment(text: str) -> list[str]:
    """jieba's default cut (HMM on) of ``text``, token for token."""
    if _BLOCK_SYMBOLS.search(text) is None:
        if _EXTRA_HAN.search(text) is None:
            return rjieba.cut(text, hmm=True)
    elif _EXTRA_HAN.search(text) is None:
        # Only the runs holding a symbol need jieba: jieba cuts run by run, and the text
        # between those runs holds neither kind of difference, so rjieba cuts it as jieba
        # would.
        tokens: list[str] = []
        done = 0
        for run in _RUN_WITH_SYMBOL.finditer(text):
            if run.start() > done:
                tokens.extend(rjieba.cut(text[done : run.start()], hmm=True))
            tokens.extend(jieba.cut(run.group()))
            done = run.end()
        if done < len(text):
            tokens.extend(rjieba.cut(text[done:], hmm=True))
        return tokens
    return list(jieba.cut(text))


def rouge_words(tokens: Sequence[str]) -> list[str]:
    """The word list rouge_chinese scores for a text segmented into ``tokens``: joined with
    spaces, cut into sentences, whitespace-normalised per sentence, flattened."""
    para = " ".join(tokens)
    if "\n" not in para:
        # Every break the sentence cut inserts follows a non-space character, so without a
        # newline of the text's own no sentence is blank, and flattening the normalised
        # sentences is splitting on whitespace.
        return para.split()
    for pattern, replacement in _SENTENCE_BREAKS:
        para = pattern.sub(replacement, para)
    sentences = [" ".join(part.split()) for part in para.rstrip().split("\n") if len(part) > 0]
    words: list[str] = []
    for sentence in sentences:
        words.extend(sentence.split(" "))
    return words


class TextAnalysis(NamedTuple):
    """Everything the metrics need from one text, computed once (a tuple: built for every
    text, so its construction cost counts)."""

    length: int
    # Per BLEU order 1..4: the distinct character n-grams, and their counts where some
    # n-gram repeats (None where none does: most texts from order 3 up).
    ngram_keys: tuple[AbstractSet[str], ...]
    ngram_counts: tuple[Counter[str] | None, ...]
    words: tuple[int, ...]  # word ids, for rapidfuzz's LCS
    unigrams: frozenset[int]
    bigrams: frozenset[tuple[int, int]]


class Analyser:
    """Analyses texts; word ids are exact (a vocabulary, not hashes)."""

    def __init__(self) -> None:
        self._vocabulary: dict[str, int] = {}
        self._ids = count()

    def analyse(self, text: str) -> TextAnalysis | None:
        """None for an empty (or whitespace-only) text."""
        stripped = text.strip()
        return self._build(stripped) if stripped else None

    def _build(self, text: str) -> TextAnalysis:
        # Each order's n-grams are a shorter order's extended, built with map() so the
        # loops run in C: the same strings as slicing, at a fraction of the cost.
        bigrams = list(map(add, text, text[1:]))
        trigrams = list(map(add, bigrams, text[2:]))
        fourgrams = list(map(add, bigrams, bigrams[2:]))
        unigram_counts = Counter(text)
        keys: list[AbstractSet[str]] = [unigram_counts.keys()]
        counts: list[Counter[str] | None] = [unigram_counts]
        for ngrams in (bigrams, trigrams, fourgrams):
            distinct = frozenset(ngrams)
            keys.append(distinct)
            counts.append(None if len(distinct) == len(ngrams) else Counter(ngrams))
        # Ids from a shared counter are unique (not dense): all an LCS over ids needs.
        words = tuple(map(self._vocabulary.setdefault, rouge_words(segment(text)), self._ids))
        return TextAnalysis(
            len(text),
            tuple(keys),
            tuple(counts),
            words,
            frozenset(words),
            frozenset(pairwise(words)),
        )


def _bleu(hypothesis: TextAnalysis, reference: TextAnalysis) -> tuple[float, ...]:
    """sentence_bleu with method 3 for orders 1..4, sharing the n-gram counts."""
    numerators: list[int] = []
    hyp_len = hypothesis.length
    for hyp_keys, ref_keys, hyp_counts, ref_counts in zip(
        hypothesis.ngram_keys,
        reference.ngram_keys,
        hypothesis.ngram_counts,
        reference.ngram_counts,
        strict=True,
    ):
        # NLTK's clipped matches: each shared n-gram counted at most as often as either side
        # has it, which is once where a side repeats none. Intersection and clipping run in C.
        shared = hyp_keys & ref_keys
        if hyp_counts is None or ref_counts is None:
            numerators.append(len(shared))
        else:
            hyp_shared = map(hyp_counts.__getitem__, shared)
            numerators.append(sum(map(min, hyp_shared, map(ref_counts.__getitem__, shared))))
    # The number of n-grams of each order, at least 1 as NLTK has it.
    denominators = [total if total > 1 else 1 for total in range(hyp_len, hyp_len - 4, -1)]
    if numerators[0] == 0:
        return (0.0, 0.0, 0.0, 0.0)
    ref_len = reference.length
    penalty = 1 if hyp_len > ref_len else math.exp(1 - ref_len / hyp_len)
    precisions = []
    missing = 1
    for numerator, denominator in zip(numerators, denominators, strict=True):
        if numerator == 0:
            precisions.append(1 / (2**missing * denominator))
            missing += 1
        else:
            # float(Fraction(n, d)) is n / d correctly rounded, as here.
            precisions.append(numerator / denominator)
    scores = []
    for order in _BLEU_ORDERS:
        weights = _BLEU_WEIGHTS[order]
        logs = [w * math.log(p) for w, p in zip(weights, precisions[:order], strict=True) if p > 0]
        scores.append(penalty * math.exp(math.fsum(logs)))
    return tuple(scores)


def _f_measure(overlap: int, evaluated: int, reference: int) -> float:
    # rouge_chinese's formula, operation for operation (the 1e-8 included).
    precision = 0.0 if evaluated == 0 else overlap / evaluated
    recall = 0.0 if reference == 0 else overlap / reference
    return 2.0 * ((precision * recall) / (precision + recall + 1e-8))


def _rouge(hypothesis: TextAnalysis, reference: TextAnalysis) -> tuple[float, float, float]:
    rouge_1 = _f_measure(
        len(hypothesis.unigrams & reference.unigrams),
        len(hypothesis.unigrams),
        len(reference.unigrams),
    )
    rouge_2 = _f_measure(
        len(hypothesis.bigrams & reference.bigrams),
        len(hypothesis.bigrams),
        len(reference.bigrams),
    )
    lcs = LCSseq.similarity(reference.words, hypothesis.words)
    recall = lcs / len(reference.words)
    precision = lcs / len(hypothesis.words)
    rouge_l = 2.0 * ((precision * recall) / (precision + recall + 1e-8))
    return rouge_1, rouge_2, rouge_l


def scores_for(
    hypothesis: TextAnalysis | None, reference: TextAnalysis | None
) -> tuple[float, ...]:
    """The seven scores (METRIC_KEYS order, fractions 0..1) of one analysed pair."""
    if hypothesis is None or reference is None:
        return _ZEROS
    return _bleu(hypothesis, reference) + _rouge(hypothesis, reference)


def is_empty(text: str) -> bool:
    return not text.strip()


def _score_chunk(pairs: Sequence[tuple[str, str]]) -> list[tuple[float, ...]]:
    # A text met again later in the chunk (a reference scored for several systems) is
    # analysed once and kept only until its last use: keeping every analysis costs more in
    # memory traffic than analysing the texts met once saves.
    uses = Counter(text for pair in pairs for text in pair)
    kept: dict[str, TextAnalysis | None] = {}
    analyser = Analyser()

    def analysed(text: str) -> TextAnalysis | None:
        left = uses[text] - 1
        uses[text] = left
        if text in kept:
            return kept.pop(text) if left == 0 else kept[text]
        analysis = analyser.analyse(text)
        if left:
            kept[text] = analysis
        return analysis

    with _cycle_collector_paused():
        return [
            scores_for(analysed(hypothesis), analysed(reference)) for hypothesis, reference in pairs
        ]


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Scoring allocates millions of small acyclic containers (n-gram sets and counts),
    each allocation burst triggering collections that find nothing: about a fifth of the
    engine's time, measured. Reference counting frees them all the same."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def score_pairs(pairs: Sequence[tuple[str, str]], *, workers: int = 1) -> list[tuple[float, ...]]:
    """Scores of (hypothesis, reference) pairs, in order, as tuples in METRIC_KEYS order.

    ``workers`` > 1 splits the pairs over that many processes; it must stay 1 inside a
    process that cannot have children (a Celery prefork worker is daemonic)."""
    workers = max(1, min(workers, len(pairs) // 500 or 1))
    if workers == 1:
        return _score_chunk(pairs)
    # Warm jieba's dictionary in the parent so forked children share it.
    jieba.initialize()
    size = math.ceil(len(pairs) / workers)
    chunks = [pairs[start : start + size] for start in range(0, len(pairs), size)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        results: list[tuple[float, ...]] = []
        for chunk_scores in pool.map(_score_chunk, chunks):
            results.extend(chunk_scores)
    return results


def scores_summary(
    hypotheses: Sequence[str], scores: Sequence[tuple[float, ...]], *, seed: int = 0
) -> dict[str, object]:
    """Means ×100 of each metric with 95% bootstrap intervals, n and the empty count."""
    summary: dict[str, object] = {
        "profile": PROFILE_SOULCHAT,
        "n": len(scores),
        "empty_hypotheses": sum(1 for hypothesis in hypotheses if is_empty(hypothesis)),
    }
    for offset, key in enumerate(METRIC_KEYS):
        estimate = bootstrap_mean([row[offset] * 100 for row in scores], seed=seed)
        summary[key] = {
            "label": METRIC_LABELS[key],
            "mean": None if estimate is None else round(estimate.mean, 4),
            "ci95": None if estimate is None else [round(estimate.low, 4), round(estimate.high, 4)],
        }
    return summary


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1


@lru_cache(maxsize=1)
def _sacrebleu_metric() -> Any:
    from sacrebleu.metrics.bleu import BLEU

    return BLEU(tokenize="zh")


def sacrebleu_statistics(pairs: Iterable[tuple[str, str]]) -> list[list[int]]:
    """sacrebleu's sufficient statistics per pair (lengths and n-gram matches/totals);
    summed over any subset of pairs they give that subset's corpus BLEU, which is what
    makes a bootstrap over samples cheap."""
    metric = _sacrebleu_metric()
    hypotheses = []
    references = []
    for hypothesis, reference in pairs:
        hypotheses.append(hypothesis.strip())
        references.append(reference.strip())
    return list(metric._extract_corpus_statistics(hypotheses, [references]))


def sacrebleu_from_statistics(statistics: Sequence[Sequence[int]]) -> float:
    """Corpus BLEU (×100, sacrebleu's own scale) from summed per-pair statistics."""
    summed = [sum(column) for column in zip(*statistics, strict=True)] if statistics else []
    if not summed:
        return 0.0
    return float(_sacrebleu_metric()._compute_score_from_stats(summed).score)
