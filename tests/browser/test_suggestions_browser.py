"""Suggestions in the browser: toggle them on, claim a figure in one click, dismiss a sentence."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from annotations.models import Claim, Suggestion
from tests.browser.conftest import PASSWORD, sign_in
from tests.factories import ArticleFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO = (
    Path(__file__).resolve().parents[2] / "annotations" / "fixtures" / "demo" / "ice-nyc-sanctuary-talks.txt"
)
FIGURE = "around 160,000 asylum seekers since April 2022"


def test_an_editor_accepts_a_figure_and_dismisses_a_sentence(page, live_server, screenshot):
    UserFactory.create(username="editor", role="editor", password=PASSWORD)
    article = ArticleFactory.create(title="ICE talks", text=DEMO.read_text(), url="https://n.example/ice")
    sentence = Suggestion.objects.filter(article=article, kind="sentence").order_by("-score").first()
    assert sentence is not None
    sign_in(page, live_server, "editor")
    page.goto(f"{live_server.url}/articles/{article.pk}/")
    expect(page.get_by_role("button", name="Suggestions on")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".sg.sg-figure")).to_have_text(FIGURE)
    page.get_by_role("button", name="Suggestions on").click()
    expect(page.locator(".sg")).to_have_count(0)
    expect(page.locator("#suggestions")).to_be_hidden()
    page.get_by_role("button", name="Suggestions off").click()
    expect(page.locator(".sg.sg-figure")).to_have_text(FIGURE)
    expect(page.locator(".sg.sg-sentence.strength-high").first).to_be_visible()
    screenshot(page, "09-suggestions")

    figure_item = page.locator(".suggestion-item.sg-figure")
    expect(figure_item).to_contain_text(FIGURE)
    figure_item.get_by_role("button", name="Claim it").click()
    expect(page.locator("#claim-detail blockquote.quote")).to_have_text(FIGURE)
    expect(page.locator("#claim-detail").get_by_label("Statistic")).to_be_checked()
    expect(page.locator(".suggestion-item.sg-figure")).to_have_count(0)
    claim = Claim.objects.get()
    assert claim.exact == FIGURE and claim.tags.filter(slug="statistic").exists()

    item = page.locator(f"#suggestion-item-{sentence.pk}")
    item.get_by_role("button", name="Dismiss").click()
    expect(item).to_have_count(0)
    page.reload()
    expect(page.locator(f"#suggestion-item-{sentence.pk}")).to_have_count(0)
    expect(page.locator(f'mark[data-claim="{claim.pk}"]')).to_have_count(1)


def test_statistics_only_leaves_the_quantities_in_the_list_and_the_text(page, live_server):
    UserFactory.create(username="editor", role="editor", password=PASSWORD)
    article = ArticleFactory.create(title="ICE talks", text=DEMO.read_text(), url="https://n.example/ice")
    revision = article.current_revision
    assert revision is not None
    shown = list(Suggestion.objects.shown_on(revision))
    others = [s for s in shown if s.claim_type != "quantity"]
    quantities = [s for s in shown if s.claim_type == "quantity"]
    assert others and len(quantities) >= 2, "the demo needs both kinds for this test"
    sign_in(page, live_server, "editor")
    page.goto(f"{live_server.url}/articles/{article.pk}/")
    other = page.locator(f"#suggestion-item-{others[0].pk}")
    expect(other).to_be_visible()
    page.get_by_label("Statistics only").check()
    expect(other).to_be_hidden()
    for suggestion in quantities:
        expect(page.locator(f"#suggestion-item-{suggestion.pk}")).to_be_visible()
    other_mark = page.locator(f'.sg[data-suggestions="{others[0].pk}"]').first
    figure_mark = page.locator(".sg.sg-figure").first
    assert other_mark.evaluate("e => getComputedStyle(e).textDecorationLine") == "none"
    assert figure_mark.evaluate("e => getComputedStyle(e).textDecorationLine") == "underline"

    # A change swaps the list: the filter holds, and unchecking it brings every suggestion back.
    page.locator(f"#suggestion-item-{quantities[0].pk}").get_by_role("button", name="Dismiss").click()
    expect(page.locator(f"#suggestion-item-{quantities[0].pk}")).to_have_count(0)
    expect(page.locator(f"#suggestion-item-{quantities[1].pk}")).to_be_visible()
    expect(other).to_be_hidden()
    page.get_by_label("Statistics only").uncheck()
    expect(other).to_be_visible()
