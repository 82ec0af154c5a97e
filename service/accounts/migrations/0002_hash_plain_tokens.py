"""Tokens made before hashing (DRF's ``authtoken`` table, keys in clear) keep working: each is
copied as its digest with a fresh expiry, and the clear key is deleted."""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone


def hash_plain_tokens(apps, schema_editor):
    try:
        Plain = apps.get_model("authtoken", "Token")
    except LookupError:  # DRF's authtoken app is not installed: nothing was ever stored in clear
        return
    ApiToken = apps.get_model("accounts", "ApiToken")
    expires = timezone.now() + timedelta(days=settings.JOST_TOKEN_TTL_DAYS)
    for plain in Plain.objects.all():
        digest = hashlib.sha256(plain.key.encode()).hexdigest()
        ApiToken.objects.get_or_create(
            digest=digest,
            defaults={"user_id": plain.user_id, "created_at": plain.created, "expires_at": expires},
        )
    Plain.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial"), ("authtoken", "0004_alter_tokenproxy_options")]

    operations = [migrations.RunPython(hash_plain_tokens, migrations.RunPython.noop)]
