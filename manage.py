#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    # Before Django reads the settings: without a DATABASE_URL, start (or join) the embedded PostgreSQL
    # and point DATABASE_URL at it. runserver's reloaded child inherits the URL; this process holds
    # the server and stops it when it exits (Ctrl-C included).
    from newsroom.database import start_embedded_unless_configured

    start_embedded_unless_configured()
    if sys.argv[1:2] == ["runserver"]:
        _one_connection_per_request()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


def _one_connection_per_request() -> None:
    """The development server handles each request in a new thread, and a connection kept for reuse
    (CONN_MAX_AGE) belongs to its thread: it was never reused, and never closed either, so every request
    left an idle backend until PostgreSQL refused new clients. Django's docs say as much ("don't enable
    persistent connections during development"); a CONN_MAX_AGE set on purpose still wins."""
    from newsroom import envfile

    if envfile.get("CONN_MAX_AGE") is None:
        os.environ["CONN_MAX_AGE"] = "0"


if __name__ == "__main__":
    main()
