"""Importing an article from its URL (issue 11): the API queues it, the task fetches, extracts and imports
it, and a `UrlImport` says how far it got. Pages come from a local HTTP server the guard lets through."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connections
from procrastinate import JobContext, RetryStrategy
from procrastinate.contrib.django import app
from procrastinate.contrib.django.django_connector import DjangoConnector
from procrastinate.jobs import Job
from procrastinate.testing import InMemoryConnector
from rest_framework.test import APIClient

from annotations import tasks
from annotations.importing import BadArticle
from annotations.models import Article, Suggestion, UrlImport, User
from annotations.outbound import FetchError

PAGES = Path(__file__).parent / "fixtures" / "pages"
ARTICLE_PAGE = (PAGES / "cookie-banner-and-nav.html").read_bytes()
NOT_AN_ARTICLE = (PAGES / "index-page.html").read_bytes()


class PageServer:
    """A local web server: `pages` maps a path to (status, body); `hits` counts the requests per path."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[int, bytes]] = {}
        self.hits: dict[str, int] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.hits[self.path] = server.hits.get(self.path, 0) + 1
                status, body = server.pages.get(self.path, (404, b"not found"))
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.http.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def pages(settings) -> Iterator[PageServer]:
    server = PageServer()
    settings.OUTBOUND_ALLOW_LOOPBACK_PORTS = frozenset({server.port})
    settings.OUTBOUND_PER_HOST_PER_SECOND = 0
    thread = threading.Thread(target=server.http.serve_forever, daemon=True)
    thread.start()
    yield server
    server.http.shutdown()
    server.http.server_close()


@pytest.fixture(autouse=True)
def _no_event_loop_in_this_thread() -> Iterator[None]:
    """procrastinate's synchronous `defer` runs its async connector through asgiref's `async_to_sync`,
    which refuses to run in a thread whose event loop is running. Playwright's sync API (the browser tests)
    leaves its loop registered as running in the main thread for the rest of the session, so in a random
    order these tests failed after a browser test. A request thread in production has no loop."""
    loop = asyncio._get_running_loop()
    asyncio._set_running_loop(None)
    yield
    asyncio._set_running_loop(loop)


@pytest.fixture
def queue() -> Iterator[InMemoryConnector]:
    """Deferred jobs go to memory instead of the database: no worker needed (`run_queued` runs them)."""
    connector = InMemoryConnector()
    with app.replace_connector(connector):
        yield connector


@pytest.fixture
def no_waits(monkeypatch) -> None:
    """The task's retries, without the back-off waits: two retries, then it fails."""
    strategy = RetryStrategy(max_attempts=2, retry_exceptions=tasks.RETRY.retry_exceptions)
    monkeypatch.setattr(tasks.import_url, "retry_strategy", strategy)


def run_queued(connector: InMemoryConnector) -> None:
    """What the worker does, in this test's thread and transaction: run each queued job, and a job the
    task's retry strategy retries again at once."""
    while todo := [row for row in connector.jobs.values() if row["status"] == "todo"]:
        row = todo[0]
        job = Job.from_row(row)
        context = JobContext(app=app, job=job, start_timestamp=time.time(), abort_reason=lambda: None)
        try:
            tasks.import_url(context, **job.task_kwargs)  # type: ignore[arg-type]  # JSON, as queued
        except (FetchError, BadArticle) as error:
            strategy = tasks.import_url.retry_strategy
            row["attempts"] += 1
            if strategy is None or strategy.get_retry_exception(error, job) is None:
                row["status"] = "failed"
        else:
            row["status"] = "succeeded"


def api_client(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def post_url(user: User, url: str) -> Any:
    return api_client(user).post("/api/v1/articles/", {"url": url}, format="json")


def test_a_posted_url_is_queued_then_imported_with_its_suggestions(editor, pages, queue):
    pages.pages["/story"] = (200, ARTICLE_PAGE)
    response = post_url(editor, pages.url("/story"))
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["state"] == "queued" and body["page_url"] == pages.url("/story")
    assert response["Location"] == body["url"] and body["url"].endswith(f"/api/v1/imports/{body['id']}/")
    assert len(queue.jobs) == 1 and pages.hits == {}, "queued, not fetched in the request"

    run_queued(queue)

    url_import = UrlImport.objects.get(pk=body["id"])
    assert (url_import.state, url_import.outcome, url_import.attempts) == ("imported", "created", 1)
    article = url_import.article
    assert article is not None and article.url == pages.url("/story")
    assert Suggestion.objects.filter(article=article).exists(), "suggested like any other import"
    polled = api_client(editor).get(f"/api/v1/imports/{body['id']}/").json()
    assert polled["state"] == "imported" and polled["article_id"] == article.pk
    assert polled["article"].endswith(f"/api/v1/articles/{article.pk}/")


def test_the_same_page_again_changes_nothing_and_a_changed_page_is_a_new_revision(editor, pages, queue):
    pages.pages["/story"] = (200, ARTICLE_PAGE)
    for _ in range(2):
        post_url(editor, pages.url("/story"))
        run_queued(queue)
    first, second = UrlImport.objects.order_by("pk")
    assert (first.outcome, second.outcome) == ("created", "unchanged")
    assert first.article == second.article and Article.objects.count() == 1

    changed = ARTICLE_PAGE.replace(b"around 160,000 asylum seekers", b"around 180,000 asylum seekers")
    assert changed != ARTICLE_PAGE
    pages.pages["/story"] = (200, changed)
    post_url(editor, pages.url("/story"))
    run_queued(queue)
    third = UrlImport.objects.order_by("pk").last()
    assert third is not None and third.outcome == "revised"
    assert third.article == first.article and first.article is not None
    assert first.article.revisions.count() == 2


@pytest.mark.parametrize("url", ["http://127.0.0.1:1/", "http://169.254.169.254/", "ftp://example.org/a"])
def test_a_url_the_guard_refuses_is_a_400_at_once_and_nothing_is_queued(editor, queue, url):
    response = post_url(editor, url)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == 400 and error["fields"]["url"]
    assert queue.jobs == {} and not UrlImport.objects.exists()


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("https://news.example/" + "a" * Article.URL_MAX_LENGTH, "at most 2000 characters"),
        ("", "give the URL"),
        (42, "give the URL"),
        ("https://news.example/a\x00b", ""),
    ],
)
def test_a_malformed_url_is_a_400_that_says_why_and_queues_nothing(editor, queue, url, says):
    response = post_url(editor, url)
    assert response.status_code == 400
    assert says in " ".join(response.json()["error"]["fields"]["url"])
    assert queue.jobs == {} and not UrlImport.objects.exists()


def test_a_page_that_fails_is_retried_then_failed_with_the_error(editor, pages, queue, no_waits):
    pages.pages["/down"] = (500, b"<html><body>server error</body></html>")
    body = post_url(editor, pages.url("/down")).json()
    run_queued(queue)
    url_import = UrlImport.objects.get(pk=body["id"])
    assert pages.hits["/down"] == 3, "the first try and two retries"
    assert (url_import.state, url_import.attempts) == ("failed", 3)
    assert "500" in url_import.error and url_import.article is None
    assert [row["status"] for row in queue.jobs.values()] == ["failed"]


def test_a_page_that_fails_once_is_imported_on_the_retry(editor, pages, queue, no_waits):
    pages.pages["/flaky"] = (503, b"busy")
    body = post_url(editor, pages.url("/flaky")).json()
    original = tasks.import_url.func

    def recover_after_first_try(*args, **kwargs):
        try:
            return original(*args, **kwargs)
        finally:
            pages.pages["/flaky"] = (200, ARTICLE_PAGE)

    tasks.import_url.func = recover_after_first_try
    try:
        run_queued(queue)
    finally:
        tasks.import_url.func = original
    url_import = UrlImport.objects.get(pk=body["id"])
    assert (url_import.state, url_import.attempts, url_import.error) == ("imported", 2, "")


def test_a_page_without_an_article_fails_without_a_retry(editor, pages, queue, no_waits):
    pages.pages["/"] = (200, NOT_AN_ARTICLE)
    pages.pages["/gone"] = (404, b"<html><body>not here</body></html>")
    ids = [post_url(editor, pages.url(path)).json()["id"] for path in ("/", "/gone")]
    run_queued(queue)
    for url_import in UrlImport.objects.filter(pk__in=ids):
        assert (url_import.state, url_import.attempts) == ("failed", 1), url_import.error
        assert url_import.error
    assert pages.hits == {"/": 1, "/gone": 1}


def test_only_those_who_may_import_queue_urls_or_read_imports(editor, researcher, pages, queue):
    pages.pages["/story"] = (200, ARTICLE_PAGE)
    assert post_url(researcher, pages.url("/story")).status_code == 403
    assert queue.jobs == {}
    body = post_url(editor, pages.url("/story")).json()
    assert api_client(researcher).get(f"/api/v1/imports/{body['id']}/").status_code == 403
    assert api_client(editor).get(f"/api/v1/imports/{body['id'] + 1}/").status_code == 404


def test_text_imports_are_unchanged_by_the_url_path(editor, queue):
    response = api_client(editor).post(
        "/api/v1/articles/",
        {"url": "https://news.example/pasted", "title": "Pasted", "text": "Some text " * 30},
        format="json",
    )
    assert response.status_code == 201 and response.json()["outcome"] == "created"
    assert queue.jobs == {}


def test_the_import_command_queues_urls_or_imports_them_now(db, pages, queue, capsys):
    pages.pages["/story"] = (200, ARTICLE_PAGE)
    call_command("import_articles", pages.url("/story"))
    assert "1 queued" in capsys.readouterr().out and len(queue.jobs) == 1
    call_command("import_articles", "--now", pages.url("/story"))
    assert "1 created" in capsys.readouterr().out and len(queue.jobs) == 1
    assert UrlImport.objects.filter(state="imported").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_imports_a_queued_url_end_to_end(editor, pages, monkeypatch):
    """Against the test database, through procrastinate's own worker and the connector that
    `manage.py procrastinate worker` gives it, bounded in time."""
    # The worker's task threads then close their connections after each task, before the test database
    # is dropped.
    monkeypatch.setitem(connections["default"].settings_dict, "CONN_MAX_AGE", 0)
    pages.pages["/story"] = (200, ARTICLE_PAGE)
    body = post_url(editor, pages.url("/story")).json()
    assert UrlImport.objects.get(pk=body["id"]).state == "queued"

    def work() -> None:
        connector = app.connector
        assert isinstance(connector, DjangoConnector)
        with app.replace_connector(connector.get_worker_connector()) as worker_app:
            worker_app.run_worker(queues=[tasks.QUEUE], wait=False, install_signal_handlers=False)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(timeout=60)
    assert not worker.is_alive(), "the worker did not finish its queue within a minute"
    url_import = UrlImport.objects.get(pk=body["id"])
    assert (url_import.state, url_import.outcome) == ("imported", "created")
    assert url_import.article is not None and url_import.article.revisions.count() == 1


# --- The add-article page -------------------------------------------------------------------------------


def test_a_link_pasted_on_the_add_article_page_shows_its_progress_then_the_article(
    client, editor, pages, queue
):
    from django.urls import reverse

    pages.pages["/news/shelters"] = (200, ARTICLE_PAGE)
    client.force_login(editor)
    response = client.post(reverse("article_new"), {"url": pages.url("/news/shelters")})
    url_import = UrlImport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "url_import_detail", args=[url_import.pk]
    )
    waiting = client.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 1s"' in waiting and 'aria-current="step">Queued' in waiting
    run_queued(queue)
    status = client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    article = Article.objects.get()
    assert "every 1s" not in status  # done: the page stops asking
    assert reverse("article_detail", args=[article.pk]) in status and "The article is in." in status
    assert "<html" not in status  # htmx gets the status alone


def test_a_link_the_guard_refuses_is_an_error_on_the_form_and_nothing_is_queued(client, editor, queue):
    from django.urls import reverse

    client.force_login(editor)
    response = client.post(reverse("article_new"), {"url": "http://169.254.169.254/latest/meta-data/"})
    assert response.status_code == 400
    assert "This link cannot be fetched" in response.content.decode()
    assert not UrlImport.objects.exists() and not queue.jobs


def test_a_failed_import_says_why_and_only_importers_see_it(
    client, editor, researcher, pages, queue, no_waits
):
    from django.urls import reverse

    pages.pages["/index"] = (200, NOT_AN_ARTICLE)
    client.force_login(editor)
    client.post(reverse("article_new"), {"url": pages.url("/index")})
    run_queued(queue)
    url_import = UrlImport.objects.get()
    page = client.get(reverse("url_import_detail", args=[url_import.pk])).content.decode()
    assert "The import failed" in page and "every 1s" not in page
    client.force_login(researcher)
    assert client.get(reverse("url_import_detail", args=[url_import.pk])).status_code == 404


def test_the_form_still_asks_for_something_to_import(client, editor):
    from django.urls import reverse

    client.force_login(editor)
    response = client.post(reverse("article_new"), {"title": "Nothing"})
    assert response.status_code == 400 and "Paste a link to the article" in response.content.decode()
