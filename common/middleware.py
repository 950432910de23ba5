"""Middleware that knows no domain."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.http.request import UnreadablePostError

WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class CompleteBodyMiddleware:
    """A request whose body ends before its Content-Length says (a dropped connection, a
    client that gave up) is answered 400 before any view sees it. Without this, Django
    hands the view whatever arrived (a form or a JSON body cut short, which might even
    parse), or raises UnreadablePostError when the connection was reset: a 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in WITH_BODY:
            refusal = self._refusal(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        declared = request.META.get("CONTENT_LENGTH") or "0"
        try:
            expected = int(declared)
        except ValueError:
            return _bad_request(request, f"Content-Length {declared!r} is not a number.")
        if expected <= 0:
            return None
        # Reading it here is what the view would do anyway (forms and JSON are read whole;
        # over DATA_UPLOAD_MAX_MEMORY_SIZE, Django itself answers 400).
        try:
            received = len(request.body)
        except UnreadablePostError:
            received = None
        if received is not None and received >= expected:
            return None
        got = "the connection broke" if received is None else f"{received} arrived"
        return _bad_request(
            request,
            f"The request ended early: {expected} bytes were announced and {got}. Nothing "
            "was stored; please send it again.",
        )


def _bad_request(request: HttpRequest, message: str) -> HttpResponse:
    if "json" in request.META.get("CONTENT_TYPE", ""):
        return JsonResponse({"detail": message}, status=400)
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
