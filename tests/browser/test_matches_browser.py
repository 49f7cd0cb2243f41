"""Has this been checked before? In the browser (issue 13): the same claim in three imported articles
becomes one cluster from the claim panel, and an imported fact-check is suggested, then confirmed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from annotations import factchecks, services
from annotations.models import Claim, ClaimFactCheck
from tests.browser.conftest import PASSWORD, sign_in
from tests.factories import ArticleFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO = (
    Path(__file__).resolve().parents[2] / "annotations" / "fixtures" / "demo" / "ice-nyc-sanctuary-talks.txt"
)
FIGURE = "around 160,000 asylum seekers since April 2022"
REVIEW = {
    "@context": "https://schema.org",
    "@type": "ClaimReview",
    "url": "https://www.politifact.com/factchecks/2024/may/02/nyc-asylum-seekers/",
    "claimReviewed": "New York City has taken in around 160,000 asylum seekers since April 2022.",
    "headline": "Has New York taken in 160,000 asylum seekers?",
    "author": {"@type": "Organization", "name": "PolitiFact"},
    "reviewRating": {"@type": "Rating", "ratingValue": 1, "alternateName": "False"},
    "datePublished": "2024-05-02",
}


def test_an_editor_clusters_one_claim_across_three_articles(page, live_server, screenshot):
    editor = UserFactory.create(username="editor", role="editor", password=PASSWORD)
    text = DEMO.read_text()
    first, second, third = (
        ArticleFactory.create(title=title, text=text, url=f"https://n.example/{n}")
        for n, title in enumerate(["Morning edition", "Evening edition", "Weekend edition"])
    )
    claims = [services.create_claim(article=a, by=editor, exact=FIGURE) for a in (first, second)]
    assert factchecks.store(factchecks.read_text("review.json", json.dumps(REVIEW))).created == 1

    sign_in(page, live_server, "editor")
    page.goto(f"{live_server.url}/articles/{third.pk}/")
    page.locator(".suggestion-item.sg-figure").get_by_role("button", name="Claim it").click()
    panel = page.locator("#claim-detail")
    expect(panel.locator("blockquote.quote")).to_have_text(FIGURE)
    section = panel.locator("section.matches")
    expect(section.locator(".also-in")).to_have_text("Also in 2 articles")
    expect(section.locator(".same-claim.tier-suggested")).to_have_count(2)
    expect(section.locator(".fact-check.tier-suggested .checked-by")).to_contain_text(
        "Checked by PolitiFact: False, 2024"
    )
    screenshot(page, "13-matches-suggested")

    section.locator(f'.same-claim[data-match="{claims[0].pk}"]').get_by_role(
        "button", name="Same claim"
    ).click()
    expect(section.locator(".same-claim.tier-confirmed")).to_have_count(1)
    section.locator(f'.same-claim[data-match="{claims[1].pk}"]').get_by_role(
        "button", name="Same claim"
    ).click()
    expect(section.locator(".same-claim.tier-confirmed")).to_have_count(2)
    expect(section.locator(".same-claim.tier-suggested")).to_have_count(0)
    expect(section.locator(".also-in")).to_have_text("Also in 2 articles")
    section.get_by_role("button", name="Confirm fact-check").click()
    expect(section.locator(".fact-check.tier-confirmed")).to_have_count(1)
    screenshot(page, "14-matches-confirmed")

    mine = Claim.objects.get(article=third)
    assert {c.cluster_id for c in Claim.objects.all()} == {mine.cluster_id} != {None}
    assert ClaimFactCheck.objects.filter(claim=mine).count() == 1

    # From the first article the whole cluster is confirmed, and so is the fact-check (the same claim).
    page.goto(f"{live_server.url}/articles/{first.pk}/?claim={claims[0].pk}")
    section = page.locator("#claim-detail section.matches")
    expect(section.locator(".same-claim.tier-confirmed")).to_have_count(2)
    expect(section.locator(".fact-check.tier-confirmed .checked-by")).to_contain_text(
        "PolitiFact: False, 2024"
    )

    # Taking it out again: the panel says "not the same claim after all", and the cluster keeps the other two.
    section.get_by_role("button", name="Not the same claim after all").click()
    expect(section.locator(".same-claim.tier-confirmed")).to_have_count(0)
    expect(section.locator(".same-claim.tier-suggested")).to_have_count(2)
    claims[0].refresh_from_db()
    mine.refresh_from_db()
    assert claims[0].cluster_id is None and mine.cluster_id is not None
