"""The workspace by keyboard and on a long page: caret selection, focus after claiming and on j/k, the
shortcuts dialog as a modal, attention items that open their claim, and saves that update in place."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from annotations import services
from annotations.importing import ArticleInput
from annotations.models import Claim
from tests.browser.conftest import PASSWORD, select_with_mouse, sign_in
from tests.factories import ArticleFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO = (
    Path(__file__).resolve().parents[2] / "annotations" / "fixtures" / "demo" / "ice-nyc-sanctuary-talks.txt"
)


@pytest.fixture
def editor(transactional_db):
    return UserFactory.create(username="editor", role="editor", password=PASSWORD)


@pytest.fixture
def demo_article(transactional_db):
    return ArticleFactory.create(title="ICE talks", text=DEMO.read_text(), url="https://n.example/ice")


def _in_viewport(page, selector: str) -> bool:
    return bool(
        page.evaluate(
            """(selector) => {
          const box = document.querySelector(selector).getBoundingClientRect();
          return box.top > -1 && box.top < window.innerHeight - 40; // its top, with room to read
        }""",
            selector,
        )
    )


def test_a_claim_is_made_with_the_keyboard_alone(page, live_server, editor, demo_article):
    sign_in(page, live_server, "editor")
    page.goto(f"{live_server.url}/articles/{demo_article.pk}/")
    text = page.locator("#article-text")
    text.focus()
    page.evaluate(  # the caret where Tab would leave it, at the start of a known word
        """() => {
          const text = document.getElementById('article-text');
          const walker = document.createTreeWalker(text, NodeFilter.SHOW_TEXT);
          let node;
          while ((node = walker.nextNode())) {
            const at = node.textContent.indexOf('detainer requests');
            if (at >= 0) { window.getSelection().collapse(node, at); return; }
          }
        }"""
    )
    page.keyboard.press("Control+Shift+ArrowRight")  # "detainer"
    page.keyboard.press("Control+Shift+ArrowRight")  # " requests"
    expect(page.locator("#claim-button")).to_be_enabled()
    page.keyboard.press("c")
    panel = page.locator("#claim-detail")
    expect(panel.locator("blockquote.quote")).to_have_text("detainer requests")
    expect(panel).to_be_focused()
    assert Claim.objects.get().exact == "detainer requests"


def test_the_arrow_keys_move_a_caret_in_the_text(page, live_server, editor, demo_article):
    sign_in(page, live_server, "editor")
    page.goto(f"{live_server.url}/articles/{demo_article.pk}/")
    page.locator("#article-title").click()
    page.keyboard.press("Tab")  # into the text, which is focusable
    while not page.evaluate("document.activeElement.id === 'article-text'"):
        page.keyboard.press("Tab")
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Shift+ArrowRight")
    assert len(page.evaluate("window.getSelection().toString()")) == 2
    page.keyboard.press("ArrowRight")
    assert page.evaluate("window.getSelection().isCollapsed")
    expect(page.locator("#text-caret")).to_be_visible()


@pytest.mark.parametrize("viewport", [(1280, 900), (390, 844)], ids=["desktop", "phone"])
def test_after_claiming_the_panel_is_in_view_and_focused(
    browser, live_server, editor, demo_article, viewport
):
    width, height = viewport
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    text = demo_article.current_revision.text
    for word in re.finditer(r"[A-Z][a-z]{5,}", text[text.index("160,000") + 30 :]):  # a long list
        start = word.start() + text.index("160,000") + 30
        services.create_claim(article=demo_article, by=editor, start=start, end=start + len(word[0]))
    sign_in(page, live_server, "editor")
    page.goto(f"{live_server.url}/articles/{demo_article.pk}/")
    select_with_mouse(page, "160,000 asylum seekers")
    page.keyboard.press("c")
    panel = page.locator("#claim-detail")
    expect(panel.locator("blockquote.quote")).to_have_text("160,000 asylum seekers")
    expect(panel).to_be_focused()
    assert _in_viewport(page, "#claim-detail")
    context.close()


def test_j_and_k_move_focus_to_the_claim_they_open(page, live_server, editor, demo_article):
    first = services.create_claim(article=demo_article, by=editor, exact="in 2014 signed into law")
    second = services.create_claim(article=demo_article, by=editor, exact="around 160,000 asylum seekers")
    sign_in(page, live_server, "editor")
    page.goto(f"{live_server.url}/articles/{demo_article.pk}/")
    panel = page.locator("#claim-detail")
    page.keyboard.press("j")
    expect(panel).to_have_attribute("data-claim", str(first.pk))
    expect(panel).to_be_focused()
    page.keyboard.press("j")
    expect(panel).to_have_attribute("data-claim", str(second.pk))
    expect(panel).to_be_focused()
    page.keyboard.press("k")
    expect(panel).to_have_attribute("data-claim", str(first.pk))
    expect(panel).to_be_focused()


def test_the_shortcuts_dialog_keeps_focus_and_gives_it_back(page, live_server, editor, demo_article):
    sign_in(page, live_server, "editor")
    page.goto(f"{live_server.url}/articles/{demo_article.pk}/")
    opener = page.get_by_role("button", name="Shortcuts")
    opener.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    for key in ("Tab", "Tab", "Shift+Tab", "Tab"):
        page.keyboard.press(key)
        assert page.evaluate("document.getElementById('shortcuts').contains(document.activeElement)"), key
    page.keyboard.press("j")  # shortcuts behind a modal do nothing
    expect(page.locator("#claim-detail")).not_to_have_attribute("data-claim", "1")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()


def test_every_attention_item_opens_its_claim(page, live_server, editor):
    article = ArticleFactory.create(
        title="Revised",
        text="The city took in 160,000 asylum seekers. The law passed in 2014.",
        url="https://n.example/r",
    )
    changed = services.create_claim(article=article, by=editor, exact="160,000 asylum seekers")
    gone = services.create_claim(article=article, by=editor, exact="The law passed in 2014.")
    services.import_article(
        article_input=ArticleInput.build(
            title=article.title,
            url=article.url,
            text="The city took in 180,000 asylum seekers. Nothing else.",
        )
    )
    sign_in(page, live_server, "editor")
    page.goto(f"{live_server.url}/articles/{article.pk}/")
    items = page.locator(".attention-item")
    expect(items).to_have_count(2)
    for claim in (changed, gone):
        page.locator(f'.attention-item[data-claim="{claim.pk}"] a.attention-claim').click()
        expect(page.locator("#claim-detail")).to_have_attribute("data-claim", str(claim.pk))


def test_saves_update_the_list_and_highlights_in_place(page, live_server, editor, demo_article):
    first = services.create_claim(article=demo_article, by=editor, exact="in 2014 signed into law")
    text = demo_article.current_revision.text
    at = text.index("detainer requests")
    last = services.create_claim(article=demo_article, by=editor, start=at, end=at + len("detainer requests"))
    sign_in(page, live_server, "editor")
    page.goto(f"{live_server.url}/articles/{demo_article.pk}/?claim={first.pk}")
    panel = page.locator("#claim-detail")
    panel.get_by_label("Status").select_option("in_review")
    panel.get_by_role("button", name="Save").click()
    expect(panel.get_by_text("Saved.")).to_be_visible()
    mark = page.locator(f'mark[data-claim="{first.pk}"]').first
    expect(mark).to_have_class(re.compile(r"\bstatus-in_review\b"))
    expect(mark).to_have_attribute("title", "In review")
    expect(page.locator(f"#claim-item-{first.pk}")).to_have_class("claim-item status-in_review")

    select_with_mouse(page, "160,000 asylum seekers")
    page.keyboard.press("c")
    expect(panel.locator("blockquote.quote")).to_have_text("160,000 asylum seekers")
    new = Claim.objects.get(exact="160,000 asylum seekers")
    ids = page.locator(".claim-item").evaluate_all("items => items.map(i => i.dataset.claim)")
    expected = [str(c.pk) for c in Claim.objects.order_by("start", "end", "pk")]
    assert ids == expected and str(new.pk) in ids
    expect(page.locator("#claim-count")).to_have_text("3")
    expect(page.locator(f'mark[data-claim="{new.pk}"]')).to_have_text("160,000 asylum seekers")

    page.once("dialog", lambda dialog: dialog.accept())
    panel.get_by_role("button", name="Delete claim").click()
    expect(page.locator(f"#claim-item-{new.pk}")).to_have_count(0)
    expect(page.locator(f'mark[data-claim="{new.pk}"]')).to_have_count(0)
    expect(page.locator("#claim-count")).to_have_text("2")
    assert last.pk in [
        int(i) for i in page.locator(".claim-item").evaluate_all("i => i.map(x => x.dataset.claim)")
    ]
