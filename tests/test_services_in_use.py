"""CI must run on the real services: this fails there if they were not in use."""

import pytest

pytestmark = pytest.mark.django_db


def test_it_runs_on_postgresql(postgres):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("select version()")
        assert cursor.fetchone()[0].startswith("PostgreSQL")


def test_it_has_a_redis_broker(redis_broker_url):
    import redis

    assert redis.Redis.from_url(redis_broker_url).ping() is True
