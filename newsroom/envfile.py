"""The development `.env` file: `make install` writes one (DEBUG and a random SECRET_KEY) so that every
command works without extra variables. Variables set in the environment win over the file.

`NEWSROOM_ENV_FILE` names another file (`/dev/null` for none). Docker images never get the file
(`.dockerignore`), so production is configured by its environment alone.

The format is the common subset: `NAME=value` lines, `#` comments, an optional `export ` and optional
quotes around the value; no interpolation.
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path

DEFAULT_PATH = Path(__file__).resolve().parent.parent / ".env"
_LINE = re.compile(r"(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)")


def path() -> Path:
    return Path(os.environ.get("NEWSROOM_ENV_FILE", "").strip() or DEFAULT_PATH)


@cache
def _read(file: Path) -> dict[str, str]:
    if not file.exists():
        if file != DEFAULT_PATH:  # named on purpose: a typo should not pass silently
            raise FileNotFoundError(f"NEWSROOM_ENV_FILE: no file {file}")
        return {}
    values: dict[str, str] = {}
    for line_no, raw in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.fullmatch(line)
        if match is None:
            raise ValueError(f"{file}:{line_no}: expected NAME=value")
        name, value = match.groups()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[name] = value
    return values


def values() -> dict[str, str]:
    """The file's variables (empty when there is no file)."""
    return _read(path())


def get(name: str) -> str | None:
    """A variable from the environment, else from the file, else None."""
    value = os.environ.get(name)
    return value if value is not None else values().get(name)
