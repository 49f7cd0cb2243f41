"""Score every line of a CLEF-format transcript by check-worthiness.

    python manage.py rank_checkworthy INPUT.tsv [--model PATH]

Input: ``line_number<TAB>speaker<TAB>text`` with an optional fourth (label) column, which is ignored.
Output: ``line_number<TAB>score`` for every line, in input order.
"""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from annotations.suggestions.ranker import DEFAULT_MODEL_PATH, load_ranker
from annotations.suggestions.training import TranscriptFormatError, read_transcript


class Command(BaseCommand):
    help = "Print line_number<TAB>score (check-worthiness in [0, 1]) for each line of a CLEF transcript."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("input", type=Path, help="transcript TSV: line_number, speaker, text[, label]")
        parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_PATH, help="model JSON file")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["input"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            transcript = read_transcript(path, require_labels=False)
        except TranscriptFormatError as exc:
            raise CommandError(f"malformed transcript: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path}: not UTF-8 ({exc})") from exc
        scores = load_ranker(options["model"]).score_sentences(transcript.texts, transcript.speakers)
        for number, score in zip(transcript.line_numbers, scores, strict=True):
            self.stdout.write(f"{number}\t{score:.6f}")
