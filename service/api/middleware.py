"""Refuse an oversized body before anything reads it (413, in the service's JSON shape)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from service.api.errors import error_response

# A refused body is still read up to this size, so the client sees the 413 rather than a reset.
_DRAIN_LIMIT = 8 * 1024 * 1024


class BodySizeLimitMiddleware:
    """Answers 413 when Content-Length exceeds ``JOST_MAX_BODY_BYTES``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        raw = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw)
        except ValueError:
            return error_response(400, "bad_request", f"Content-Length {raw!r} is not a number")
        limit = settings.JOST_MAX_BODY_BYTES
        if length > limit:
            if length <= _DRAIN_LIMIT:
                while request.read(65536):
                    pass
            return error_response(
                413,
                "body_too_large",
                f"the request body has {length:,} bytes; this service accepts at most {limit:,}",
            )
        return self.get_response(request)
