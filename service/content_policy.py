"""What a browser may load and what an error page may show.

Django 5.2 has no built-in Content-Security-Policy (6.0 adds one), so a small middleware sets
``JOST_CONTENT_SECURITY_POLICY`` on every response that does not carry one: scripts, styles and
connections (the live-progress WebSocket included) from this site only, no framing. And a DEBUG
error page (refused in production) would list settings: URLs carry passwords
(``redis://:secret@…``), so every URL-like setting is masked as Django masks ``SECRET_KEY``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.debug import SafeExceptionReporterFilter


class ContentSecurityPolicyMiddleware:
    """Adds the site's Content-Security-Policy header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault(
            "Content-Security-Policy", settings.JOST_CONTENT_SECURITY_POLICY
        )
        return response


class MaskingReporterFilter(SafeExceptionReporterFilter):
    """Django's filter, also hiding URLs, brokers, caches, channel layers and databases."""

    hidden_settings = re.compile(
        "API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|URL|BROKER|LOCATION|CACHES|"
        "CHANNEL_LAYERS|DATABASES|HOSTS",
        flags=re.IGNORECASE,
    )
