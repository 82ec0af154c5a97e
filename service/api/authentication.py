"""Token authentication against hashed, expiring tokens, remembered a few seconds per process.

The header is DRF's (``Authorization: Token KEY``); the key is checked against its SHA-256
digest in `service.accounts` (the database never holds a key). Looking a token and its user up
on every request is a good part of a submit's CPU (docs/operations.md, "Submit latency"), and
a client sends the same token on every request, so each web process keeps the answer for
``JOST_TOKEN_CACHE_S`` seconds (0 turns the cache off), never past the token's expiry. A
revoked token or a deactivated user takes effect at once in the process that made the change
and within those seconds in the rest.
"""

from __future__ import annotations

import copy
import threading
import time
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from service.accounts.models import ApiToken
from service.accounts.tokens import digest_of, token_find

# key digest -> (remembered until, user, token); bounded so a flood of distinct keys cannot grow it
_SEEN: dict[str, tuple[float, Any, Any]] = {}
_MAX_ENTRIES = 10_000
_LOCK = threading.Lock()


class CachedTokenAuthentication(TokenAuthentication):
    """``Authorization: Token KEY`` against the hashed tokens, with a short per-process memory."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        digest = digest_of(key)
        now = time.monotonic()
        ttl = settings.JOST_TOKEN_CACHE_S
        seen = _SEEN.get(digest) if ttl > 0 else None
        if seen is not None and seen[0] > now:
            # a copy per request: views and middleware may set attributes on request.user
            return copy.copy(seen[1]), seen[2]
        token = token_find(key)
        if token is None:
            raise exceptions.AuthenticationFailed(
                "invalid, expired or revoked token: get a new one (jost login)"
            )
        if ttl > 0:
            left = (token.expires_at - timezone.now()).total_seconds()
            with _LOCK:
                if len(_SEEN) >= _MAX_ENTRIES:
                    _SEEN.clear()
                _SEEN[digest] = (now + min(ttl, left), token.user, token)
        return copy.copy(token.user), token


def forget_tokens(user_id: Any = None) -> None:
    """Drop remembered tokens: all of them, or those of one user."""
    with _LOCK:
        if user_id is None:
            _SEEN.clear()
            return
        for digest in [d for d, (_, user, _) in _SEEN.items() if user.pk == user_id]:
            _SEEN.pop(digest, None)


def _token_deleted(sender: Any, instance: ApiToken, **kwargs: Any) -> None:
    with _LOCK:
        _SEEN.pop(instance.digest, None)


def _user_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    forget_tokens(instance.pk)


def connect_signals() -> None:
    """Forget a revoked token or a changed user at once (called from the app's ready())."""
    post_delete.connect(_token_deleted, sender=ApiToken, dispatch_uid="jost-token-deleted")
    post_save.connect(_user_saved, sender=get_user_model(), dispatch_uid="jost-user-saved")
