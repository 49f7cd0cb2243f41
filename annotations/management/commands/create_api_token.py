"""`python manage.py create_api_token USER [--name NAME] [--expires-days N]`: print a new API token.

The token alone goes to standard output (for scripts: `TOKEN=$(... create_api_token alice)`); it is
not stored, only its hash, so it cannot be shown again.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotations.models import ApiToken, User


class Command(BaseCommand):
    help = "Create an API token for USER and print it (only once: it is stored hashed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="command line", help="What the token is for.")
        parser.add_argument("--expires-days", type=int, default=None, help="Days until it expires.")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user {options['username']!r}")
        if not user.is_active:
            raise CommandError(f"user {user.username!r} is inactive")
        days = options["expires_days"]
        if days is not None and days < 1:
            raise CommandError("--expires-days must be at least 1")
        name = " ".join(options["name"].split())[:100] or "command line"
        _, raw = ApiToken.issue(user, name=name, expires_in_days=days)
        self.stdout.write(raw)
