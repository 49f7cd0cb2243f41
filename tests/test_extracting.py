"""`extract_article`: news pages saved as fixtures, pages without an article, hostile markup, imports."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from annotations.extracting import decode_page, extract_article
from annotations.importing import BadArticle
from annotations.models import Article
from annotations.services import import_article

PAGES = Path(__file__).parent / "fixtures" / "pages"

METRO = "https://www.metroledger.example/news/2024/01/17/shelter-costs-budget-cuts"
HARBOR = "https://harbordaily.example/transport/ferry-ridership-record-2024"
COURIER = "https://www.northerncourier.example/environment/reservoir-levels-fact-check"
RUNDSCHAU = "https://www.rheinische-rundschau.example/lokales/stadtrat-strassenbahn-ausbau"
VALLEY = "https://valleypost.example/2023/06/07/wildfire-smoke-air-quality/"
VALLEY_AMP = VALLEY + "amp/?utm_source=twitter&utm_medium=social"


def _page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def _paragraphs(text: str) -> list[str]:
    return text.split("\n\n")


def test_it_keeps_the_article_and_drops_the_cookie_banner_and_navigation():
    article = extract_article(_page("cookie-banner-and-nav.html"), url=METRO)

    paragraphs = _paragraphs(article.text)
    assert paragraphs[0] == "New York's shelter costs force budget cuts, mayor says"
    assert paragraphs[1].startswith(
        "New York City has accepted around 160,000 asylum seekers since April 2022, "
    )
    assert "he enacted legislation in 2018 that doubled down on this policy." in paragraphs[3]
    assert paragraphs[-1].startswith("The council must approve a final budget by the end of June.")
    for boilerplate in (
        "cookies",
        "Accept all",
        "Manage preferences",
        "Politics",
        "Subscribe for $1",
        "City Hall in Lower Manhattan. Photo",
        "Advertisement",
        "googletag",
        "Share on",
        "All rights reserved",
        "Terms of Service",
    ):
        assert boilerplate not in article.text
    assert article.title == "New York's shelter costs force budget cuts, mayor says"
    assert article.byline == "Dana Whitfield"
    assert article.outlet == "The Metro Ledger"
    assert article.published_at == datetime(2024, 1, 17, 14, 15, tzinfo=UTC)
    assert article.url == METRO
    assert article.language == "en"


def test_it_leaves_out_related_articles_and_comments():
    article = extract_article(_page("related-and-comments.html"), url=HARBOR)

    assert (
        "The city's ferry system carried 7.2 million passengers in the twelve months to May" in article.text
    )
    assert (
        '"People have discovered that the water is the fastest way across the harbor," '
        "the corporation's president said."
    ) in _paragraphs(article.text)
    assert "spends more than $9 on each trip" in article.text
    for boilerplate in (
        "Related articles",
        "Subway fare increase approved",
        "More from Harbor Daily News",
        "Pier 11 reopens",
        "34 Comments",
        "harborwatcher",
        "Nine dollars a ride in subsidy is outrageous",
        "Join the discussion",
        "Sign in",
        "Obituaries",
    ):
        assert boilerplate not in article.text
    assert (article.title, article.byline, article.outlet) == (
        "Ferry ridership hits a record as fares stay frozen",
        "Marcus Oyelaran",
        "Harbor Daily News",
    )
    assert article.published_at == datetime(2024, 6, 2, 14, 0, tzinfo=UTC)


def test_it_reads_the_publishers_json_ld_when_the_byline_is_out_of_the_way():
    article = extract_article(_page("jsonld-odd-byline.html"), url=COURIER)

    # The headline comes from the NewsArticle, not og:title with the outlet's name after it.
    assert article.title == "Reservoir levels: what the figures really show"
    assert article.byline == "Priya Raman, Tom Edwards"
    assert article.outlet == "Northern Courier"
    assert article.published_at == datetime(2024, 3, 5, 7, 30, tzinfo=UTC)  # the time too, not just the day
    assert article.url == COURIER
    assert article.language == "en"
    assert _paragraphs(article.text)[0].startswith("Claims that the region's reservoirs are")
    assert "when storage fell to 49 percent." in article.text
    for boilerplate in ("Written by", "Most read", "Council tax rises", "morning briefing", "IPSO"):
        assert boilerplate not in article.text


def test_it_decodes_a_german_page_by_its_meta_charset_and_reads_its_language():
    raw = _page("german-windows-1252.html")
    assert b"\xdf" in raw  # the fixture really is windows-1252 ("ß"), labelled iso-8859-1 as many sites do

    article = extract_article(raw, url=RUNDSCHAU)

    assert article.language == "de"
    assert article.title == "Stadtrat beschließt Ausbau der Straßenbahn"
    assert article.byline == "Jürgen Müller"
    assert article.outlet == "Rheinische Rundschau"
    assert article.published_at == datetime(2024, 9, 12, 16, 45, tzinfo=UTC)
    assert "Die Verwaltung rechnet mit täglich 14.000 Fahrgästen auf dem neuen Abschnitt." in article.text
    assert "\ufffd" not in article.text
    for boilerplate in (
        "Cookies",
        "Alle akzeptieren",
        "Startseite",
        "Das könnte Sie auch interessieren",
        "Impressum",
    ):
        assert boilerplate not in article.text


def test_the_content_type_charset_wins_over_the_meta_tag():
    raw = '<html><head><meta charset="iso-8859-1"></head><body>Straße</body></html>'.encode()

    assert "Straße" in decode_page(raw, "utf-8")
    assert "StraÃŸe" in decode_page(raw)  # what the page's own (wrong) label gives, read as windows-1252


def test_undecodable_bytes_are_replaced_not_raised():
    assert decode_page(b"<p>caf\xc3 \xff\xfe</p>", "utf-8") == "<p>caf\ufffd \ufffd\ufffd</p>"
    assert decode_page(b"<p>caf\xc3\xa9</p>", "no-such-charset") == "<p>café</p>"
    assert decode_page(b"\xef\xbb\xbf<p>caf\xc3\xa9</p>", "iso-8859-1") == "<p>café</p>"  # the BOM says UTF-8


def test_the_canonical_url_is_the_articles_url():
    article = extract_article(_page("amp-with-canonical.html"), url=VALLEY_AMP)

    assert article.url == VALLEY  # relative, resolved against the fetched page, fragment dropped
    assert article.title == "Wildfire smoke pushes air quality to worst level in a decade"
    assert article.byline == "Elena Park"
    assert article.published_at == datetime(2023, 6, 7, 20, 20, tzinfo=UTC)
    assert "amp-analytics" not in article.text and "gtag" not in article.text
    assert "View non-AMP version" not in article.text


def test_a_canonical_url_on_a_sister_host_is_believed():
    article = extract_article(_page("cookie-banner-and-nav.html"), url="https://m.metroledger.example/s/8841")

    assert article.url == METRO


def test_a_canonical_url_on_another_site_is_not_believed():
    # A copy of the article claiming the original's URL must not add a revision to the original.
    article = extract_article(
        _page("cookie-banner-and-nav.html"), url="https://copycat.example/story?fbclid=1"
    )

    assert article.url == "https://copycat.example/story"


def test_without_a_usable_canonical_url_the_fetched_one_is_kept_without_tracking_tags():
    article = extract_article(_page("hostile.html"), url="https://harbordaily.example/t/42?utm_source=x#top")

    assert article.url == "https://harbordaily.example/t/42"  # the page's canonical is a javascript: URL


def test_hostile_markup_reaches_neither_the_text_nor_the_stored_html():
    article = extract_article(_page("hostile.html"), url="https://harbordaily.example/t/42")

    assert "engineers found corrosion in the steel lining of both tubes." in article.text
    assert "Drivers should expect long delays during the morning peak" in article.text
    assert article.title == "Harbor tunnel repairs will take until 2026"
    assert article.byline == "Rita Gomez"
    assert article.published_at is None  # "not a date" in the JSON-LD is ignored, not an error
    for field in (article.text, article.html, article.title, article.byline):
        assert not re.search(
            r"alert|script|javascript|onerror|onclick|onload|svg text|tracker|<iframe", field
        )
    assert not re.search(r"\son\w+=|style=|<(object|form|input|img|meta|head)", article.html)
    assert article.html.startswith("<h1>Harbor tunnel repairs will take until 2026</h1>")


def _nested(depth: int) -> str:
    paragraph = (
        "<p>" + "The tunnel will stay partly closed until 2026, the transit authority said. " * 4 + "</p>"
    )
    body = f"<h1>Deep</h1>{paragraph * 3}<script>alert(1)</script><p onclick='steal()'>Evil</p>"
    return f"<html><body>{'<div>' * depth}<article>{body}</article>{'</div>' * depth}</body></html>"


def test_nesting_within_the_parsers_limit_is_extracted_cleanly():
    article = extract_article(_nested(200), url="https://deep.example/a")

    assert "The tunnel will stay partly closed until 2026" in article.text
    assert "alert" not in article.text + article.html and "onclick" not in article.html


def test_huge_nesting_is_refused_not_crashed_on():
    with pytest.raises(BadArticle):
        extract_article(_nested(50_000), url="https://deep.example/a")


@pytest.mark.parametrize(
    ("page", "reason"),
    [
        (_page("index-page.html"), "no article text"),
        (_page("login-wall.html"), "no article text"),
        (b"<!doctype html><html><head><title>Empty</title></head><body></body></html>", "no article text"),
        (_page("report.pdf"), "is a PDF"),
        (b'{"headline": "<p>around 160,000 asylum seekers</p>"}', "not HTML"),
        (b"New York City has accepted around 160,000 asylum seekers since April 2022.\n" * 10, "not HTML"),
        (b"", "not HTML"),
    ],
    ids=["index page", "login wall", "empty body", "PDF", "JSON", "plain text", "nothing"],
)
def test_a_page_without_an_article_is_refused(page, reason):
    with pytest.raises(BadArticle, match=reason):
        extract_article(page, url="https://www.metroledger.example/politics/")


def test_a_fetched_url_that_is_not_http_is_refused():
    with pytest.raises(BadArticle, match="not an http"):
        extract_article(_page("cookie-banner-and-nav.html"), url="file:///etc/passwd")


def test_a_page_given_as_text_is_extracted_like_its_bytes():
    raw = _page("related-and-comments.html")

    assert extract_article(raw.decode(), url=HARBOR) == extract_article(raw, url=HARBOR)


def test_extraction_is_deterministic():
    raw = _page("jsonld-odd-byline.html")

    assert len({extract_article(raw, url=COURIER) for _ in range(3)}) == 1


@pytest.mark.django_db
def test_an_extracted_page_imports_once_and_again_unchanged(editor):
    first = import_article(
        article_input=extract_article(_page("amp-with-canonical.html"), url=VALLEY_AMP), by=editor
    )
    # The same article fetched by its canonical URL, as monitoring will.
    again = import_article(
        article_input=extract_article(_page("amp-with-canonical.html"), url=VALLEY), by=editor
    )

    assert (first.outcome, again.outcome) == ("created", "unchanged")
    article = Article.objects.get()
    assert (article.url, article.outlet, article.byline, article.language) == (
        VALLEY,
        "The Valley Post",
        "Elena Park",
        "en",
    )
    assert article.current_revision is not None
    assert "the air quality index in the valley above 300" in article.current_revision.text
