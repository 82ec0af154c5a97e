"""Django's password check behind the login guard, for every path that logs a user in.

``django.contrib.auth.authenticate`` runs this backend for the API's token endpoint, the
workbench's login page and the admin's alike, so one place counts their attempts. A refused
attempt is never hashed; the refusal is left on the request (``jost_login_refused``) for
`service.accounts.middleware` to answer 429 with ``Retry-After``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from service.accounts.login_guard import LoginRefused, guarded_login

REFUSAL = "jost_login_refused"


class GuardedModelBackend(ModelBackend):
    """`ModelBackend`, with attempts per account and address counted and limited."""

    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if request is None:  # a management command or a test's client.login(): no client
            return super().authenticate(request, username, password, **kwargs)
        name = username if username is not None else kwargs.get(get_user_model().USERNAME_FIELD)
        try:
            return guarded_login(
                request,
                str(name or ""),
                lambda: super(GuardedModelBackend, self).authenticate(
                    request, username, password, **kwargs
                ),
            )
        except LoginRefused as refused:
            setattr(request, REFUSAL, refused)
            raise PermissionDenied(refused.detail) from None
