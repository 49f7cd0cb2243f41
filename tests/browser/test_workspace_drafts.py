"""Typed work in the claim panel survives every other change, and leaving it unsaved asks first."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from annotations import services
from annotations.models import Claim
from tests.browser.conftest import PASSWORD, sign_in
from tests.factories import ArticleFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = (
    "New York City has accepted around 160,000 asylum seekers since April 2022.\n\n"
    "The mayor signed detainer requests in 2014, officials said."
)


@pytest.fixture
def two_claims(transactional_db):
    editor = UserFactory.create(username="editor", role="editor", password=PASSWORD)
    article = ArticleFactory.create(title="Drafts", text=TEXT)
    first = services.create_claim(article=article, by=editor, exact="160,000 asylum seekers")
    second = services.create_claim(article=article, by=editor, exact="detainer requests")
    return article, first, second


def test_attaching_a_source_keeps_an_unsaved_tag_and_note(page, live_server, two_claims):
    article, first, _ = two_claims
    sign_in(page, live_server, "editor")
    page.goto(f"{live_server.url}/articles/{article.pk}/?claim={first.pk}")
    panel = page.locator("#claim-detail")
    panel.get_by_label("Statistic").check()
    panel.get_by_label("Note").fill("Ask the city for its count.")
    panel.get_by_text("Attach a source").click()
    panel.get_by_label("URL").fill("https://www.nyc.gov/asylum")
    panel.get_by_label("Title").fill("NYC asylum data")
    panel.get_by_role("button", name="Attach").click()
    expect(panel.locator(".source-list")).to_contain_text("NYC asylum data")
    expect(panel.get_by_label("Statistic")).to_be_checked()
    expect(panel.get_by_label("Note")).to_have_value("Ask the city for its count.")
    panel.get_by_role("button", name="Save").click()  # the version moved on; the save still goes through
    expect(panel.get_by_text("Saved.")).to_be_visible()
    first.refresh_from_db()
    assert first.note == "Ask the city for its count."
    assert list(first.tags.values_list("slug", flat=True)) == ["statistic"]


def test_a_failed_source_attach_keeps_what_was_typed_in_its_form(page, live_server, two_claims):
    article, first, _ = two_claims
    sign_in(page, live_server, "editor")
    page.goto(f"{live_server.url}/articles/{article.pk}/?claim={first.pk}")
    panel = page.locator("#claim-detail")
    panel.get_by_text("Attach a source").click()
    panel.get_by_label("URL").fill("https://www.nyc.gov/asylum")
    panel.get_by_label("Quoted passage").fill("more than 160,000 people")
    panel.get_by_role("button", name="Attach").click()  # no title: refused
    expect(panel.get_by_text("A new source needs a title")).to_be_visible()
    expect(panel.get_by_label("URL")).to_have_value("https://www.nyc.gov/asylum")
    expect(panel.get_by_label("Quoted passage")).to_have_value("more than 160,000 people")


def test_next_claim_with_an_unsaved_note_asks_and_keeps_it_when_told_to(page, live_server, two_claims):
    article, first, second = two_claims
    sign_in(page, live_server, "editor")
    page.goto(f"{live_server.url}/articles/{article.pk}/?claim={first.pk}")
    panel = page.locator("#claim-detail")
    panel.get_by_label("Note").fill("Half-written thought")
    page.locator("#article-title").click()  # out of the textarea, so that j is a shortcut
    questions: list[str] = []

    def stay(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", stay)
    page.keyboard.press("j")
    expect(panel.get_by_label("Note")).to_have_value("Half-written thought")
    assert questions and "not saved" in questions[0]
    expect(panel).to_have_attribute("data-claim", str(first.pk))

    page.once("dialog", lambda dialog: dialog.accept())
    page.keyboard.press("j")
    expect(panel).to_have_attribute("data-claim", str(second.pk))
    assert Claim.objects.get(pk=first.pk).note == ""


def test_the_tag_shortcut_keeps_an_unsaved_note(page, live_server, two_claims):
    article, first, _ = two_claims
    sign_in(page, live_server, "editor")
    page.goto(f"{live_server.url}/articles/{article.pk}/?claim={first.pk}")
    panel = page.locator("#claim-detail")
    panel.get_by_label("Note").fill("Still typing")
    page.locator("#article-title").click()
    page.keyboard.press("1")
    expect(page.locator(f"#claim-item-{first.pk} .tag")).to_have_count(1)
    expect(panel.get_by_label("Note")).to_have_value("Still typing")
