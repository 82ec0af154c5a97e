"""Issue, check and revoke API tokens: the client holds the key, the database its digest."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from service.accounts.models import ApiToken

KEY_BYTES = 20  # 40 hex characters, the shape clients already know


def digest_of(key: str) -> str:
    """The stored form of a key (SHA-256, hex)."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def token_issue(user: Any) -> str:
    """A new key for ``user``, valid for ``JOST_TOKEN_TTL_DAYS``; their expired tokens go."""
    now = timezone.now()
    ApiToken.objects.filter(user=user, expires_at__lte=now).delete()
    key = secrets.token_hex(KEY_BYTES)
    ApiToken.objects.create(
        digest=digest_of(key),
        user=user,
        created_at=now,
        expires_at=now + timedelta(days=settings.JOST_TOKEN_TTL_DAYS),
    )
    return key


def token_find(key: str) -> ApiToken | None:
    """The live token of this key with its (active) user, or None: unknown, expired, inactive."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=digest_of(key), expires_at__gt=timezone.now())
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    return token


def token_revoke(token: ApiToken) -> None:
    """The token stops working at once here, and within ``JOST_TOKEN_CACHE_S`` everywhere."""
    ApiToken.objects.filter(pk=token.pk).delete()
