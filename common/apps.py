from django.apps import AppConfig


class CommonConfig(AppConfig):
    """Floor 0: what every app builds on and that knows no domain."""

    name = "common"
    default_auto_field = "django.db.models.BigAutoField"
