"""``manage.py jost_token USERNAME``: create a user if needed and print their API token.

The shortcut for a local service: ``python -m service.manage jost_token alice``.
"""

from __future__ import annotations

import os
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from rest_framework.authtoken.models import Token


class Command(BaseCommand):
    help = "Print USERNAME's API token, creating the user (and the token) when missing."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--password-env",
            metavar="VAR",
            help="set the user's password from this environment variable (for /api/auth/token/)",
        )
        parser.add_argument("--staff", action="store_true", help="make the user staff")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        user, created = get_user_model().objects.get_or_create(username=username)
        if created and not options.get("password_env"):
            user.set_unusable_password()
        if options.get("password_env"):
            user.set_password(os.environ[options["password_env"]])
        if options.get("staff"):
            user.is_staff = True
        user.save()
        token, _ = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
