"""The task queue's real workers (issue 11): `manage.py procrastinate worker` processes against the test
database. A worker killed mid-task loses nothing (another does the job, once), and two workers share one
queue without doing a job twice. Every wait is bounded."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from asgiref.sync import async_to_sync
from procrastinate.contrib.django.models import ProcrastinateJob

from annotations import tasks
from annotations.models import Article, UrlImport
from tests.processes import ROOT, process_env
from tests.test_url_import import ARTICLE_PAGE

# The workers read what the test commits; procrastinate's tables are emptied before and after.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("empty_queue")]


class SlowPages:
    """A web server whose pages answer only once `release` is set (or after 60 s): a worker fetching
    one is caught mid-task. Each path is a distinct article; `hits` counts requests per path."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.hits: dict[str, int] = {}
        pages = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                pages.hits[self.path] = pages.hits.get(self.path, 0) + 1
                pages.release.wait(timeout=60)
                body = ARTICLE_PAGE.replace(b"<title>", f"<title>{self.path} ".encode())
                body = body.replace(b"around 160,000", f"around 160,000 ({self.path})".encode())
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the killed worker's connection

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.http.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def slow_pages(settings) -> Iterator[SlowPages]:
    server = SlowPages()
    settings.OUTBOUND_ALLOW_LOOPBACK_PORTS = frozenset({server.port})
    settings.OUTBOUND_PER_HOST_PER_SECOND = 0
    thread = threading.Thread(target=server.http.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.http.shutdown()
    server.http.server_close()


def start_worker(pages: SlowPages, *options: str) -> subprocess.Popen[bytes]:
    env = process_env(OUTBOUND_ALLOW_LOOPBACK_PORTS=str(pages.port), OUTBOUND_PER_HOST_PER_SECOND="0")
    return subprocess.Popen(
        [sys.executable, "manage.py", "procrastinate", "worker", "--queues", tasks.QUEUE, *options],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {seconds} s for {what}")
        time.sleep(0.1)


def finish(worker: subprocess.Popen[bytes], seconds: float = 90) -> None:
    """Wait for a one-shot worker to empty the queue and exit, or kill it and fail."""
    try:
        worker.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
        raise AssertionError(f"the worker did not finish within {seconds} s") from None
    stderr = worker.stderr.read().decode() if worker.stderr else ""
    assert worker.returncode == 0, stderr


def test_a_job_of_a_killed_worker_is_done_by_another_once(editor, slow_pages, settings):
    url_import = tasks.queue_url_import(url=slow_pages.url("/story"), by=editor)
    victim = start_worker(slow_pages)
    try:
        wait_for(lambda: slow_pages.hits.get("/story", 0) == 1, "the worker to fetch the page")
        assert UrlImport.objects.get(pk=url_import.pk).state == "fetching"
        victim.send_signal(signal.SIGKILL)  # no clean-up, as a crashed machine
        victim.wait(timeout=10)
    finally:
        if victim.poll() is None:
            victim.kill()
    job = ProcrastinateJob.objects.get(task_name="annotations.import_url")
    assert job.status == "doing"  # nobody will finish it: its worker is gone

    # The rescue (each minute in production) puts it back once the dead worker's heartbeat is old.
    settings.TASK_STALLED_AFTER_SECONDS = 1
    time.sleep(1.5)
    assert async_to_sync(tasks.retry_stalled_jobs.func)() == 1
    assert ProcrastinateJob.objects.get(pk=job.pk).status == "todo"

    slow_pages.release.set()
    finish(start_worker(slow_pages, "--one-shot"))
    url_import.refresh_from_db()
    assert (url_import.state, url_import.attempts, url_import.error) == ("imported", 2, "")
    assert Article.objects.count() == 1 and Article.objects.get().revisions.count() == 1
    assert ProcrastinateJob.objects.get(pk=job.pk).status == "succeeded"
    assert slow_pages.hits["/story"] == 2  # once by the dead worker, once by the rescuer


def test_two_workers_share_the_queue_and_do_each_job_once(editor, slow_pages):
    slow_pages.release.set()
    paths = [f"/story-{n}" for n in range(24)]
    for path in paths:
        tasks.queue_url_import(url=slow_pages.url(path), by=editor)
    workers = [start_worker(slow_pages, "--one-shot", "--concurrency", "2") for _ in range(2)]
    for worker in workers:
        finish(worker)
    assert slow_pages.hits == dict.fromkeys(paths, 1)
    assert set(UrlImport.objects.values_list("state", "attempts")) == {("imported", 1)}
    assert Article.objects.count() == len(paths)
    assert ProcrastinateJob.objects.filter(status="succeeded").count() == len(paths)
