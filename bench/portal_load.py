"""Load the annotator portal as a study does, and check the database afterwards.

A scratch PostgreSQL database gets, per round, one open study of each size (half as
many samples as items, two systems, three raters per item) and 50 annotators; then
ANALYZE, as a production database has statistics. gunicorn serves the project with
production settings (DEBUG off, 4 sync workers). Every annotator logs in through the
login form (a real session and CSRF token) and loops next → submit through the API,
with no pause or, with --think-seconds, a pause of that mean between being handed an
item and submitting it. The reference is the same server's trivial view (the login
page, a template and a CSRF cookie, no query) under the same 50 clients in the same run.
Rounds alternate the order of the phases. Printed: cycles/s, API requests/s, the
trivial view's requests/s and the ratio, p50/p95/p99 of next and submit; then the
checks: no item over its raters, no duplicate rating, every 2xx submit stored, every
item's count of slots equal to its assignments, and no answer but 200/201/204.

    .venv/bin/python bench/portal_load.py --database-url postgres://postgres@127.0.0.1:5432/souleval_bench
        [--sizes 1400,14000] [--rounds 5] [--seconds 15] [--think-seconds 0]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from scratch import ROOT, scratch_django

PASSWORD = "bench-annotator-password"  # noqa: S105 (a scratch database's users)
RATERS = 3
SCORES = {"content": 2, "empathy": 1, "helpfulness": 1, "safety": 1}


# --- The client: one HTTP connection per request, as gunicorn's sync workers close each.


@dataclass
class Browser:
    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def send(self, method: str, path: str, body: bytes = b"", kind: str = "") -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Host": f"127.0.0.1:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if "csrftoken" in self.cookies:
            headers["X-CSRFToken"] = self.cookies["csrftoken"]
        if kind:
            headers["Content-Type"] = kind
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            for line in response.msg.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(line).items():
                    self.cookies[name] = morsel.value
            return response.status, data
        finally:
            connection.close()

    def log_in(self, username: str) -> None:
        status, page = self.send("GET", "/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or token is None:
            raise SystemExit(f"the login page answered {status} without a CSRF token")
        form = {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token[1]}
        kind = "application/x-www-form-urlencoded"
        status, _ = self.send("POST", "/accounts/login/", urlencode(form).encode(), kind)
        if status != 302 or "sessionid" not in self.cookies:
            raise SystemExit(f"logging in {username} answered {status}, not a session")


@dataclass
class Phase:
    """What the clients saw while one phase was measured."""

    seconds: float
    cycles: int = 0
    requests: int = 0
    next_ms: list[float] = field(default_factory=list)
    submit_ms: list[float] = field(default_factory=list)
    stored: list[str] = field(default_factory=list)  # submission ids answered 2xx
    unexpected: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def run_phase(seconds: float, warmup: float, clients: list, loop) -> Phase:
    """Run ``loop(client, phase, stop, counting)`` in a thread per client; count what
    finishes in the ``seconds`` after ``warmup``."""
    phase = Phase(seconds=seconds)
    stop, counting = threading.Event(), threading.Event()
    threads = [threading.Thread(target=loop, args=(c, phase, stop, counting)) for c in clients]
    for thread in threads:
        thread.start()
    time.sleep(warmup)
    counting.set()
    time.sleep(seconds)
    counting.clear()
    stop.set()
    for thread in threads:
        thread.join()
    return phase


def trivial_loop(browser: Browser, phase: Phase, stop, counting) -> None:
    while not stop.is_set():
        status, _ = browser.send("GET", "/accounts/login/")
        if counting.is_set():
            with phase.lock:
                phase.requests += 1
                if status != 200:
                    phase.unexpected.append(status)


def rating_loop(study: str, think: float):
    def loop(browser: Browser, phase: Phase, stop, counting) -> None:
        # Annotators do not all start at the same second.
        if think and stop.wait(random.uniform(0, think)):  # noqa: S311 (a pace, not a secret)
            return
        while not stop.is_set():
            started = time.perf_counter()
            status, body = browser.send("POST", f"/api/portal/studies/{study}/next/")
            next_ms = 1000 * (time.perf_counter() - started)
            if status != 200:
                with phase.lock:
                    if status != 204:
                        phase.unexpected.append(status)
                return
            item = json.loads(body)["public_id"]
            if think and stop.wait(random.expovariate(1 / think)):
                return
            submission = str(uuid.uuid4())
            payload = json.dumps({**SCORES, "active_seconds": 1, "submission_id": submission})
            started = time.perf_counter()
            status, _ = browser.send(
                "POST", f"/api/portal/items/{item}/submit/", payload.encode(), "application/json"
            )
            submit_ms = 1000 * (time.perf_counter() - started)
            with phase.lock:
                if status in (200, 201):
                    phase.stored.append(submission)
                else:
                    phase.unexpected.append(status)
                if counting.is_set():
                    phase.cycles += 1
                    phase.requests += 2
                    phase.next_ms.append(next_ms)
                    phase.submit_ms.append(submit_ms)

    return loop


# --- The scratch data and the server.


def studies_build(sizes: list[int], rounds: int) -> dict[int, list[str]]:
    """Per size, one open study per round (public ids)."""
    from annotation.services import StudySettings, study_create, study_status_set
    from generation.models import Dataset, Response, Sample, System

    dataset = Dataset.objects.create(
        name="bench-portal", source_format=Dataset.SourceFormat.SMILECHAT, test_ratio=1.0
    )
    systems = [
        System.objects.create(
            name=f"bench-{n}", kind=System.Kind.IMPORTED, responses_file="bench.jsonl"
        )
        for n in (1, 2)
    ]
    made: dict[int, list[str]] = {size: [] for size in sizes}
    for round_number in range(rounds):
        for size in sizes:
            samples = Sample.objects.bulk_create(
                Sample(
                    dataset=dataset,
                    split="test",
                    dialogue_id=f"r{round_number}-s{size}-{n}",
                    turn_index=0,
                    context=[{"role": "user", "content": f"来访者 {n}：我最近总是失眠。"}],
                    context_turns=1,
                    reference="失眠多久了？",
                    source_id=f"r{round_number}-s{size}-{n}",
                )
                for n in range(size // len(systems))
            )
            responses = Response.objects.bulk_create(
                Response(sample=sample, system=system, text=f"回复 {sample.dialogue_id}")
                for sample in samples
                for system in systems
            )
            study = study_create(
                name=f"bench-{round_number}-{size}",
                responses=responses,
                settings=StudySettings(raters_per_item=RATERS),
            )
            made[size].append(study_status_set(study=study, status="open").public_id)
    return made


def annotators_build(count: int) -> list[str]:
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User

    from annotation.models import Annotator

    hashed = make_password(PASSWORD)  # one hash for all: hashing is not what is measured
    users = User.objects.bulk_create(
        User(username=f"bench-annotator-{n}", password=hashed) for n in range(count)
    )
    Annotator.objects.bulk_create(Annotator(user=user) for user in users)
    return [user.username for user in users]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_start(database_url: str, workers: int) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DATABASE_URL": database_url,
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    gunicorn = [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--log-level"]
    server = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        [*gunicorn, "warning", "--workers", str(workers), "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if Browser(port).send("GET", "/accounts/login/")[0] == 200:
                # Every worker imports the project on its first request.
                run_phase(2, 0, [Browser(port) for _ in range(workers * 4)], trivial_loop)
                return server, port
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("gunicorn did not answer within 60 s")


def database_check(studies: list[str], stored: list[str]) -> list[str]:
    """What is wrong in the database after the load; nothing, if all is well."""
    from django.db.models import Count, F, Q

    from annotation.models import Assignment, Item, Rating

    problems = []
    items = Item.objects.filter(study__public_id__in=studies)
    ratings = Rating.objects.filter(assignment__item__in=items)
    over = ratings.values("assignment__item").annotate(n=Count("pk")).filter(n__gt=RATERS).count()
    if over:
        problems.append(f"{over} items over {RATERS} ratings")
    pairs = ratings.values("assignment__item", "assignment__annotator").distinct().count()
    if pairs != ratings.count():
        problems.append(f"{ratings.count() - pairs} duplicate ratings")
    found = {
        str(submission)
        for submission in Rating.objects.filter(submission_id__in=stored).values_list(
            "submission_id", flat=True
        )
    }
    if len(found) != len(set(stored)):
        problems.append(f"{len(set(stored)) - len(found)} submits answered 2xx but not stored")
    holding = Q(assignments__status__in=[Assignment.Status.SUBMITTED, Assignment.Status.LEASED])
    drifted = (
        items.annotate(holding=Count("assignments", filter=holding))
        .exclude(slots_taken=F("holding"))
        .count()
    )
    if drifted:
        problems.append(f"{drifted} items whose count of slots differs from their assignments")
    return problems


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="postgres://…/NAME_bench")
    parser.add_argument("--sizes", default="1400,14000", help="items per study, comma-separated")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=15, help="measured per phase")
    parser.add_argument("--annotators", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--think-seconds", type=float, default=0.0)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    if not args.database_url.startswith("postgres"):
        parser.error("the load is measured on PostgreSQL, as production runs")
    if min(sizes) < 2 or args.rounds < 1 or args.annotators < 1 or args.seconds <= 0:
        parser.error("sizes of 2 or more items, 1 round, 1 annotator and some seconds at least")
    database_url = scratch_django(parser, args.database_url)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    print(f"building {args.rounds} studies of each of {sizes} items …", flush=True)
    studies = studies_build(sizes, args.rounds)
    usernames = annotators_build(args.annotators)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    connection.close()
    server, port = server_start(database_url, args.workers)
    try:
        browsers = [Browser(port) for _ in usernames]
        for browser, username in zip(browsers, usernames, strict=True):
            browser.log_in(username)
        trivial: list[Phase] = []
        rated: dict[int, list[Phase]] = {size: [] for size in sizes}
        warmup = min(2.0, args.seconds / 5) if not args.think_seconds else args.think_seconds
        for round_number in range(args.rounds):
            order = sizes if round_number % 2 == 0 else sizes[::-1]
            anonymous = [Browser(port) for _ in usernames]
            trivial.append(run_phase(args.seconds, 1.0, anonymous, trivial_loop))
            for size in order:
                loop = rating_loop(studies[size][round_number], args.think_seconds)
                rated[size].append(run_phase(args.seconds, warmup, browsers, loop))
            print(f"round {round_number + 1} of {args.rounds} done", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    report(args, sizes, trivial, rated)
    every_study = [public_id for ids in studies.values() for public_id in ids]
    phases = [phase for size in sizes for phase in rated[size]]
    problems = database_check(every_study, [s for phase in phases for s in phase.stored])
    unexpected = [status for phase in [*trivial, *phases] for status in phase.unexpected]
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected answers: {sorted(set(unexpected))}")
    submitted = sum(len(phase.stored) for phase in phases)
    print(f"database check over {submitted} submits: " + ("; ".join(problems) or "all well"))
    return 1 if problems else 0


def report(args, sizes: list[int], trivial: list[Phase], rated: dict[int, list[Phase]]) -> None:
    median = statistics.median
    trivial_rate = median(phase.requests / phase.seconds for phase in trivial)
    pace = f"think {args.think_seconds:g} s" if args.think_seconds else "no think time"
    print(
        f"\n{args.annotators} annotators, {pace}, gunicorn {args.workers} sync workers, "
        f"{args.rounds} rounds of {args.seconds:g} s per phase (medians over rounds)"
    )
    print(f"trivial view (login page): {trivial_rate:.0f} req/s")
    print("items   cycles/s  API req/s  ÷ trivial   next p50/p95/p99 ms     submit p50/p95/p99 ms")
    base = None
    for size in sizes:
        phases = rated[size]
        cycles = median(phase.cycles / phase.seconds for phase in phases)
        base = base or cycles
        api = median(phase.requests / phase.seconds for phase in phases)
        next_ms = [ms for phase in phases for ms in phase.next_ms]
        submit_ms = [ms for phase in phases for ms in phase.submit_ms]
        print(
            f"{size:>6}  {cycles:8.1f}  {api:9.1f}  {100 * api / trivial_rate:7.1f}%   "
            + "/".join(f"{percentile(next_ms, q):.0f}" for q in (0.5, 0.95, 0.99)).ljust(22)
            + "  "
            + "/".join(f"{percentile(submit_ms, q):.0f}" for q in (0.5, 0.95, 0.99))
            + (f"   ({cycles / base:.2f}× at {sizes[0]} items)" if size != sizes[0] else "")
        )


if __name__ == "__main__":
    raise SystemExit(main())
