"""Importing an article from its URL (issue 11): the API queues it, the task fetches, extracts and imports
it, and a `UrlImport` says how far it got. Pages come from a local HTTP server the guard lets through."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connections
from procrastinate import RetryStrategy
from procrastinate.contrib.django import app
from procrastinate.contrib.django.django_connector import DjangoConnector
from rest_framework.test import APIClient

from annotations import tasks
from annotations.models import Article, Suggestion, UrlImport, User
from tests.local_pages import run_jobs

PAGES = Path(__file__).parent / "fixtures" / "pages"
ARTICLE_PAGE = (PAGES / "cookie-banner-and-nav.html").read_bytes()
NOT_AN_ARTICLE = (PAGES / "index-page.html").read_bytes()


@pytest.fixture
def no_waits(monkeypatch) -> None:
    """The task's retries, without the back-off waits: two retries, then it fails."""
    strategy = RetryStrategy(max_attempts=2, retry_exceptions=tasks.RETRY.retry_exceptions)
    monkeypatch.setattr(tasks.import_url, "retry_strategy", strategy)


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

    run_jobs(queue)

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
        run_jobs(queue)
    first, second = UrlImport.objects.order_by("pk")
    assert (first.outcome, second.outcome) == ("created", "unchanged")
    assert first.article == second.article and Article.objects.count() == 1

    changed = ARTICLE_PAGE.replace(b"around 160,000 asylum seekers", b"around 180,000 asylum seekers")
    assert changed != ARTICLE_PAGE
    pages.pages["/story"] = (200, changed)
    post_url(editor, pages.url("/story"))
    run_jobs(queue)
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
    run_jobs(queue)
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
        run_jobs(queue)
    finally:
        tasks.import_url.func = original
    url_import = UrlImport.objects.get(pk=body["id"])
    assert (url_import.state, url_import.attempts, url_import.error) == ("imported", 2, "")


def test_a_page_without_an_article_fails_without_a_retry(editor, pages, queue, no_waits):
    pages.pages["/"] = (200, NOT_AN_ARTICLE)
    pages.pages["/gone"] = (404, b"<html><body>not here</body></html>")
    ids = [post_url(editor, pages.url(path)).json()["id"] for path in ("/", "/gone")]
    run_jobs(queue)
    for url_import in UrlImport.objects.filter(pk__in=ids):
        assert (url_import.state, url_import.attempts) == ("failed", 1), url_import.error
        assert url_import.error
    assert pages.hits == {"/": 1, "/gone": 1}


def test_only_those_who_may_import_queue_urls_or_read_imports(editor, researcher, pages, queue):
    pages.pages["/story"] = (200, ARTICLE_PAGE)
    assert post_url(researcher, pages.url("/story")).status_code == 403
    assert queue.jobs == {}
    body = post_url(editor, pages.url("/story")).json()
    assert api_client(researcher).get(f"/api/v1/imports/{body['id']}/").status_code == 404
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
def test_a_real_worker_imports_a_queued_url_end_to_end(editor, pages, monkeypatch, empty_queue):
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
    run_jobs(queue)
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
    run_jobs(queue)
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


# --- Who sees an import ---------------------------------------------------------------------------------


def test_an_import_is_seen_by_whoever_asked_for_it_and_by_admins_alone(
    client, editor, colleague, admin_user, pages, queue
):
    from django.urls import reverse

    pages.pages["/story"] = (200, ARTICLE_PAGE)
    mine = post_url(editor, pages.url("/story")).json()["id"]
    call_command("import_articles", pages.url("/story"))  # asked for by nobody: the system's
    system = UrlImport.objects.get(requested_by=None).pk
    for user, visible in ((editor, {mine}), (colleague, set()), (admin_user, {mine, system})):
        client.force_login(user)
        for pk in (mine, system):
            status = 200 if pk in visible else 404  # never a 403: nobody learns which ids exist
            assert api_client(user).get(f"/api/v1/imports/{pk}/").status_code == status, (user, pk)
            assert client.get(reverse("url_import_detail", args=[pk])).status_code == status, (user, pk)


# --- The import command's progress bar ------------------------------------------------------------------


def _three_stories(pages) -> list[str]:
    pages.pages.update({f"/story-{n}": (200, ARTICLE_PAGE) for n in range(3)})
    return [pages.url(f"/story-{n}") for n in range(3)]


def test_the_import_command_draws_a_bar_on_stderr_as_each_url_is_queued_or_imported(db, pages, queue, capsys):
    urls = _three_stories(pages)
    call_command("import_articles", "--progress", *urls)
    printed = capsys.readouterr()
    assert "Queueing: 100%" in printed.err and "3/3" in printed.err
    assert printed.out == "3 queued; 0 failed\n" and len(queue.jobs) == 3
    call_command("import_articles", "--progress", "--now", *urls)
    printed = capsys.readouterr()
    assert "Fetching: 100%" in printed.err and "3/3" in printed.err
    assert printed.out == "3 created; 0 failed\n"


def test_the_import_command_draws_no_bar_when_stderr_is_no_terminal(db, pages, queue, capsys):
    call_command("import_articles", "--now", *_three_stories(pages))
    printed = capsys.readouterr()  # pytest's capture is no terminal
    assert printed.err == "" and printed.out == "3 created; 0 failed\n"
