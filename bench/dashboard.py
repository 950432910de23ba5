"""Time the results dashboard's server side at paper size, and on the demo study.

By default a paper-size run (bench/paper_run.py: 2 datasets × 3 systems × 10,000 samples
scored, 300 items × 3 raters) is built in a scratch database; then the dashboard page is
asked for through Django's test client as an admin: cold (every cache empty), at the
first visit after the run's last advance (which leaves Table 1's automatic part computed
in the worker), warm (nothing changed since), after one rating is revised through the
portal's service (what that changes is computed again), and the progress poll alone;
beside them the mixed models' differences panel the page fetches after it is shown,
fitted and kept.
Goals: under 1 s cold, under 150 ms warm.

With --demo, the demo's run (7 samples, 3 raters, the simulated ratings) instead, beside
the reference: the libraries computing the page's agreement table afresh in the same
process.

    .venv/bin/python bench/dashboard.py [--demo] [--database-url postgres://…/souleval_bench]

With no URL it uses a fresh SQLite file. A PostgreSQL database named in the URL is
created if missing and emptied first (its name must end in _bench).
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from io import StringIO

from scratch import scratch_django


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--demo", action="store_true", help="the demo's run, not paper size")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    database_url = scratch_django(parser, args.database_url)
    if not args.demo:
        return paper_size(database_url, args.repeat)
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


def paper_size(database_url: str, repeat: int) -> int:
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from paper_run import paper_run_build

    from annotation.models import Rating
    from annotation.services import rating_revise
    from reports.metrics import PROFILE_SOULCHAT
    from reports.models import EvalRun, ResponseScore
    from reports.selectors.automatic_cells import run_automatic_part

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    run = EvalRun.objects.get(pk=paper_run_build())
    built = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("bench-admin"))
    url = reverse("admin:reports_evalrun_dashboard", args=[run.pk])
    progress_url = reverse("admin:reports_evalrun_progress", args=[run.pk])
    client.get(progress_url, HTTP_HOST="127.0.0.1")  # the first request loads the URLconf

    def timed(path: str) -> float:
        started = time.perf_counter()
        assert client.get(path, HTTP_HOST="127.0.0.1").status_code == 200
        return time.perf_counter() - started

    differences_url = reverse("admin:reports_evalrun_differences", args=[run.pk])
    rating = Rating.objects.select_related("assignment__annotator", "assignment__item").first()
    cold, first, warm, revised, polls, fits, fits_kept = [], [], [], [], [], [], []
    for attempt in range(repeat):
        cache.clear()
        cold.append(timed(url))
        # The first visit after the run's last advance, which left Table 1's automatic
        # part computed in the worker (reports.services.runs.eval_run_advance).
        cache.clear()
        run_automatic_part(run=run, profile=PROFILE_SOULCHAT)
        first.append(timed(url))
        fits.append(timed(differences_url))  # what the page's script fetches next
        warm.append(timed(url))
        fits_kept.append(timed(differences_url))
        # A revision through the portal's service, as an annotator makes it.
        rating_revise(
            annotator=rating.assignment.annotator,
            item_public_id=rating.assignment.item.public_id,
            scores={"content": attempt % 3, "empathy": rating.empathy,
                    "helpfulness": rating.helpfulness, "safety": rating.safety},
            comment="", active_seconds=20, submission_id=uuid.uuid4(),
        )  # fmt: skip
        revised.append(timed(url))
        polls.append(timed(progress_url))
    median = statistics.median
    engine = database_url.split(":", 1)[0]
    print(
        f"paper-size run on {engine}: {run.datasets.count()} datasets, "
        f"{run.systems.count()} systems, "
        f"{ResponseScore.objects.filter(response__sample__eval_samples__run=run).count()} "
        f"scored responses, {Rating.objects.count()} ratings (built in {built:.0f} s)"
    )
    print(
        f"dashboard page, median of {repeat}: cold (every cache empty) "
        f"{1000 * median(cold):.0f} ms, first visit after the run's last advance "
        f"{1000 * median(first):.0f} ms, warm {1000 * median(warm):.0f} ms, after a revised rating "
        f"{1000 * median(revised):.0f} ms; progress poll {1000 * median(polls):.0f} ms"
    )
    print(
        f"differences panel (fetched after the page): fitted {1000 * median(fits):.0f} ms, "
        f"kept {1000 * median(fits_kept):.0f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
