"""No database connection outlives its request thread (issue 10, finding 5).

Django's development server handles each request in a new thread; a kept (CONN_MAX_AGE) connection
belonged to that thread and stayed open on the server after it ended: 60 requests left 61 idle
backends, and at the server's max_connections every request failed. gunicorn's gthread workers keep a
fixed set of threads, so there the count is bounded by workers x threads. Both are checked the way a
client without keep-alive meets them: 300 requests, each on a new TCP connection.
"""

from __future__ import annotations

import http.client
import subprocess
import sys
import time

import psycopg
import pytest
from django.db import connection

from tests.processes import ROOT, free_port, process_env

REQUESTS = 300
APPLICATION = "newsroom-leak-test"


def _backends(application: str) -> int:
    """Connections to the test database from the server under test (named by its PGAPPNAME)."""
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as probe:
        row = probe.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name = %s",
            [application],
        ).fetchone()
    assert row is not None
    return int(row[0])


def _get(port: int, path: str) -> int:
    """One request on a fresh connection that the client closes, as a client without keep-alive."""
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        client.request("GET", path, headers={"Connection": "close"})
        response = client.getresponse()
        response.read()
        return response.status
    finally:
        client.close()


def _serve(command: list[str], port: int, extra_env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    # libpq names the server's connections, so only they are counted
    env = process_env(PGAPPNAME=APPLICATION)
    server = subprocess.Popen(
        command, cwd=ROOT, env=env | (extra_env or {}), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(
                f"the server exited: {server.stderr.read().decode() if server.stderr else ''}"
            )
        try:
            status = _get(port, "/healthz")
            if status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise AssertionError("the server did not answer within 60 s")


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


SERVERS = {
    # What `make run` runs (without the reloader, which would only add a parent process).
    "runserver": lambda port: [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
    # What the image runs: 2 workers of 4 threads each, so at most 8 kept connections.
    "gunicorn": lambda port: [
        sys.executable,
        "-m",
        "gunicorn",
        "newsroom.wsgi",
        "-b",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--threads",
        "4",
        "--worker-class",
        "gthread",
    ],
}
MOST_KEPT = {"runserver": 1, "gunicorn": 8}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", sorted(SERVERS))
def test_fresh_connections_leave_no_database_connections_behind(kind: str) -> None:
    port = free_port()
    server = _serve(SERVERS[kind](port), port)
    try:
        statuses = [_get(port, "/healthz") for _ in range(REQUESTS)]
        left = _backends(APPLICATION)
    finally:
        _stop(server)
    assert statuses == [200] * REQUESTS
    assert left <= MOST_KEPT[kind], f"{left} database connections left open after {REQUESTS} requests"
