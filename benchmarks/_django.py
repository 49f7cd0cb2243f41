"""Set up Django against a benchmark database of its own, so a benchmark never touches the dev data."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup(database: str = "newsroom_bench") -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    from newsroom.database import start_embedded_unless_configured

    # Before Django reads the settings, which only read DATABASE_URL.
    start_embedded_unless_configured(database=database)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
