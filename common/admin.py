"""Admin parts every app shares: a model admin that shows a service's refusal as a
message instead of an error page, a progress bar, and a change page that reloads itself
while its job is queued or running."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.html import format_html

from common.errors import ServiceError


class ServiceModelAdmin(admin.ModelAdmin):
    """A model admin whose add and change pages answer a service's refusal that the form
    could not foresee (a name taken meanwhile, a state changed by someone else) with the
    refusal as an error message on the same page, everything rolled back, never a 500."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceError as error:
            self.message_user(request, f"Not saved: {error}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


def staff_user(request: HttpRequest) -> User:
    """The user an admin page acts for. The admin site lets only signed-in staff in, so
    an anonymous user here means a page was mounted outside it: refuse rather than record
    an action by nobody."""
    user = request.user
    if not isinstance(user, User) or not user.is_staff:
        raise PermissionDenied
    return user


def progress_bar(done: int, total: int, unit: str) -> str:
    percent = f"{100 * done / total if total else 0:.0f}"
    return format_html(
        '<progress max="100" value="{}"></progress> {}/{} {} ({}%)',
        percent, done, total, unit, percent,
    )  # fmt: skip


class CommandStartedAdmin(ServiceModelAdmin):
    """The list of a kind of work that starts from the command line, not from an Add
    button: the list says how to start one (most of all when it is empty)."""

    change_list_template = "admin/command_started_change_list.html"
    start_hint = ""

    def changelist_view(self, request, extra_context=None):
        context = {**(extra_context or {}), "start_hint": self.start_hint}
        return super().changelist_view(request, context)


class LiveJobAdmin(ServiceModelAdmin):
    """The page of a job (a build, a training run) reloads itself while the job is queued
    or running, so progress shows without a click."""

    change_form_template = "admin/live_change_form.html"
    refresh_seconds = 10

    def change_view(self, request, object_id, form_url="", extra_context=None) -> HttpResponse:
        job = self.get_object(request, object_id)
        live = job is not None and job.status in ("queued", "running")
        context = {
            **(extra_context or {}),
            "refresh_seconds": self.refresh_seconds if live else None,
        }
        return super().change_view(request, object_id, form_url, context)
