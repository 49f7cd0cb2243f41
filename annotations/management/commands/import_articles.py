"""`python manage.py import_articles PATH...`: articles from .txt, .html and .jsonl files or folders."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from annotations import services
from annotations.importing import Problem, read_paths


class Command(BaseCommand):
    help = "Import articles; the same URL with new text adds a revision and carries its claims."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path, help=".txt, .html or .jsonl files, or folders")

    def handle(self, *args: Any, paths: list[Path], verbosity: int = 1, **options: Any) -> None:
        counts: Counter[str] = Counter()
        problems: list[Problem] = []
        missing = [path for path in paths if not path.exists()]
        for path in missing:
            problems.append(Problem(file=str(path), line=None, reason="no such file or folder"))
        entries = read_paths([path for path in paths if path.exists()])
        # The bar shows only on a terminal (disable=None) and only once a run is long enough to need it.
        for entry in tqdm(
            entries,
            desc="Importing",
            unit=" articles",
            disable=None if verbosity else True,
            delay=1.0,
            file=sys.stderr,
        ):
            if entry.problem is not None:
                problems.append(entry.problem)
                continue
            if entry.article is None:
                raise TypeError("an import entry has neither an article nor a problem")
            try:
                result = services.import_article(article_input=entry.article)
            except ValidationError as error:
                problems.append(Problem(file=entry.file, line=entry.line, reason="; ".join(error.messages)))
                continue
            counts[result.outcome] += 1
            for record in result.anchor_records:
                counts[f"claims {record.state}"] += 1
        for problem in problems:
            self.stderr.write(str(problem))
        summary = (
            ", ".join(f"{number} {what}" for what, number in sorted(counts.items())) or "nothing imported"
        )
        self.stdout.write(f"{summary}; {len(problems)} failed")
        if problems:
            raise CommandError(f"{len(problems)} article(s) or file(s) could not be imported (see above)")
