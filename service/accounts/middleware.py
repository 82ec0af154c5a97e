"""A refused login (service.accounts.backends) answers 429 with Retry-After, on any page.

The workbench's and the admin's login views would show a refused attempt as a wrong password
(200 with the form again); this turns that into the service's JSON error, so a client and a
script see the throttle for what it is.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from service.accounts.backends import REFUSAL


class LoginRefusalMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        refused = getattr(request, REFUSAL, None)
        if refused is None or response.status_code == 429:
            return response
        body = {"error": "throttled", "detail": refused.detail, "problems": []}
        answer = JsonResponse(body, status=429)
        answer["Retry-After"] = str(refused.retry_after)
        return answer
