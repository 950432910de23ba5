"""The metrics engine against the reference pipeline of METRICS.md, on the same pairs.

Pairs: every counsellor turn of the shared SMILECHAT slice as the reference of three
hypotheses: the next counsellor turn, itself, and an empty string (about 34,000 pairs).
The reference is NLTK's sentence_bleu four times, jieba and rouge_chinese per pair, one
core, as SoulChat's evaluation runs it; the empty pairs, where it raises, are 0 by
definition and cost it nothing. The engine runs on --workers processes (default: every
core). Both are warmed first (jieba's dictionary loaded) so load time counts for neither.

    .venv/bin/python bench/metrics.py                 # the whole slice (~4 minutes)
    .venv/bin/python bench/metrics.py --limit 3000    # the first 3,000 pairs
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
    parser.add_argument("--limit", type=int, help="the first N pairs only")
    parser.add_argument("--workers", type=int, help="engine processes (default: every core)")
    args = parser.parse_args()
    if not args.data.exists():
        print(f"shared data absent at {args.data}: nothing to measure", file=sys.stderr)
        return 0

    import jieba
    import rjieba

    from reports.metric_references import benchmark_pairs, counsellor_turns, reference_scores
    from reports.metrics import default_workers, score_pairs

    jieba.initialize()
    rjieba.cut("预热")
    pairs = list(benchmark_pairs(counsellor_turns(args.data)))[: args.limit]
    workers = args.workers or default_workers()
    empty = sum(1 for hypothesis, _ in pairs if not hypothesis.strip())
    print(f"{len(pairs)} pairs ({empty} with an empty hypothesis), engine on {workers} workers")

    started = time.perf_counter()
    ours = score_pairs(pairs, workers=workers)
    engine_seconds = time.perf_counter() - started
    ours_one_started = time.perf_counter()
    score_pairs(pairs, workers=1)
    engine_one_seconds = time.perf_counter() - ours_one_started

    started = time.perf_counter()
    expected = [reference_scores(hypothesis, reference) for hypothesis, reference in pairs]
    reference_seconds = time.perf_counter() - started

    largest = max(
        abs(a - b) for mine, theirs in zip(ours, expected, strict=True)
        for a, b in zip(mine, theirs, strict=True)
    )  # fmt: skip
    print(f"reference (NLTK ×4 + jieba + rouge_chinese, 1 core): {reference_seconds:8.2f} s")
    print(
        f"engine, 1 worker:                                   {engine_one_seconds:8.2f} s"
        f"   ratio {reference_seconds / engine_one_seconds:6.1f}×"
    )
    print(f"engine, {workers} workers:                                  {engine_seconds:8.2f} s"
          f"   ratio {reference_seconds / engine_seconds:6.1f}×")  # fmt: skip
    print(f"largest difference over all pairs and metrics: {largest:.3g}")
    return 0 if largest <= 1e-9 else 1


if __name__ == "__main__":
    sys.exit(main())
