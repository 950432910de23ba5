"""Settings for the test suite: the base settings with a fixed key and fast hashing.

DATABASE_URL and CELERY_BROKER_URL are taken from the environment as usual (bin/test
points them at the local PostgreSQL and Redis when those answer); tasks still run
eagerly here, and the worker integration test switches that off for itself.
"""

import os

# A checkout's .env (bin/demo's) is for the demo, never for the suite.
os.environ.setdefault("SOULEVAL_ENV_FILE", "")
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-" + "k3y-" * 12)
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")

from config.settings.base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Per process and gone with it: a test database's ids come again in the next run.
# Room for every figure a whole test run keeps: the default 300 entries would cull kept
# dashboards at random, and a test that counts a warm load's queries would then see a cold one.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    }
}
CELERY_TASK_ALWAYS_EAGER = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
