"""Leave-one-transcript-out evaluation of the check-worthiness ranker.

    python manage.py evaluate_checkworthy [--data DIR]

Trains on all transcripts but one, ranks the held-out one, for each transcript in turn, and prints
AP, P@5 and P@10 per transcript and their means (MAP). Takes a few minutes on two cores.
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
    leave_one_transcript_out,
    read_corpus,
    require_training_dependencies,
)


class Command(BaseCommand):
    help = "Cross-validated (leave one transcript out) MAP, P@5, P@10 of the check-worthiness ranker."

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
        self.stdout.write(format_report(leave_one_transcript_out(corpus)))
