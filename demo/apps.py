from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The embedded demo: its corpus, tiny models, demo users and simulated ratings. The
    top floor: it uses every app and none uses it."""

    name = "demo"
    default_auto_field = "django.db.models.BigAutoField"
