"""The metrics engine against the reference pipeline of METRICS.md, on the same pairs.

Two slices of the shared SMILECHAT data, each timed and compared on its own:

- realistic: every counsellor turn as the reference of a counsellor turn drawn (seeded)
  from another dialogue, as a model's answer looks to the metrics (about 11,400 pairs);
- mixed: every counsellor turn as the reference of three hypotheses: the next counsellor
  turn, itself and an empty string (about 34,000 pairs). The empty third, where the
  reference raises, is 0 by definition and costs it nothing; the identical third is
  cheap for the engine. Its ratio flatters; the realistic one is the claim.

The reference is NLTK's sentence_bleu four times, jieba and rouge_chinese per pair, one
core, as SoulChat's evaluation runs it. The engine runs on one core, then on --workers
processes (default: every core). Both are warmed first (jieba's dictionary loaded) so
load time counts for neither.

    .venv/bin/python bench/metrics.py                 # both whole slices (~5 minutes)
    .venv/bin/python bench/metrics.py --limit 3000    # the first 3,000 pairs of each
    .venv/bin/python bench/metrics.py --slice realistic
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SMILECHAT = ROOT.parent / "shared" / "data" / "smilechat" / "dev.jsonl.gz"
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SMILECHAT)
    parser.add_argument("--limit", type=int, help="the first N pairs of each slice only")
    parser.add_argument("--workers", type=int, help="engine processes (default: every core)")
    parser.add_argument("--slice", choices=("both", "realistic", "mixed"), default="both")
    args = parser.parse_args()
    if not args.data.exists():
        print(f"shared data absent at {args.data}: nothing to measure", file=sys.stderr)
        return 0

    import jieba
    import rjieba

    from reports.metric_references import (
        benchmark_pairs,
        counsellor_turns_by_dialogue,
        realistic_pairs,
    )
    from reports.metrics import default_workers

    jieba.initialize()
    rjieba.cut("预热")
    turns = counsellor_turns_by_dialogue(args.data)
    slices = {
        "realistic": realistic_pairs(turns)[: args.limit],
        "mixed": list(benchmark_pairs([turn for _, turn in turns]))[: args.limit],
    }
    workers = args.workers or default_workers()
    worst = 0.0
    for name, pairs in slices.items():
        if args.slice not in ("both", name):
            continue
        worst = max(worst, _measure(name, pairs, workers))
    return 0 if worst <= 1e-9 else 1


def _measure(name: str, pairs: list[tuple[str, str]], workers: int) -> float:
    from reports.metric_references import reference_scores
    from reports.metrics import score_pairs

    empty = sum(1 for hypothesis, _ in pairs if not hypothesis.strip())
    identical = sum(1 for hypothesis, reference in pairs if hypothesis == reference)
    print(f"\n{name}: {len(pairs)} pairs ({empty} with an empty hypothesis, {identical} identical)")

    started = time.perf_counter()
    ours = score_pairs(pairs, workers=1)
    engine_one_seconds = time.perf_counter() - started
    started = time.perf_counter()
    ours_parallel = score_pairs(pairs, workers=workers)
    engine_seconds = time.perf_counter() - started
    started = time.perf_counter()
    expected = [reference_scores(hypothesis, reference) for hypothesis, reference in pairs]
    reference_seconds = time.perf_counter() - started

    largest = max(
        abs(a - b) for mine, theirs in zip(ours, expected, strict=True)
        for a, b in zip(mine, theirs, strict=True)
    )  # fmt: skip
    print(f"  reference (NLTK ×4 + jieba + rouge_chinese, 1 core): {reference_seconds:8.2f} s")
    print(f"  engine, 1 core:                                      {engine_one_seconds:8.2f} s"
          f"   ratio {reference_seconds / engine_one_seconds:6.1f}×")  # fmt: skip
    print(f"  engine, {workers} workers:                                   {engine_seconds:8.2f} s"
          f"   ratio {reference_seconds / engine_seconds:6.1f}×")  # fmt: skip
    agree = "" if ours_parallel == ours else "; the workers disagree with one core!"
    print(f"  largest difference over all pairs and metrics: {largest:.3g}{agree}")
    return largest if ours_parallel == ours else float("inf")


if __name__ == "__main__":
    sys.exit(main())
