"""``manage.py jost_token USERNAME``: create a user if needed and print a new API token.

The shortcut for a local service: ``python -m service.manage jost_token alice``. Only a token's
digest is stored, so an existing key cannot be shown again: each call issues a new one (the
older ones keep working until they expire or are revoked). This command lives here, with the
tokens, and takes precedence over any older one of the same name (this app is listed first).
"""

from __future__ import annotations

import os
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from service.accounts.tokens import token_issue


class Command(BaseCommand):
    help = "Print a new API token of USERNAME, creating the user when missing."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--password-env",
            metavar="VAR",
            help="set the user's password from this environment variable (for /api/auth/token/)",
        )
        parser.add_argument("--staff", action="store_true", help="make the user staff")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        variable = options.get("password_env")
        if variable and variable not in os.environ:
            raise CommandError(f"--password-env {variable}: that variable is not set")
        user, created = get_user_model().objects.get_or_create(username=username)
        if created and not variable:
            user.set_unusable_password()
        if variable:
            user.set_password(os.environ[variable])
        if options.get("staff"):
            user.is_staff = True
        user.save()
        self.stdout.write(token_issue(user))
