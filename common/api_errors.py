"""The API's answer to a service's refusal (settings: REST_FRAMEWORK's EXCEPTION_HANDLER).
Apart from common.api because DRF's views, which this needs, import the parser there."""

from __future__ import annotations

from typing import Any

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from common.errors import CONFLICT, FORBIDDEN, INVALID, NOT_FOUND, UNAVAILABLE, ServiceError

SERVICE_ERROR_STATUS = {
    INVALID: status.HTTP_400_BAD_REQUEST,
    FORBIDDEN: status.HTTP_403_FORBIDDEN,
    NOT_FOUND: status.HTTP_404_NOT_FOUND,
    CONFLICT: status.HTTP_409_CONFLICT,
    UNAVAILABLE: status.HTTP_503_SERVICE_UNAVAILABLE,
}


def service_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, and a service's refusal as its code's status with the message in
    "detail" (and "errors" per field where it names fields)."""
    if isinstance(exc, ServiceError):
        body: dict[str, object] = {"detail": str(exc)}
        fields = {key: message for key, message in exc.errors.items() if key != "__all__"}
        if fields:
            body["errors"] = fields
        return Response(body, status=SERVICE_ERROR_STATUS[exc.code])
    return exception_handler(exc, context)
