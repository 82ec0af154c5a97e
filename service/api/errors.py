"""One JSON shape for every error, 4xx or 5xx: ``{"error", "detail", "problems"}``.

``error`` is a stable code a client can branch on, ``detail`` a sentence for people, and
``problems`` lists ``{"path", "message"}`` (every problem of an invalid config, or of a bad
field). No HTML page and no traceback ever reaches a client; unexpected errors are logged.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from service.simulator.errors import JobError

logger = logging.getLogger(__name__)

# DRF's codes, renamed where a clearer one helps clients.
_CODES = {
    "parse_error": "invalid_json",
    "invalid": "invalid_request",
    "authentication_failed": "not_authenticated",
    "not_found": "not_found",
    "permission_denied": "forbidden",
}


def error_body(code: str, detail: str, problems: list[dict[str, str]] | None = None) -> dict:
    return {"error": code, "detail": detail, "problems": problems or []}


def error_response(
    status_code: int, code: str, detail: str, problems: list[dict[str, str]] | None = None
) -> JsonResponse:
    """The JSON error as a plain Django response (middleware and Django's error handlers)."""
    return JsonResponse(error_body(code, detail, problems), status=status_code)


def _flatten(detail: Any, path: str = "") -> list[dict[str, str]]:
    """DRF's nested validation errors as ``{"path", "message"}`` entries."""
    if isinstance(detail, dict):
        problems = []
        for key, value in detail.items():
            sub = "" if key in ("non_field_errors", "detail") else str(key)
            problems += _flatten(value, f"{path}.{sub}" if path and sub else path or sub)
        return problems
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return [{"path": path, "message": str(item)} for item in detail]
        problems = []
        for index, item in enumerate(detail):
            problems += _flatten(item, f"{path}.{index}" if path else str(index))
        return problems
    return [{"path": path, "message": str(detail)}]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's exception handler, rewritten to the stable shape, with a 500 for anything else."""
    if isinstance(exc, JobError):
        return Response(error_body(exc.code, exc.detail, exc.problems), status=exc.status_code)
    if isinstance(exc, RequestDataTooBig):
        return Response(
            error_body("body_too_large", "the request body is larger than this service accepts"),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, Http404 | PermissionDenied | exceptions.APIException):
        response = drf_exception_handler(exc, context)
        if response is None:  # pragma: no cover - DRF handles all three
            return _server_error(exc, context)
        api_exc = (
            exc
            if isinstance(exc, exceptions.APIException)
            else exceptions.NotFound()
            if isinstance(exc, Http404)
            else exceptions.PermissionDenied()
        )
        codes = api_exc.get_codes()
        code = codes if isinstance(codes, str) else api_exc.default_code
        code = _CODES.get(str(code), str(code))
        if isinstance(api_exc, exceptions.ValidationError):
            problems = _flatten(api_exc.detail)
            detail = problems[0]["message"] if len(problems) == 1 else "the request is invalid"
        else:
            problems = []
            detail = str(api_exc.detail)
        if isinstance(api_exc, exceptions.ParseError):
            problems = [{"path": "", "message": detail}]
        response.data = error_body(code, detail, problems)
        return response
    return _server_error(exc, context)


def _server_error(exc: Exception, context: dict[str, Any]) -> Response:
    request = context.get("request")
    logger.error(
        "unhandled error in %s %s",
        getattr(request, "method", "?"),
        getattr(request, "path", "?"),
        exc_info=exc,
    )
    set_rollback()
    return Response(
        error_body("server_error", "the server failed; the error was logged"),
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


# Django's own error views (outside DRF: unknown URLs, bad Host headers, crashes, CSRF).


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return error_response(400, "bad_request", "the request could not be understood")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return error_response(403, "forbidden", "you may not do this")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return error_response(404, "not_found", f"no such endpoint: {request.path}")


def server_error(request: HttpRequest) -> JsonResponse:
    return error_response(500, "server_error", "the server failed; the error was logged")


def csrf_failure(request: HttpRequest, reason: str = "") -> JsonResponse:
    return error_response(403, "csrf_failed", f"CSRF check failed: {reason}".strip())
