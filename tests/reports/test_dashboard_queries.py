"""A dashboard load reads the run's ratings once, whatever it shows (Table 1, agreement,
annotators, charts, a comparison), and its queries do not grow with the study."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.support.factories import AdminFactory
from tests.support.runs import rate_all, run_world

pytestmark = pytest.mark.django_db

# The one query of reports.selectors.ratings.run_ratings: every rating, exclusions flagged.
RATINGS_QUERY = '"left_out"'


def _load(client, run, **params):
    url = reverse("admin:reports_evalrun_dashboard", args=[run.pk])
    with CaptureQueriesContext(connection) as captured:
        page = client.get(url, params)
    assert page.status_code == 200
    return [query["sql"] for query in captured.captured_queries]


@pytest.mark.parametrize("ratings", ["after-exclusions", "all"])
def test_a_dashboard_load_reads_the_ratings_once(client, ratings):
    world = run_world(samples=6, human=3, raters=2)
    rate_all(world)
    client.force_login(AdminFactory())
    system = world.systems[0].name
    queries = _load(
        client, world.run, ratings=ratings, dataset=world.dataset.name, first=system,
        second=world.systems[1].name, metric="content",
    )  # fmt: skip
    assert sum(RATINGS_QUERY in sql for sql in queries) == 1


def test_the_dashboards_queries_do_not_grow_with_the_study(client):
    client.force_login(AdminFactory())
    small = run_world(samples=4, human=2, raters=2)
    rate_all(small)
    large = run_world(samples=12, human=10, raters=2)
    rate_all(large)
    assert len(_load(client, large.run)) == len(_load(client, small.run))


def test_the_dashboard_stays_within_its_query_budget(client, django_assert_max_num_queries):
    world = run_world(samples=6, human=3, raters=2)
    rate_all(world)
    client.force_login(AdminFactory())
    url = reverse("admin:reports_evalrun_dashboard", args=[world.run.pk])
    # 47 on PostgreSQL and SQLite alike when written, 13 of them the digest of the inputs
    # the figures are kept under; the budget leaves room, not growth.
    with django_assert_max_num_queries(52):
        client.get(url)
    # Nothing changed: 23 when written (the digest and the page's own), no ratings read.
    with django_assert_max_num_queries(28) as captured:
        client.get(url)
    assert not any(RATINGS_QUERY in query["sql"] for query in captured.captured_queries)
