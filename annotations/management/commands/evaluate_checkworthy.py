"""Nested cross-validation of the check-worthiness ranker: what to expect on transcripts it has never seen.

    python manage.py evaluate_checkworthy [--data DIR]

For each transcript in turn: choose C on the others alone (grouped folds), train on them, rank the held-out
one. Prints each transcript's kind, chosen C, AP, P@5 and P@10, their means (MAP), and MAP for debates and
for speeches. About three and a half minutes on two cores.
"""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from annotations.suggestions.training import (
    DEFAULT_DATA_DIR,
    TrainingDependenciesMissing,
    TranscriptFormatError,
    format_report,
    nested_cross_validation,
    read_corpus,
    require_training_dependencies,
)


class Command(BaseCommand):
    help = "Nested cross-validated (leave one transcript out) MAP, P@5, P@10 of the check-worthiness ranker."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--data", type=Path, default=DEFAULT_DATA_DIR, help="directory of *.tsv files")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            require_training_dependencies()  # before minutes of reading and fitting
        except TrainingDependenciesMissing as exc:
            raise CommandError(str(exc)) from exc
        try:
            corpus = read_corpus(options["data"])
        except (FileNotFoundError, TranscriptFormatError) as exc:
            raise CommandError(str(exc)) from exc
        if len(corpus) < 2:
            raise CommandError("need at least two transcripts for leave-one-out evaluation")
        self.stdout.write(format_report(nested_cross_validation(corpus)))
