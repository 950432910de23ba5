"""Time the agreement table's bootstrap intervals at paper size, against the libraries.

A paper-size rating study: 300 items (2 datasets × 3 systems × 50 samples) × 3 raters,
four CEHS dimensions, 1,000 seeded resamples each. The table (κ, α, AC1, AC2 with their
intervals) is computed by reports.agreement, all resamples of a coefficient at once;
the reference draws the same resamples and calls the libraries once per resample
(statsmodels' fleiss_kappa, krippendorff.alpha, reports.gwet.gwet_ac, which equals
irrCAC). Printed: both times, the ratio, and whether every interval is equal.

    .venv/bin/python bench/agreement.py [--items 300] [--raters 3] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reports.agreement import ScoreRecord, agreement_table
from reports.gwet import IDENTITY, ORDINAL, category_counts, gwet_ac, gwet_weights
from reports.statistics import bootstrap_statistic

DOMAINS = {"content": [0, 1, 2], "empathy": [0, 1, 2], "helpfulness": [0, 1, 2], "safety": [0, 1]}


def records_make(items: int, raters: int, seed: int) -> list[ScoreRecord]:
    rng = np.random.default_rng(seed)
    records = []
    for dimension, domain in DOMAINS.items():
        top = len(domain) - 1
        truth = rng.integers(0, top + 1, size=items)
        for item in range(items):
            for rater in rng.choice(12, size=raters, replace=False):
                score = int(np.clip(truth[item] + rng.choice([-1, 0, 0, 0, 1]), 0, top))
                records.append(ScoreRecord(f"i{item}", f"r{rater}", dimension, score))
    return records


def reference_intervals(records: list[ScoreRecord], seed: int) -> list[tuple]:
    """The same intervals, one library call per resample."""
    import krippendorff
    from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

    found = []
    for dimension, domain in DOMAINS.items():
        by_item: dict[str, dict[str, int]] = {}
        for record in records:
            if record.dimension == dimension:
                by_item.setdefault(record.item, {})[record.rater] = record.score
        rows = [list(scores.values()) for scores in by_item.values()]
        table, _ = aggregate_raters(np.asarray(rows), n_cat=None)
        raters = sorted({rater for scores in by_item.values() for rater in scores})
        data = np.full((len(raters), len(by_item)), np.nan)
        for column, scores in enumerate(by_item.values()):
            for rater, score in scores.items():
                data[raters.index(rater), column] = score

        def kappa(indices, table=table):
            return fleiss_kappa(table[indices], method="fleiss")

        def alpha(indices, data=data, domain=domain):
            chosen = data[:, indices]
            if len(np.unique(chosen[~np.isnan(chosen)])) < 2:
                return None
            return krippendorff.alpha(
                reliability_data=chosen, level_of_measurement="ordinal", value_domain=domain
            )

        counts = category_counts(list(by_item.values()), domain)
        intervals = [
            bootstrap_statistic(len(table), kappa, seed=seed),
            bootstrap_statistic(data.shape[1], alpha, seed=seed),
        ]
        for kind in (IDENTITY, ORDINAL):
            weights = gwet_weights(len(domain), kind)

            def ac(indices, weights=weights, counts=counts):
                parts = gwet_ac(counts[indices], weights)
                return None if parts is None else parts.value

            intervals.append(bootstrap_statistic(len(counts), ac, seed=seed))
        found.append(tuple(intervals))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--raters", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.items < 2 or not 2 <= args.raters <= 12 or args.repeat < 1:
        parser.error("2 items or more, 2 to 12 raters, 1 repeat at least")
    records = records_make(args.items, args.raters, seed=1)
    engine, reference = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for _ in range(args.repeat):
            started = time.perf_counter()
            table = agreement_table(records, domains=DOMAINS, seed=0)
            engine.append(time.perf_counter() - started)
            started = time.perf_counter()
            expected = reference_intervals(records, seed=0)
            reference.append(time.perf_counter() - started)
    got = [
        tuple(
            None if c.low is None else (c.low, c.high)
            for c in (row.kappa, row.alpha, row.ac1, row.ac2)
        )
        for row in table
    ]
    equal = all(
        (a is None and b is None) or (a is not None and b is not None and np.allclose(a, b))
        for mine, theirs in zip(got, expected, strict=True)
        for a, b in zip(mine, theirs, strict=True)
    )
    median = statistics.median
    print(
        f"agreement table, {args.items} items × {args.raters} raters × 4 dimensions, "
        f"1,000 resamples per interval, median of {args.repeat}: "
        f"SoulEval {1000 * median(engine):.0f} ms, libraries once per resample "
        f"{1000 * median(reference):.0f} ms, {median(reference) / median(engine):.0f}× faster; "
        f"intervals equal: {'yes' if equal else 'NO'}"
    )
    return 0 if equal else 1


if __name__ == "__main__":
    raise SystemExit(main())
