"""An API token as the database keeps it: the SHA-256 of the key, never the key itself.

Keys are 160 random bits, so a plain (unsalted, fast) hash is enough: nobody can guess a key
from its digest, and a leaked table or backup hands out no working credential. Each token
expires (``JOST_TOKEN_TTL_DAYS``) and is deleted when revoked (``jost logout``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiToken(models.Model):
    digest = models.CharField(max_length=64, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"token of {self.user} (expires {self.expires_at:%Y-%m-%d})"
