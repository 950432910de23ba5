"""Settings for a server: the base settings, with DEBUG refused."""

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import *  # noqa: F403
from config.settings.base import DEBUG

if DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG must be off with config.settings.production.")
