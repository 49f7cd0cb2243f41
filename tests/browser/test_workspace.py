"""The editor's workspace in headless Chromium: select, claim, tag, source, conflicts, keyboard, roles."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from annotations import services
from annotations.models import Claim, Tag
from tests.browser.conftest import PASSWORD, select_with_mouse, sign_in
from tests.factories import ArticleFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO = (
    Path(__file__).resolve().parents[2] / "annotations" / "fixtures" / "demo" / "ice-nyc-sanctuary-talks.txt"
)


@pytest.fixture
def people(transactional_db):
    roles = {"editor": "editor", "colleague": "editor", "reviewer": "reviewer", "researcher": "researcher"}
    return {
        name: UserFactory.create(username=name, role=role, password=PASSWORD) for name, role in roles.items()
    }


@pytest.fixture
def demo_article(transactional_db):
    return ArticleFactory.create(
        title="ICE and Mayor Adams in talks", text=DEMO.read_text(), url="https://n.example/ice"
    )


def test_an_editor_claims_tags_and_sources_a_figure(page, live_server, people, demo_article, screenshot):
    sign_in(page, live_server, "editor")
    screenshot(page, "01-article-list")
    page.get_by_role("link", name="ICE and Mayor Adams in talks").click()
    select_with_mouse(page, "160,000 asylum seekers")
    expect(page.locator("#claim-button")).to_be_enabled()
    page.keyboard.press("c")
    panel = page.locator("#claim-detail")
    expect(panel.locator("blockquote.quote")).to_have_text("160,000 asylum seekers")
    expect(page.locator("mark.hl")).to_have_count(1)
    claim = Claim.objects.get()
    assert claim.exact == "160,000 asylum seekers"

    panel.get_by_placeholder("Type to filter tags").fill("stat")
    expect(panel.get_by_label("Statistic")).to_be_visible()
    expect(panel.get_by_label("Immigration")).to_be_hidden()
    panel.get_by_label("Statistic").check()
    panel.get_by_label("Note").fill("Compare with the city's own count.")
    panel.get_by_role("button", name="Save").click()
    expect(panel.get_by_text("Saved.")).to_be_visible()

    panel.get_by_text("Attach a source").click()
    panel.get_by_label("URL").fill("https://www.nyc.gov/site/asylumseekers/index.page")
    panel.get_by_label("Title").fill("NYC asylum seekers figures")
    panel.get_by_label("Relation").select_option("supports")
    panel.get_by_label("Quoted passage").fill("more than 160,000 people")
    panel.get_by_role("button", name="Attach").click()
    expect(panel.locator(".source-list")).to_contain_text("NYC asylum seekers figures")
    screenshot(page, "02-article-with-claim")

    page.reload()
    item = page.locator(f"#claim-item-{claim.pk}")
    expect(item).to_contain_text("Statistic")
    expect(item).to_contain_text("1 source")
    expect(page.locator("#claim-detail blockquote.quote")).to_have_text("160,000 asylum seekers")
    expect(page.locator("#claim-detail textarea[name=note]")).to_have_value(
        "Compare with the city's own count."
    )
    expect(page.locator("#claim-detail .source-quote")).to_have_text("more than 160,000 people")

    page.get_by_role("link", name="History").click()
    expect(page.locator(".history")).to_contain_text("Tagged Statistic")
    expect(page.locator(".history")).to_contain_text("Attached source")
    screenshot(page, "03-claim-history")


def test_a_second_editor_gets_the_conflict_message(browser, live_server, people, demo_article, screenshot):
    claim = services.create_claim(
        article=demo_article, by=people["editor"], exact="around 160,000 asylum seekers"
    )
    pages = []
    for username in ("editor", "colleague"):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        sign_in(page, live_server, username)
        page.goto(f"{live_server.url}/articles/{demo_article.pk}/?claim={claim.pk}")
        pages.append(page)
    first, second = pages
    first.locator("#claim-detail textarea[name=note]").fill("First editor's note")
    first.get_by_role("button", name="Save").click()
    expect(first.get_by_text("Saved.")).to_be_visible()
    second.locator("#claim-detail textarea[name=note]").fill("Second editor's note")
    second.get_by_role("button", name="Save").click()
    conflict = second.locator(".conflict")
    expect(conflict).to_contain_text("someone else changed this claim")
    expect(conflict).to_contain_text("editor")
    expect(conflict).to_contain_text("First editor's note")
    expect(conflict).to_contain_text("Second editor's note")
    screenshot(second, "04-conflict")
    claim.refresh_from_db()
    assert claim.note == "First editor's note"


def test_emoji_before_the_claim_anchor_the_right_characters(page, live_server, people):
    text = (
        "Emoji 😀🇫🇷 and e\u0301 and שלום first.\n\nNew York City has accepted around 160,000 asylum seekers."
    )
    article = ArticleFactory.create(title="Emoji article", text=text)
    sign_in(page, live_server, "editor")
    page.goto(f"{live_server.url}/articles/{article.pk}/")
    select_with_mouse(page, "160,000 asylum seekers")
    page.get_by_role("button", name="Claim selection").click()
    expect(page.locator("#claim-detail blockquote.quote")).to_have_text("160,000 asylum seekers")
    claim = Claim.objects.get()
    assert article.current_revision is not None
    revision_text = article.current_revision.text
    assert revision_text[claim.start : claim.end] == "160,000 asylum seekers"
    assert claim.start == revision_text.index("160,000")  # code points, not UTF-16 units
    expect(page.locator("mark.hl")).to_have_text("160,000 asylum seekers")


def test_keyboard_shortcuts(page, live_server, people, demo_article, screenshot):
    first = services.create_claim(article=demo_article, by=people["editor"], exact="in 2014 signed into law")
    second = services.create_claim(
        article=demo_article, by=people["editor"], exact="around 160,000 asylum seekers"
    )
    sign_in(page, live_server, "editor")
    page.goto(f"{live_server.url}/articles/{demo_article.pk}/")
    page.keyboard.press("j")
    expect(page.locator("#claim-detail")).to_have_attribute("data-claim", str(first.pk))
    page.keyboard.press("j")
    expect(page.locator("#claim-detail")).to_have_attribute("data-claim", str(second.pk))
    expect(page.locator(f"#claim-item-{second.pk}")).to_have_attribute("aria-current", "true")
    page.keyboard.press("k")
    expect(page.locator("#claim-detail")).to_have_attribute("data-claim", str(first.pk))
    first_tag = Tag.objects.first()
    assert first_tag is not None
    page.keyboard.press("1")
    expect(page.locator(f"#claim-item-{first.pk}")).to_contain_text(first_tag.name)
    assert list(first.tags.all()) == [first_tag]
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    screenshot(page, "05-shortcuts")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_hidden()
    page.keyboard.press("Escape")
    expect(page.locator("#claim-detail")).not_to_have_attribute("data-claim", str(first.pk))
    select_with_mouse(page, "detainer requests")
    page.keyboard.press("c")
    expect(page.locator("#claim-detail blockquote.quote")).to_have_text("detainer requests")


def test_clicking_a_highlight_selects_its_claim_in_the_panel(page, live_server, people, demo_article):
    claim = services.create_claim(
        article=demo_article, by=people["editor"], exact="around 160,000 asylum seekers"
    )
    sign_in(page, live_server, "editor")
    page.goto(f"{live_server.url}/articles/{demo_article.pk}/")
    page.locator(f'mark[data-claim="{claim.pk}"]').click()
    expect(page.locator("#claim-detail")).to_have_attribute("data-claim", str(claim.pk))
    expect(page.locator(f"#claim-item-{claim.pk}")).to_have_attribute("aria-current", "true")


def test_a_researcher_cannot_edit(page, live_server, people, demo_article, screenshot):
    claim = services.create_claim(
        article=demo_article, by=people["editor"], exact="around 160,000 asylum seekers"
    )
    sign_in(page, live_server, "researcher")
    page.goto(f"{live_server.url}/articles/{demo_article.pk}/?claim={claim.pk}")
    expect(page.get_by_text("Read-only")).to_be_visible()
    expect(page.locator("#claim-button")).to_have_count(0)
    expect(page.locator("#claim-detail").get_by_label("Statistic")).to_be_disabled()
    expect(page.get_by_role("button", name="Save")).to_have_count(0)
    expect(page.get_by_role("button", name="Delete claim")).to_have_count(0)
    select_with_mouse(page, "detainer requests")
    page.keyboard.press("c")
    page.wait_for_timeout(300)
    assert Claim.objects.count() == 1
    screenshot(page, "06-researcher-read-only")


def test_the_workspace_fits_a_phone(browser, live_server, people, demo_article, screenshot):
    services.create_claim(article=demo_article, by=people["editor"], exact="around 160,000 asylum seekers")
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    sign_in(page, live_server, "editor")
    page.goto(f"{live_server.url}/articles/{demo_article.pk}/")
    expect(page.locator("#claims")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "07-phone-article")
    page.goto(f"{live_server.url}/claims/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "08-phone-claims")
