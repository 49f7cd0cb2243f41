"""`python manage.py import_factchecks FILE...`: published fact-checks from ClaimReview JSON-LD (.json,
.jsonld, or the markup of .html/.htm pages), Data Commons / Google Fact Check feeds (.json) and TSVs of
`id <TAB> claim <TAB> title` (.tsv). Importing a file again updates what it imported before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from annotations.factchecks import Problem, store_file


class Command(BaseCommand):
    help = "Import published fact-checks; the same URL (or the same TSV id) updates rather than duplicates."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", help=".json, .jsonld, .html, .htm or .tsv files")

    def handle(self, *args: Any, paths: list[str], verbosity: int = 1, **options: Any) -> None:
        created = updated = unchanged = 0
        problems: list[Problem] = []
        for arg in paths:
            path = Path(arg)
            if not path.is_file():
                reason = "is a folder, not a file" if path.is_dir() else "no such file"
                problems.append(Problem(file=arg, where="", reason=reason))
                continue
            try:
                outcome = store_file(path)
            except DatabaseError as error:
                # What the checks missed: this file's transaction is rolled back, the other files go on.
                problems.append(Problem(arg, "", f"the database refused the file: {str(error).strip()}"))
                continue
            created, updated = created + outcome.created, updated + outcome.updated
            unchanged += outcome.unchanged
            problems.extend(outcome.problems)
            if verbosity:
                for note in outcome.notes:
                    self.stderr.write(f"{note} (note)")
        for problem in problems:
            self.stderr.write(str(problem))
        self.stdout.write(
            f"{created} created, {updated} updated, {unchanged} unchanged; {len(problems)} refused"
        )
        if problems:
            raise CommandError(f"{len(problems)} fact-check(s) or file(s) could not be imported (see above)")
