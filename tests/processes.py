"""For tests that start the app's own processes (a web server, a task worker) against the test database:
its URL, a free port, and the environment such a process needs."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def database_url() -> str:
    """The test database as a URL, for the process: the suite's server, the test database's name."""
    url = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(url._replace(path="/" + quote(connection.settings_dict["NAME"], safe="")))


def process_env(**extra: str) -> dict[str, str]:
    """This environment, pointed at the test database, with no env file and no kept connections."""
    env = os.environ | {
        "DATABASE_URL": database_url(),
        "DEBUG": "true",
        "SECRET_KEY": "test-only-secret-key-for-subprocesses-0123456789abcdef",
        "NEWSROOM_ENV_FILE": os.devnull,
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("CONN_MAX_AGE", None)
    return env | extra
