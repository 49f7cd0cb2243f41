"""Rebuild the committed check-worthiness model from data/checkworthiness, bit for bit.

python manage.py train_checkworthy            # rewrite the model file
python manage.py train_checkworthy --check    # rebuild to memory, compare bytes, exit 1 if different
"""

from __future__ import annotations

import os
import tempfile
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from annotations.suggestions.ranker import DEFAULT_MODEL_PATH
from annotations.suggestions.training import (
    DEFAULT_DATA_DIR,
    TrainingDependenciesMissing,
    TranscriptFormatError,
    build_model_text,
    require_training_dependencies,
)


class Command(BaseCommand):
    help = "Train the check-worthiness model from the CLEF transcripts and write it as JSON."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--data", type=Path, default=DEFAULT_DATA_DIR, help="directory of *.tsv files")
        parser.add_argument("--output", type=Path, default=DEFAULT_MODEL_PATH, help="model file to write")
        parser.add_argument(
            "--check", action="store_true", help="do not write; fail if the rebuild differs from --output"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            require_training_dependencies()  # before minutes of reading and fitting
        except TrainingDependenciesMissing as exc:
            raise CommandError(str(exc)) from exc
        output: Path = options["output"]
        try:
            data = build_model_text(options["data"]).encode("utf-8")
        except (FileNotFoundError, TranscriptFormatError) as exc:
            raise CommandError(str(exc)) from exc
        if options["check"]:
            if not output.is_file():
                raise CommandError(f"{output}: no model file to compare with")
            if output.read_bytes() != data:
                raise CommandError(f"{output} differs from a rebuild from {options['data']}")
            self.stdout.write(f"{output}: identical to a rebuild ({len(data)} bytes)")
            return
        # Write to a temporary file in the same directory and rename, so a failed run never
        # leaves a half-written model behind.
        output.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=output.parent, prefix=".checkworthiness-", suffix=".json")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, output)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.stdout.write(f"wrote {output} ({len(data)} bytes)")
