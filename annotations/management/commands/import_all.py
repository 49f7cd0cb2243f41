"""`python manage.py import_all ARCHIVE`: restore an `export_all` archive into an empty, migrated database.

All or nothing, in one transaction; history is restored as it was (its triggers do not fire). A
database with newsroom data in it, an archive of a format version this app does not read, or a damaged
or changed archive is refused with the reason, and nothing is written. Restored users have no usable
password: each sets one through the password reset, or an admin with `manage.py changepassword USER`.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotations.backup import ArchiveError, import_archive


class Command(BaseCommand):
    help = "Restore an export_all ARCHIVE into an empty database (users get unusable passwords)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", help="A file written by export_all.")
        parser.add_argument("--database", default="default", help="The database to restore into.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            restored = import_archive(options["archive"], using=options["database"])
        except ArchiveError as error:
            raise CommandError(f"{error}. Nothing was restored.") from None
        for name, rows in restored.items():
            self.stdout.write(f"{name}: {rows}")
        self.stdout.write(
            self.style.SUCCESS(
                f"restored {options['archive']}. Users have no password yet: "
                "`manage.py changepassword USER`, or the password reset."
            )
        )
