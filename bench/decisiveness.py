"""Which study separates two systems for less money: rating each answer on the CEHS
scales, or voting on pairs? Measured on a run's own answers with the demo's simulated
experts (demo.services: a rater follows each answer's ROUGE-L with noise; a voter
prefers the answer with the higher ROUGE-L, sharper the larger the gap), by Monte Carlo:
for each design size, how often the two systems come out different at the 5% level.

- rating: n samples, both systems' answers rated by 3 raters each (6n paid items); the
  per-sample difference of the mean of Content, Empathy and Helpfulness, paired t-test;
- pairwise: n paid votes on a pair of the two answers to a drawn sample, sides drawn;
  ties and "both bad" set aside, a two-sided binomial test of the decisive votes (the
  two-system Bradley–Terry fit's interval excludes 0 exactly when the win share's does).

    .venv/bin/python bench/decisiveness.py --run 1 --first demo-tiny --second demo-tiny-early

Run it where the demo ran (the settings read .env). Prints, per size, the share of
simulated studies that separate the systems, and the smallest size reaching 80%.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from random import Random

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=int, required=True)
    parser.add_argument("--first", required=True)
    parser.add_argument("--second", required=True)
    parser.add_argument("--simulations", type=int, default=1000)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from scipy.stats import binomtest, ttest_rel

    from demo.services.pairs import _choice
    from demo.services.setup import _simulated_scores
    from reports.models import EvalSample, ResponseScore

    samples = list(
        EvalSample.objects.filter(run_id=args.run, human=True).values_list("sample_id", flat=True)
    )
    quality = {
        (sample, system): rouge
        for sample, system, rouge in ResponseScore.objects.filter(
            response__sample_id__in=samples,
            response__system__name__in=[args.first, args.second],
        ).values_list("response__sample_id", "response__system__name", "rouge_l")
    }
    samples = [s for s in samples if (s, args.first) in quality and (s, args.second) in quality]
    if not samples:
        parser.error("no sample of the run has scored answers of both systems")
    rng = Random(0)  # noqa: S311 (a simulation)

    def rating_separates(n: int) -> bool:
        differences = []
        for sample in rng.choices(samples, k=n):
            means = []
            for system in (args.first, args.second):
                scores = [_simulated_scores(quality[sample, system], rng) for _ in range(3)]
                means.append(
                    sum(s["content"] + s["empathy"] + s["helpfulness"] for s in scores) / 9
                )
            differences.append(means)
        firsts, seconds = zip(*differences, strict=True)
        if len({a - b for a, b in differences}) < 2:
            return firsts[0] != seconds[0]
        return ttest_rel(firsts, seconds).pvalue < 0.05

    def votes_separate(n: int) -> bool:
        wins = decisive = 0
        for sample in rng.choices(samples, k=n):
            first_on_left = rng.random() < 0.5
            a, b = quality[sample, args.first], quality[sample, args.second]
            left, right = (a, b) if first_on_left else (b, a)
            choice = _choice(left, right, rng)
            if choice in ("left", "right"):
                decisive += 1
                wins += (choice == "left") == first_on_left
        return decisive > 0 and binomtest(wins, decisive).pvalue < 0.05

    print(
        f"run {args.run}: {args.first} against {args.second} on {len(samples)} samples; "
        f"mean ROUGE-L {sum(quality[s, args.first] for s in samples) / len(samples):.3f} "
        f"against {sum(quality[s, args.second] for s in samples) / len(samples):.3f}"
    )
    for label, separates, sizes, paid in (
        ("rating", rating_separates, [2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128], 6),
        ("pairwise", votes_separate, [8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096], 1),
    ):
        reached = None
        for n in sizes:
            power = sum(separates(n) for _ in range(args.simulations)) / args.simulations
            print(f"  {label:<8} n={n:>4} ({paid * n:>4} paid items): separated in {power:.1%}")
            if reached is None and power >= 0.8:
                reached = n
        print(
            f"  {label}: 80% from n={reached} ({paid * reached} paid items)"
            if reached
            else f"  {label}: not 80% within the sizes tried"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
