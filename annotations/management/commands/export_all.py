"""`python manage.py export_all ARCHIVE`: write the newsroom's work to one portable archive.

The format, and what is in it and what is not, is in `annotations/backup.py`. No secrets are written:
no password hashes, no API tokens.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotations.backup import ArchiveError, export_archive


class Command(BaseCommand):
    help = "Write every article, revision, claim, tag, source, suggestion, user and history event to ARCHIVE."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", help="The file to write (a ZIP); replaced once complete.")
        parser.add_argument("--database", default="default", help="The database to read.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = export_archive(options["archive"], using=options["database"])
        except ArchiveError as error:
            raise CommandError(str(error)) from None
        except OSError as error:
            raise CommandError(f"could not write {options['archive']}: {error}") from None
        for entry in manifest["tables"]:
            self.stdout.write(f"{entry['name']}: {entry['rows']}")
        self.stdout.write(
            self.style.SUCCESS(f"wrote {options['archive']} (format version {manifest['format_version']})")
        )
