"""`python manage.py import_articles PATH-OR-URL...`: articles from .txt, .html and .jsonl files or folders,
and from http(s) URLs: queued for the worker, or with `--now` fetched here, through the same function."""

from __future__ import annotations

import functools
from collections import Counter
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from tqdm import tqdm

from annotations import services, tasks
from annotations.importing import BadArticle, Problem, read_paths
from annotations.outbound import FetchError


class Command(BaseCommand):
    help = "Import articles; the same URL with new text adds a revision and carries its claims."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "paths", nargs="+", help=".txt, .html or .jsonl files, folders, or http(s) URLs of article pages"
        )
        parser.add_argument(
            "--now",
            action="store_true",
            help="fetch URLs here and now instead of queueing them for the worker",
        )
        parser.add_argument(
            "--progress",
            action="store_true",
            help="show the progress bar (on stderr) even when stderr is not a terminal",
        )

    def handle(
        self,
        *args: Any,
        paths: list[str],
        now: bool = False,
        progress: bool = False,
        verbosity: int = 1,
        **options: Any,
    ) -> None:
        counts: Counter[str] = Counter()
        problems: list[Problem] = []
        # A bar on stderr, beside the summary on stdout: by itself only on a terminal (disable=None) and
        # once a run has taken a second; with --progress always, from the start. It is drawn on the
        # stream itself: Django's wrapper would end each redraw with a newline.
        bar = functools.partial(
            tqdm,
            disable=False if progress else None if verbosity else True,
            delay=0 if progress else 1.0,
            file=self.stderr._out,
        )
        urls = [arg for arg in paths if arg.lower().startswith(("http://", "https://"))]
        # Each URL counts once it is queued, or with --now once it is imported (or failed).
        for url in bar(urls, desc="Fetching" if now else "Queueing", unit=" URLs"):
            if outcome := self._import_url(url, now=now, problems=problems):
                counts[outcome] += 1
        files = [Path(arg) for arg in paths if arg not in urls]
        missing = [path for path in files if not path.exists()]
        for path in missing:
            problems.append(Problem(file=str(path), line=None, reason="no such file or folder"))
        entries = read_paths([path for path in files if path.exists()])
        # The entries are read as they are imported, so their number is not known ahead: the bar counts.
        for entry in bar(entries, desc="Importing", unit=" articles"):
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
            except DatabaseError as error:
                # What the checks above missed: this article's transaction is rolled back, the rest go on.
                reason = f"the database refused it: {str(error).strip()}"
                problems.append(Problem(file=entry.file, line=entry.line, reason=reason))
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

    def _import_url(self, url: str, *, now: bool, problems: list[Problem]) -> str | None:
        """Queue the URL for the worker, or with `now` run the worker's own function here: the outcome."""
        try:
            if not now:
                tasks.queue_url_import(url=url, by=None)
                return "queued"
            url_import = tasks.run_url_import(tasks.record_url_import(url=url, by=None))
        except (FetchError, BadArticle, ValidationError) as error:
            reason = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            problems.append(Problem(file=url, line=None, reason=reason))
            return None
        return url_import.outcome
