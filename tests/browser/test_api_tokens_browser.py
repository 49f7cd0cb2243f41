"""The API tokens page in the browser: create a named token, see it once, use it, revoke it."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, sign_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _status(url: str, token: str) -> int:
    # The live server's own http:// URL, never one from outside.
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_a_researcher_creates_uses_and_revokes_a_token(page, live_server, screenshot):
    UserFactory.create(username="researcher", role="researcher", password=PASSWORD)
    sign_in(page, live_server, "researcher")
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("sync script")
    page.get_by_label("Expires after (days)").fill("30")
    page.get_by_role("button", name="Create token").click()
    token = page.locator("[data-token]").inner_text().strip()
    assert token.startswith("nrc_")
    screenshot(page, "10-api-tokens")
    assert _status(f"{live_server.url}/api/v1/claims/", token) == 200

    page.goto(f"{live_server.url}/account/tokens/")
    expect(page.locator("[data-token]")).to_have_count(0)  # shown once only
    row = page.locator("table.tokens tr", has_text="sync script")
    expect(row).to_contain_text("active")
    row.get_by_role("button", name="Revoke").click()
    expect(page.locator("table.tokens tr", has_text="sync script")).to_contain_text("revoked")
    assert _status(f"{live_server.url}/api/v1/claims/", token) == 401


def test_the_api_docs_load_without_a_cdn(page, live_server):
    UserFactory.create(username="researcher", role="researcher", password=PASSWORD)
    sign_in(page, live_server, "researcher")
    outside = []
    page.on(
        "request",
        lambda request: outside.append(request.url) if not request.url.startswith(live_server.url) else None,
    )
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.get_by_text("Newsroom claims API").first).to_be_visible(timeout=15_000)
    assert outside == []
