"""Who is on the other end of a WebSocket: an API token, or (for the workbench) a session.

A token comes in the ``Authorization: Token KEY`` header or, for browsers (which cannot set
headers on a WebSocket), the query string ``?token=KEY``; access logs write that as
``token=[redacted]`` (service.accounts.log_redaction), and the key is checked against its
digest. A session cookie is accepted only from a page of this site (the Origin header names an
allowed host): a browser sends cookies to any page's socket, so without that check another site
could watch a logged-in developer's jobs.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

from channels.auth import get_user
from channels.db import database_sync_to_async
from channels.sessions import SessionMiddlewareStack
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http.request import split_domain_port, validate_host

from service.accounts.tokens import token_find


def token_of(scope: dict[str, Any]) -> str | None:
    """The token a client sent, from the query string or the Authorization header."""
    query = parse_qs(scope.get("query_string", b"").decode("latin1"))
    if query.get("token"):
        return query["token"][0].strip() or None
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, key = value.decode("latin1").partition(" ")
            if scheme.lower() == "token" and key.strip():
                return key.strip()
    return None


def same_site(scope: dict[str, Any]) -> bool:
    """The handshake came from a page of this site (its Origin is an allowed host)."""
    for name, value in scope.get("headers", []):
        if name == b"origin":
            netloc = urlparse(value.decode("latin1")).netloc
            domain, _ = split_domain_port(netloc)
            return bool(domain) and validate_host(domain, settings.ALLOWED_HOSTS)
    return False


@database_sync_to_async
def user_of_token(key: str) -> Any:
    token = token_find(key)
    return AnonymousUser() if token is None else token.user


class TokenOrSessionAuthMiddleware:
    """Puts ``user`` (maybe anonymous) and ``auth`` ("token", "session" or None) in the scope."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict, receive: Any, send: Any) -> Any:
        scope = dict(scope)
        key = token_of(scope)
        if key is not None:
            scope["user"], scope["auth"] = await user_of_token(key), "token"
        elif same_site(scope):
            scope["user"], scope["auth"] = await get_user(scope), "session"
        else:
            scope["user"], scope["auth"] = AnonymousUser(), None
        if not scope["user"].is_authenticated:
            scope["auth"] = None
        return await self.inner(scope, receive, send)


def JobSocketAuth(inner: Any) -> Any:
    return SessionMiddlewareStack(TokenOrSessionAuthMiddleware(inner))
