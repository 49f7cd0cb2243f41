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
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
