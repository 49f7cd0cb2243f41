"""Fixtures for what goes out to the web and through the task queue, shared by the URL import, monitoring,
link-check and worker tests (a pytest plugin: tests/conftest.py names it).

- `pages`: a local web server; the guard lets its port through (OUTBOUND_ALLOW_LOOPBACK_PORTS), no
  per-host wait.
- `queue`: deferred jobs go to memory instead of the database; `run_jobs` runs them as a worker would.
- `empty_queue`: procrastinate's own tables emptied around a test whose jobs are committed.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection
from procrastinate import JobContext
from procrastinate.contrib.django import app
from procrastinate.jobs import Job
from procrastinate.testing import InMemoryConnector

from annotations.importing import BadArticle
from annotations.outbound import FetchError


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then let go): a host that cannot be reached."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PageServer:
    """A local web server: `pages` maps a path to (status, body), `headers` a path to extra response
    headers (`serve` sets both); `hits` counts the requests per path."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[int, bytes]] = {}
        self.headers: dict[str, dict[str, str]] = {}
        self.hits: dict[str, int] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.hits[self.path] = server.hits.get(self.path, 0) + 1
                status, body = server.pages.get(self.path, (404, b"not found"))
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                for name, value in server.headers.get(self.path, {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.http.server_address[1]
        self.closed_port = _closed_port()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(self, path: str, body: bytes, status: int = 200, **headers: str) -> str:
        """Serve `body` at `path` from now on; its URL."""
        self.pages[path], self.headers[path] = (status, body), headers
        return self.url(path)


@pytest.fixture
def pages(settings) -> Iterator[PageServer]:
    server = PageServer()
    settings.OUTBOUND_ALLOW_LOOPBACK_PORTS = frozenset({server.port, server.closed_port})
    settings.OUTBOUND_PER_HOST_PER_SECOND = 0
    thread = threading.Thread(target=server.http.serve_forever, daemon=True)
    thread.start()
    yield server
    server.http.shutdown()
    server.http.server_close()


@pytest.fixture
def queue() -> Iterator[InMemoryConnector]:
    connector = InMemoryConnector()
    with app.replace_connector(connector):
        yield connector


@pytest.fixture
def empty_queue(transactional_db) -> Iterator[None]:
    """For a test whose jobs are committed (a real worker's): procrastinate's tables are not Django's, so
    no flush empties them after such a test. Emptied before (whatever ran earlier) and after."""

    def empty() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE procrastinate_jobs, procrastinate_events, procrastinate_periodic_defers,"
                " procrastinate_workers CASCADE"
            )

    empty()
    yield
    empty()


def run_jobs(connector: InMemoryConnector) -> list[tuple[str, object]]:
    """Run every queued job, and those they queue, in this test's thread and transaction, as a worker
    would but without the waits: a job whose task's retry strategy retries the error it raised runs
    again at once. Each try's task name and result, or the FetchError or BadArticle it raised."""
    done: list[tuple[str, object]] = []
    while todo := [row for row in connector.jobs.values() if row["status"] == "todo"]:
        row = todo[0]
        job = Job.from_row(row)
        task = app.tasks[job.task_name]
        kwargs = dict(job.task_kwargs)
        result: object
        try:
            if task.pass_context:
                context = JobContext(app=app, job=job, start_timestamp=time.time(), abort_reason=lambda: None)
                result = task.func(context, **kwargs)
            else:
                result = task.func(**kwargs)
        except (FetchError, BadArticle) as error:
            row["attempts"] += 1
            strategy = task.retry_strategy
            if strategy is None or strategy.get_retry_exception(error, job) is None:
                row["status"] = "failed"
            result = error
        else:
            row["status"] = "succeeded"
        done.append((job.task_name, result))
    return done
