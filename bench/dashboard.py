"""Time the results dashboard's server side on the demo study.

The demo's run (its canned replies and the human reference, 7 samples, 3 raters, the
simulated ratings) is built in a scratch database; then the dashboard page is asked for
through Django's test client, cold (its cache empty) and warm, beside the reference: the
libraries computing the page's agreement table afresh (statsmodels' κ, krippendorff's
α, Gwet's AC1/AC2 with their seeded bootstrap intervals), in the same process. The ratio
says what a warm page costs against computing its figures.

    .venv/bin/python bench/dashboard.py [--database-url postgres://…/souleval_bench]

With no URL it uses a fresh SQLite file. A PostgreSQL database named in the URL is
created if missing and emptied first (its name must end in _bench).
"""

from __future__ import annotations

import argparse
import statistics
import time
from io import StringIO

from scratch import scratch_django


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    database_url = scratch_django(parser, args.database_url)
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from demo.services import DEMO_DATASET, demo_install, demo_ratings_simulate
    from reports.agreement import agreement_table
    from reports.models import EvalRun
    from reports.selectors.ratings import DOMAINS, run_score_records

    call_command("migrate", verbosity=0)
    demo_install()
    call_command(
        "run_eval", "--dataset", DEMO_DATASET, "--systems", "demo-canned", "--with-reference",
        "--auto", "7", "--human", "7", "--raters", "3", stdout=StringIO(), stderr=StringIO(),
    )  # fmt: skip
    demo_ratings_simulate()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    run = EvalRun.objects.get()
    client = Client()
    client.force_login(get_user_model().objects.get(username="admin"))
    url = reverse("admin:reports_evalrun_dashboard", args=[run.pk])
    client.get(url, HTTP_HOST="127.0.0.1")  # the process's first request loads the URLconf

    def timed(action) -> float:
        started = time.perf_counter()
        action()
        return time.perf_counter() - started

    def page() -> None:
        assert client.get(url, HTTP_HOST="127.0.0.1").status_code == 200

    records = run_score_records(run=run)
    cold, warm, reference = [], [], []
    for _ in range(args.repeat):
        cache.clear()
        cold.append(timed(page))
        warm.append(timed(page))
        reference.append(timed(lambda: agreement_table(records, domains=DOMAINS, seed=run.seed)))
    median = statistics.median
    engine = database_url.split(":", 1)[0]
    print(
        f"demo dashboard on {engine} ({len(records) // 4} ratings), median of {args.repeat}: "
        f"cold {1000 * median(cold):.0f} ms, warm {1000 * median(warm):.0f} ms; "
        f"reference (agreement table computed afresh) {1000 * median(reference):.0f} ms; "
        f"ratio warm/reference {median(warm) / median(reference):.2f}×"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
