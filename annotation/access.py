"""Who may see the portal's pages: signed-in annotators, each of their own work only."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from annotation.selectors import annotator_for_user

View = Callable[..., HttpResponse]


def annotator_required(view: Callable[..., HttpResponse]) -> View:
    """Signed-in annotators only: others are sent to log in, or told the portal is not
    theirs (an admin without an annotator profile)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        annotator = annotator_for_user(user=request.user)
        if annotator is None:
            return render(request, "annotation/not_annotator.html", status=403)
        return view(request, annotator, *args, **kwargs)

    return never_cache(wrapper)


def posted_form(request: HttpRequest, keys: tuple[str, ...]) -> dict[str, Any]:
    """A rating's or a vote's posted form: its fields, the comment and the submission id
    as sent. The page's script measures active time; without it (or with a mangled
    field) the submit is still stored, credited with no active time, rather than lost."""
    values: dict[str, Any] = {
        key: request.POST.get(key, "") for key in (*keys, "comment", "submission_id")
    }
    try:
        values["active_seconds"] = int(request.POST.get("active_seconds") or 0)
    except ValueError:
        values["active_seconds"] = 0
    return values
