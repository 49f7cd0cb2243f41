"""What the benchmarks that serve the app over HTTP share: a database of their own on the benchmark server,
gunicorn started as production runs it (two gthread workers, DEBUG off), and a free loopback port.

The server is `DATABASE_URL`'s, or the embedded PostgreSQL (started, or joined, by this process).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit, urlunsplit

import psutil

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SECRET_KEY = "benchmark-only-secret-key-benchmark-only-secret-key"  # noqa: S105  (benchmark only)


def quick() -> bool:
    """The short form of a benchmark: `--quick` or `BENCH_QUICK=1` (what `make bench` asks for)."""
    return "--quick" in sys.argv or os.environ.get("BENCH_QUICK", "").lower() in {"1", "true", "yes"}


def server_url(database: str) -> str:
    """The URL of `database` on the benchmark server (which it does not create)."""
    from newsroom.database import embedded_database_url

    base = urlsplit(os.environ.get("DATABASE_URL") or embedded_database_url())
    return urlunsplit(base._replace(path="/" + database))


def maintenance_url() -> str:
    return server_url("postgres")


def recreate_database(database: str) -> str:
    """`database`, dropped if it was there and created empty; its URL."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(maintenance_url(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    return server_url(database)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_gunicorn(
    url: str,
    port: int,
    *,
    env: dict[str, str] | None = None,
    stderr: IO[bytes] | None = None,
) -> subprocess.Popen[bytes]:
    """The app under gunicorn on 127.0.0.1:`port` against `url`: DEBUG off, 2 gthread workers (one per
    core) of 2 threads, rate limits out of the way. `env` adds or overrides variables."""
    server_env = os.environ | {
        "DATABASE_URL": url,
        "DEBUG": "false",
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "API_RATE_PER_TOKEN": "1000000/min",
        "API_RATE_PER_USER": "1000000/min",
        "LOG_LEVEL": "WARNING",
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback: no TLS proxy in front
        "STATIC_ROOT": str(ROOT / "static"),  # only to keep whitenoise quiet: the API serves no files
    }
    server_env |= env or {}
    workers = ["-w", "2", "-k", "gthread", "--threads", "2", "--keep-alive", "30", "--log-level", "warning"]
    command = [sys.executable, "-m", "gunicorn", "newsroom.wsgi", "-b", f"127.0.0.1:{port}", *workers]
    server = subprocess.Popen(command, cwd=ROOT, env=server_env, stderr=stderr)
    deadline = time.time() + 60
    while time.time() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


def collect_static() -> Path:
    """The static files collected as production does (`collectstatic`, hashed names): the HTML pages need
    their manifest when DEBUG is off. A folder of the system's temporary directory, refreshed each call."""
    folder = Path(tempfile.gettempdir()) / "newsroom_bench_static"
    env = os.environ | {"DEBUG": "false", "SECRET_KEY": SECRET_KEY, "STATIC_ROOT": str(folder)}
    command = [sys.executable, "manage.py", "collectstatic", "--noinput", "--clear", "-v", "0"]
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    return folder


def stop_gunicorn(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def peak_rss_during[T](server: subprocess.Popen[bytes], work: Callable[[], T]) -> tuple[T, float]:
    """What `work` returns, and the largest RSS (MB) any gunicorn worker reached meanwhile."""
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        master = psutil.Process(server.pid)
        while not done.is_set():
            for worker in master.children():
                with contextlib.suppress(psutil.Error):  # a worker may be restarting
                    peak = max(peak, worker.memory_info().rss)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        result = work()
    finally:
        done.set()
        sampler.join()
    return result, peak / 2**20
