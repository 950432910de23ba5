"""What every management command of the project shares."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from common.errors import ServiceError


class ServiceCommand(BaseCommand):
    """A command whose services' refusals reach the user as a CommandError with the
    service's message (exit status 1, no traceback): the one place that turns them."""

    def execute(self, *args: Any, **options: Any) -> str | None:
        try:
            return super().execute(*args, **options)
        except ServiceError as error:
            raise CommandError(str(error)) from None
