"""A failed htmx request says what happened in place, with the way forward, and never swaps in a page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from annotations import services
from annotations.importing import ArticleInput
from tests.browser.conftest import PASSWORD, select_with_mouse, sign_in
from tests.factories import ArticleFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = "New York City has accepted around 160,000 asylum seekers since April 2022, officials said."


@pytest.fixture(params=[True, False], ids=["debug", "production"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


@pytest.fixture
def setup(transactional_db):
    editor = UserFactory.create(username="editor", role="editor", password=PASSWORD)
    colleague = UserFactory.create(username="colleague", role="editor", password=PASSWORD)
    article = ArticleFactory.create(title="Errors", text=TEXT, url="https://n.example/errors")
    claim = services.create_claim(article=article, by=editor, exact="160,000 asylum seekers")
    return article, claim, colleague


def _no_page_swapped_in(page) -> None:
    body = page.locator("body")
    for words in ("Page not found", "Traceback", "Django", "Sign in", "Not Found"):
        expect(body.locator("#workspace")).not_to_contain_text(words)
    expect(page.locator("#article-text")).to_have_count(1)
    expect(page.locator("#workspace")).to_have_count(1)


def test_saving_a_claim_someone_deleted_says_so_in_the_panel(page, live_server, setup, debug):
    article, claim, colleague = setup
    sign_in(page, live_server, "editor")
    page.goto(f"{live_server.url}/articles/{article.pk}/?claim={claim.pk}")
    services.delete_claim(claim=claim, by=colleague, expected_version=claim.version)
    panel = page.locator("#claim-detail")
    panel.get_by_label("Note").fill("My note")
    panel.get_by_role("button", name="Save").click()
    failure = panel.locator(".failure")
    expect(failure).to_contain_text("This claim is no longer here")
    expect(failure.get_by_role("link", name="Reload the article")).to_have_attribute(
        "href", f"/articles/{article.pk}/"
    )
    expect(panel.get_by_label("Note")).to_have_value("My note")
    _no_page_swapped_in(page)


def test_claiming_in_a_tab_opened_before_a_new_revision_points_to_it(page, live_server, setup, debug):
    article, _, _ = setup
    sign_in(page, live_server, "editor")
    page.goto(f"{live_server.url}/articles/{article.pk}/")
    services.import_article(
        article_input=ArticleInput.build(
            title=article.title, url=article.url, text=TEXT.replace("officials said", "the city said")
        )
    )
    select_with_mouse(page, "since April 2022")
    page.keyboard.press("c")
    toast = page.locator("#toast")
    expect(toast).to_contain_text("not the current revision")
    expect(toast.get_by_role("link", name="Reload the article")).to_be_visible()
    _no_page_swapped_in(page)
    toast.get_by_role("link", name="Reload the article").click()
    expect(page.get_by_text("Revision 2 of 2")).to_be_visible()


def test_a_session_that_ended_does_not_swap_in_the_sign_in_page(page, live_server, setup, debug):
    article, claim, _ = setup
    sign_in(page, live_server, "editor")
    page.goto(f"{live_server.url}/articles/{article.pk}/?claim={claim.pk}")
    page.context.clear_cookies()
    panel = page.locator("#claim-detail")
    panel.get_by_label("Note").fill("Typed before the session ended")
    panel.get_by_role("button", name="Save").click()
    expect(panel.locator(".failure")).to_contain_text("session has ended")
    expect(panel.get_by_label("Note")).to_have_value("Typed before the session ended")
    expect(page.locator("#claim-detail input[name=password]")).to_have_count(0)
    _no_page_swapped_in(page)


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (
            500,
            "<!doctype html><html><body><h1>Server Error (500)</h1></body></html>",
            "went wrong on the server",
        ),
        (403, "<!doctype html><html><body><h1>403 Forbidden</h1>CSRF</body></html>", "refused"),
        (404, "<h1>Not Found</h1><p>The requested resource was not found.</p>", "no longer here"),
    ],
)
def test_an_error_page_from_the_server_becomes_a_message(page, live_server, setup, status, body, message):
    article, claim, _ = setup
    sign_in(page, live_server, "editor")
    page.goto(f"{live_server.url}/articles/{article.pk}/?claim={claim.pk}")
    page.route(
        f"**/claims/{claim.pk}/edit/",
        lambda route: route.fulfill(status=status, body=body, content_type="text/html"),
    )
    page.locator("#claim-detail").get_by_role("button", name="Save").click()
    expect(page.locator("#claim-detail .failure")).to_contain_text(message)
    _no_page_swapped_in(page)


def test_a_network_failure_says_nothing_was_saved(page, live_server, setup):
    article, claim, _ = setup
    sign_in(page, live_server, "editor")
    page.goto(f"{live_server.url}/articles/{article.pk}/?claim={claim.pk}")
    page.route(f"**/claims/{claim.pk}/edit/", lambda route: route.abort())
    page.locator("#claim-detail").get_by_role("button", name="Save").click()
    expect(page.locator("#claim-detail .failure")).to_contain_text("could not be reached")
