"""Turning a fetched web page into an `ArticleInput` for `services.import_article` (no database access).

trafilatura finds the article body and the page's metadata; the publisher's JSON-LD `NewsArticle`, when
present, is read too because it names the headline, authors, outlet and date more exactly than the
page's visible markup. The body is then reduced to text and sanitised by the same functions as every
other import (`annotations.text`), so a fetched article and an uploaded one are anchored alike.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import trafilatura
from selectolax.lexbor import LexborHTMLParser

from annotations.importing import ArticleInput, BadArticle, parse_published
from annotations.text import check_depth, html_metadata, html_to_text, normalise_url, sanitise_html

# Shorter than this, what trafilatura found is a teaser, a paywall notice or a heading, not an article.
MIN_ARTICLE_CHARS = 250

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
# Browsers read the charset from the first 1024 bytes (HTML's "prescan"), in either spelling of the tag.
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_:.+-]+)", re.IGNORECASE)
# Pages labelled Latin-1 or ASCII are in practice windows-1252, and browsers decode them so (WHATWG).
_WINDOWS_1252_ALIASES = frozenset({"latin-1", "iso8859-1", "ascii"})
_HTML_START = re.compile(r"<(?:!doctype\s+html|html|head|body)[\s>]", re.IGNORECASE)
_LANGUAGE = re.compile(r"[a-z]{2,3}")
_TITLE_SEPARATORS = (" | ", " - ", " – ", " — ")


def extract_article(page: bytes | str, *, url: str, charset: str | None = None) -> ArticleInput:
    """The article on a fetched page, ready for `services.import_article`.

    `url` is where the page was fetched from; `charset` the one named by the response's Content-Type,
    if any. The article's url is the page's canonical URL when it names one on the same site, so that
    fetching the article again, by whatever link, finds the same article. Raises BadArticle when the
    page holds no article (not HTML, an index page, a login wall, an empty body).
    """
    try:
        fetched_url = normalise_url(url)
    except ValueError:
        raise BadArticle(f"{url!r} is not an http(s) URL") from None
    if isinstance(page, bytes):
        if page.lstrip().startswith(b"%PDF-"):
            raise BadArticle("the page is a PDF, not an HTML article")
        page = decode_page(page, charset)
    if not _HTML_START.search(page[:65536]) or not page.lstrip("\ufeff \t\r\n").startswith("<"):
        raise BadArticle("the page is not HTML")
    check_depth(page)  # before trafilatura and lexbor parse it, each in time that grows with the depth

    document = trafilatura.extract_with_metadata(
        page,
        url=fetched_url,
        output_format="html",
        favor_precision=True,
        include_comments=False,
        include_links=False,
        include_images=False,
        include_formatting=False,
        include_tables=True,
        # The date the article was first published, from the page's own metadata, not one found in its text.
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    body = (document.text or "") if document is not None else ""
    text = html_to_text(body)
    if document is None or len(text) < MIN_ARTICLE_CHARS:
        raise BadArticle("no article text found on the page (is it an index page, a login wall or empty?)")

    tree = LexborHTMLParser(page)
    declared = html_metadata(page)
    news = _news_article(tree)
    outlet = _plain(_name(news.get("publisher"))) or _plain(document.sitename)
    title = _plain(_name(news.get("headline"))) or _plain(document.title)
    return ArticleInput.build(
        title=_without_outlet(title, outlet),
        text=text,
        html=sanitise_html(body).strip(),
        url=_canonical_url(declared["url"], fetched_url),
        outlet=outlet,
        byline=", ".join(dict.fromkeys(_authors(news.get("author")))) or _plain(document.author),
        published_at=_first_date(news.get("datePublished"), declared["published_at"], document.date),
        language=_language(tree, news) or "en",
    )


def decode_page(raw: bytes, charset: str | None = None) -> str:
    """A page's text, decoded as a browser would: byte-order mark, then Content-Type, then <meta charset>.

    Undecodable bytes become U+FFFD; an unknown or missing charset falls back to UTF-8.
    """
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return raw[len(bom) :].decode(encoding, "replace")
    match = _META_CHARSET.search(raw[:1024])
    for label, from_meta in ((charset, False), (match[1].decode("ascii") if match else None, True)):
        if codec := _codec(label, from_meta=from_meta):
            return raw.decode(codec, "replace")
    return raw.decode("utf-8", "replace")


def _codec(label: str | None, *, from_meta: bool) -> str | None:
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None
    if name in _WINDOWS_1252_ALIASES:
        return "cp1252"
    # A <meta> that could be read as ASCII is not UTF-16, whatever it says (WHATWG treats it as UTF-8).
    if from_meta and name.startswith("utf-16"):
        return "utf-8"
    return name


def _canonical_url(declared: str, fetched_url: str) -> str:
    # Only a canonical URL on the fetched site is believed: otherwise any page could name another
    # outlet's article as its own and have its text imported as a revision of that article.
    if not declared:
        return fetched_url
    try:
        canonical = normalise_url(urljoin(fetched_url, declared))
    except ValueError:
        return fetched_url
    return (
        canonical if _same_site(urlsplit(canonical).hostname, urlsplit(fetched_url).hostname) else fetched_url
    )


def _same_site(host: str | None, other: str | None) -> bool:
    if not host or not other:
        return False
    host, other = host.removeprefix("www."), other.removeprefix("www.")
    return host == other or host.endswith(f".{other}") or other.endswith(f".{host}")


def _news_article(tree: LexborHTMLParser) -> dict[str, Any]:
    """The first article object in the page's JSON-LD (read as data, never run), or an empty dict."""
    for script in tree.css("script"):
        if (script.attributes.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            data = json.loads(script.text(deep=True) or "null")
        except (ValueError, RecursionError):
            continue
        for candidate in _json_ld_objects(data):
            kinds = candidate.get("@type")
            kinds = kinds if isinstance(kinds, list) else [kinds]
            if any(isinstance(kind, str) and kind.endswith(("Article", "BlogPosting")) for kind in kinds):
                return candidate
    return {}


def _json_ld_objects(data: Any) -> Iterator[dict[str, Any]]:
    # The places publishers put their article: the top level, a list, an @graph, a page's mainEntity.
    for item in data if isinstance(data, list) else [data]:
        if not isinstance(item, dict):
            continue
        yield item
        graph = item.get("@graph")
        for node in graph if isinstance(graph, list) else []:
            if isinstance(node, dict):
                yield node
                if isinstance(node.get("mainEntity"), dict):
                    yield node["mainEntity"]
        if isinstance(item.get("mainEntity"), dict):
            yield item["mainEntity"]


def _name(value: Any) -> str:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name")
    return value if isinstance(value, str) else ""


def _authors(value: Any) -> Iterator[str]:
    for author in value if isinstance(value, list) else [value]:
        if name := _plain(_name(author)):
            yield name


def _plain(value: str | None) -> str:
    """Metadata as one line of plain text: markup and entities in it are read, never kept."""
    if not value:
        return ""
    if "<" in value or "&" in value:
        value = html_to_text(value)
    return " ".join(value.split())


def _without_outlet(title: str, outlet: str) -> str:
    # og:title and <title> often end with the outlet's name, which is not part of the headline.
    for separator in _TITLE_SEPARATORS:
        if outlet and title.endswith(f"{separator}{outlet}"):
            return title.removesuffix(f"{separator}{outlet}")
    return title


def _first_date(*candidates: Any) -> datetime | None:
    # A page's date metadata comes in many dialects; an odd one must not block the article.
    for candidate in candidates:
        try:
            if moment := parse_published(candidate):
                return moment
        except BadArticle:
            continue
    return None


def _language(tree: LexborHTMLParser, news: dict[str, Any]) -> str:
    """The primary language subtag ("de" for "de-DE" or "de_DE") the page declares, or ""."""
    root = tree.css_first("html")
    locale = tree.css_first('meta[property="og:locale"]')
    for tag in (
        root.attributes.get("lang") if root else None,
        _name(news.get("inLanguage")),
        locale.attributes.get("content") if locale else None,
    ):
        primary = (tag or "").strip().replace("_", "-").split("-")[0].lower()
        if _LANGUAGE.fullmatch(primary):
            return primary
    return ""
