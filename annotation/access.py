"""Who may see the portal's pages: signed-in annotators, each of their own work only."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

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
