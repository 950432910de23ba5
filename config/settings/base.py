"""Settings for every deployment, read from the environment through config.environment.

The embedded default (no variables set but DJANGO_DEBUG=true) is SQLite with Celery
tasks run eagerly in the web process. A server sets DATABASE_URL, CELERY_BROKER_URL
and DJANGO_SECRET_KEY; with DEBUG off the security settings below are switched on.

Variables may also sit in a git-ignored `.env` at the checkout's root (bin/demo writes
one for the embedded default); the process's own environment wins over it, and
SOULEVAL_ENV_FILE names another file, or none when empty.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from config.environment import (
    env_bool,
    env_broker_url,
    env_database,
    env_file_load,
    env_int,
    env_list,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env_file_load(BASE_DIR / ".env")
VAR_DIR = Path(env_str("SOULEVAL_VAR_DIR", str(BASE_DIR / "var")))
# Where training jobs write checkpoints: a path every GPU worker sees (a shared volume).
TRAINED_MODELS_DIR = Path(env_str("SOULEVAL_TRAINED_MODELS_DIR", str(VAR_DIR / "models")))

DEBUG = env_bool("DJANGO_DEBUG", default=False)

# Production secrets have no default: without one the server refuses to start.
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if SECRET_KEY is None and not DEBUG:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set on a server; for the embedded demo on this machine, "
        "run bin/demo once (it writes DJANGO_DEBUG=true to .env)."
    )
if SECRET_KEY is None:
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105 (DEBUG only)
elif not DEBUG and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is too weak: use at least 50 characters with at least 5 distinct "
        "ones (python -c 'import secrets; print(secrets.token_urlsafe(64))')."
    )

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "axes",
    # Floors, lowest first: a lower app never imports a higher one.
    "common",
    "generation",
    "corpus",
    "training",
    "judging",
    "annotation",
    "reports",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads a body: a body cut short is refused whole.
    "common.middleware.CompleteBodyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language a person chose (the switch's cookie), else their browser's.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env_database("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'souleval.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite will not create the folder its file lives in.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Computed figures (agreement intervals, mixed-model fits) are kept by their ratings'
# fingerprint, so every process of a server shares them: Redis where SOULEVAL_CACHE_URL
# names it, else files under var/ (the embedded default: the demo's setup computes them
# and its web server reads them).
_cache_url = env_str("SOULEVAL_CACHE_URL", "")
CACHES: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": _cache_url,
    }
    if _cache_url.startswith(("redis://", "rediss://"))
    else {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache"),
        "OPTIONS": {"MAX_ENTRIES": 5000},
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
# The portal speaks the experts' language: Simplified Chinese and English (locale/); the
# rubric itself shows both whatever the choice.
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login guessing, on the portal's and the admin's login alike (annotation.lockout):
# django-axes locks a (username, address) pair after SOULEVAL_LOGIN_FAILURE_LIMIT
# failures, and an address after SOULEVAL_LOGIN_ADDRESS_FAILURE_LIMIT failures whatever
# the usernames (one password sprayed over many accounts).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "annotation.lockout.PairAndAddressLockout"
AXES_FAILURE_LIMIT = env_int("SOULEVAL_LOGIN_FAILURE_LIMIT", 5, minimum=1)
SOULEVAL_LOGIN_ADDRESS_FAILURE_LIMIT = env_int(
    "SOULEVAL_LOGIN_ADDRESS_FAILURE_LIMIT", 20, minimum=AXES_FAILURE_LIMIT
)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("SOULEVAL_LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The client's address: behind DJANGO_PROXY_HOPS proxies (DJANGO_BEHIND_TLS_PROXY), the
# one the nearest proxy appended to X-Forwarded-For, which no client can forge; else the
# peer's. Never the header without a proxy in front.
SOULEVAL_PROXY_HOPS = (
    env_int("DJANGO_PROXY_HOPS", 1, minimum=1)
    if env_bool("DJANGO_BEHIND_TLS_PROXY", default=False)
    else 0
)
AXES_CLIENT_IP_CALLABLE = "annotation.lockout.login_client_address"
SESSION_COOKIE_AGE = env_int("SOULEVAL_SESSION_HOURS", 12, minimum=1) * 3600

REST_FRAMEWORK = {
    "EXCEPTION_HANDLER": "common.api_errors.service_exception_handler",
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "common.api.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SoulEval API",
    "DESCRIPTION": "The annotator portal's flow (next item, item, draft, submit, skip, "
    "own statistics) for programmatic clients and the portal's own scripts.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # A pairwise vote's choices, one enum whichever question (overall or a scale) asks.
    "ENUM_NAME_OVERRIDES": {"PairChoiceEnum": "annotation.rubric.PAIR_CHOICES"},
}

# --- Celery -------------------------------------------------------------------------
# Without a broker, tasks run eagerly in the calling process: the embedded default
# needs no Redis and no worker.
_broker_url = env_broker_url("CELERY_BROKER_URL")
CELERY_BROKER_URL = _broker_url or "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = _broker_url is None
CELERY_TASK_EAGER_PROPAGATES = True
# Progress lives in database rows that pages read, never in Celery results.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_DEFAULT_QUEUE = "default"
# Queues: `default` for CPU work, `gpu` for model generation and training, one task at
# a time per GPU worker. A generation job names its queue when it is sent: `gpu` for a
# local model, `default` for an API or imported system (generation.services.jobs).
CELERY_TASK_ROUTES: dict[str, dict[str, str]] = {
    "generation.tasks.generation_job_run": {"queue": "gpu"},
    "training.tasks.training_job_run": {"queue": "gpu"},
    "corpus.tasks.corpus_build_run": {"queue": "gpu"},
    "common.tasks.stale_work_sweep": {"queue": "sweep"},
}
# Tasks are idempotent, so a task lost with a crashed worker is redelivered rather
# than dropped; a worker takes one message at a time so long GPU tasks don't hoard.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A worker that dies outright (SIGKILL, a lost machine) leaves its work `running`: the
# work's heartbeat says so (common.work). Work silent for longer than
# SOULEVAL_WORK_STALE_SECONDS is taken back and queued again by a sweep that Celery beat
# sends every SOULEVAL_WORK_SWEEP_SECONDS to the `sweep` queue, which a small worker of
# its own serves (so long tasks on `default` never keep it waiting). The stale threshold
# must exceed the slowest batch or training step (a run beats after each); the sweep
# interval only bounds how late it notices.
SOULEVAL_WORK_STALE_SECONDS = env_int("SOULEVAL_WORK_STALE_SECONDS", 600, minimum=1)
SOULEVAL_WORK_SWEEP_SECONDS = env_int("SOULEVAL_WORK_SWEEP_SECONDS", 60, minimum=1)
CELERY_BEAT_SCHEDULE = {
    "stale-work-sweep": {
        "task": "common.tasks.stale_work_sweep",
        "schedule": float(SOULEVAL_WORK_SWEEP_SECONDS),
        # A sweep nobody took in time is replaced by the next one, not piled up.
        "options": {"expires": float(SOULEVAL_WORK_SWEEP_SECONDS)},
    }
}
# Redis redelivers an unacknowledged task after this long. With heartbeats it is only a
# backstop (a redelivered task finds its work finished or live and does nothing), so it
# stays long: a redelivery in the middle of a live run is a wasted delivery, no more.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT_SECONDS", 7 * 24 * 3600, minimum=60)
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Security when DEBUG is off ------------------------------------------------------
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    if env_bool("DJANGO_BEHIND_TLS_PROXY", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
    # Eager tasks would log every success into command output; workers keep the lines.
    "loggers": {
        "celery.app.trace": {"level": "WARNING" if CELERY_TASK_ALWAYS_EAGER else "INFO"},
        # One line per login attempt at INFO; lockouts are logged as warnings.
        "axes": {"level": "WARNING"},
    },
}

# --- E-mail: safety flags go to ADMINS through Django's mail settings ----------------
ADMINS = [("SoulEval admin", address) for address in env_list("SOULEVAL_ADMIN_EMAILS", [])]
EMAIL_BACKEND = env_str(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = 10
SERVER_EMAIL = DEFAULT_FROM_EMAIL = env_str("DJANGO_FROM_EMAIL", "souleval@localhost")

# --- SoulEval ------------------------------------------------------------------------
# Rows per bulk_create while importing datasets.
SOULEVAL_IMPORT_BATCH_SIZE = env_int("SOULEVAL_IMPORT_BATCH_SIZE", 2000, minimum=1)
# Where people reach this server; commands print links under it (run_eval's dashboard).
SOULEVAL_SITE_URL = env_str("SOULEVAL_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Words that send a dialogue built by the corpus builder to review instead of the
# corpus, comma-separated. Unset: the defaults of corpus.rewrites (the paper's 我是,
# 自杀, 跳楼 and a few more crisis words); phone, ID-card and e-mail patterns always apply.
SOULEVAL_CORPUS_MARKER_WORDS = env_list("SOULEVAL_CORPUS_MARKER_WORDS", []) or None
# Names and phrases by which a response gives its system away to annotators ("我是ChatGLM",
# "作为一个AI语言模型"), comma-separated; unset: the defaults of annotation.identity_screen.
# A study adds its own systems' names; items that match wait for an admin's decision.
SOULEVAL_IDENTITY_PATTERNS = env_list("SOULEVAL_IDENTITY_PATTERNS", []) or None
