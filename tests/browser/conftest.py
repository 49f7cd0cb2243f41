"""Browser tests: pytest-playwright driving Debian's Chromium against Django's live server on PostgreSQL."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# The live server runs in a thread beside Playwright's sync API, which Django would otherwise refuse.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "secret-password"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def page(page, request):
    """Every browser test's page, failing the test if the Content-Security-Policy refused anything: a
    script, a style or a connection the app's own pages need would break them for real users.
    (`@pytest.mark.csp_refusals_expected` for a test that injects refused content on purpose.)"""
    refused: list[str] = []
    page.on(
        "console",
        lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None,
    )
    yield page
    if not request.node.get_closest_marker("csp_refusals_expected"):
        assert refused == [], refused


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> None:
        page.evaluate("window.scrollTo(0, 0)")  # sticky bars would otherwise float mid-page
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return take


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")


SELECT_JS = """([quote]) => {
  const container = document.getElementById('article-text');
  const walker = document.createTreeWalker(container, NodeFilter.SHOW_TEXT);
  let node, offset = 0, startNode, startOffset, endNode, endOffset;
  const full = container.textContent;
  const start = full.indexOf(quote), end = start + quote.length;
  if (start < 0) throw new Error('quote not on the page: ' + quote);
  while ((node = walker.nextNode())) {
    const length = node.textContent.length;
    if (!startNode && start < offset + length) { startNode = node; startOffset = start - offset; }
    if (!endNode && end <= offset + length) { endNode = node; endOffset = end - offset; }
    offset += length;
  }
  const first = document.createRange();
  first.setStart(startNode, startOffset);
  first.setEnd(startNode, startOffset + 1);
  const last = document.createRange();
  last.setStart(endNode, endOffset - 1);
  last.setEnd(endNode, endOffset);
  // Bring the words into the viewport: the mouse can only drag across what is on screen.
  window.scrollBy(0, first.getClientRects()[0].top - window.innerHeight / 2);
  const a = first.getClientRects()[0], b = last.getClientRects()[0];
  return {x1: a.left + 1, y1: a.top + a.height / 2, x2: b.right - 1, y2: b.top + b.height / 2};
}"""


def select_with_mouse(page, quote: str) -> None:
    """Drag across `quote` in the article text, as an editor would."""
    box = page.evaluate(SELECT_JS, [quote])
    page.mouse.move(box["x1"], box["y1"])
    page.mouse.down()
    page.mouse.move((box["x1"] + box["x2"]) / 2, (box["y1"] + box["y2"]) / 2, steps=5)
    page.mouse.move(box["x2"], box["y2"], steps=5)
    page.mouse.up()
