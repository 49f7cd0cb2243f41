"""An import from a URL in the browser: an editor pastes a link, and the progress page follows the import
by itself (htmx asks every second) to the article's link or to the error, without a reload.

Pages come from the local server, jobs go to the in-memory queue (`pages`, `queue`: tests/local_pages.py).
The live server's request thread queues the job; the test does the worker's part in its own thread with
`run_jobs`, which calls the task's function and nothing of procrastinate's: procrastinate's synchronous
calls refuse a thread with a running event loop, and Playwright's sync API leaves one running here.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from annotations.models import UrlImport
from tests.browser.conftest import PASSWORD, sign_in
from tests.factories import UserFactory
from tests.local_pages import run_jobs
from tests.test_url_import import ARTICLE_PAGE, NOT_AN_ARTICLE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

UPDATES_BY_ITSELF = 5_000  # ms: the page asks every second


def _paste_a_link(page, live_server, url: str) -> None:
    """Sign in as an editor, paste `url` alone on the add-article page and submit: the progress page."""
    UserFactory.create(username="editor", role="editor", password=PASSWORD)
    sign_in(page, live_server, "editor")
    page.get_by_role("link", name="Add an article").click()
    page.get_by_label("URL").fill(url)
    page.get_by_role("button", name="Add article").click()
    page.wait_for_url(re.compile(r"/imports/\d+/$"))
    expect(page.locator('#import-status [aria-current="step"]')).to_have_text("Queued")
    # Gone after a reload: what is seen below came without one.
    page.evaluate("window.notReloaded = true")


def test_the_progress_page_shows_the_article_once_it_is_in(page, live_server, pages, queue, screenshot):
    pages.pages["/news/shelters"] = (200, ARTICLE_PAGE)
    _paste_a_link(page, live_server, pages.url("/news/shelters"))
    expect(page.get_by_text("This page updates by itself.")).to_be_visible()

    run_jobs(queue)

    expect(page.get_by_text("The article is in.")).to_be_visible(timeout=UPDATES_BY_ITSELF)
    url_import = UrlImport.objects.get()
    assert url_import.article is not None
    link = page.get_by_role("link", name=re.compile(r"^Open "))
    expect(link).to_have_attribute("href", reverse("article_detail", args=[url_import.article.pk]))
    expect(page.locator('#import-status [aria-current="step"]')).to_have_text("Imported")
    assert page.evaluate("window.notReloaded") is True
    screenshot(page, "11-url-import")
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(url_import.article.title)


def test_the_progress_page_shows_why_an_import_failed(page, live_server, pages, queue):
    pages.pages["/index"] = (200, NOT_AN_ARTICLE)
    _paste_a_link(page, live_server, pages.url("/index"))

    run_jobs(queue)

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("The import failed", timeout=UPDATES_BY_ITSELF)
    error = UrlImport.objects.get().error
    assert error
    expect(alert).to_contain_text(error)
    assert page.evaluate("window.notReloaded") is True
