"""Checking the links of sources in the background (issue 11): does the page still answer, where does it
end up after redirects, what is its title, and has what it says changed since it was first checked?

"Changed" compares the page's text, not its bytes: the text that `extract_article` finds in an HTML page
(so a new advert, a rotated CSRF token or a cache-busting script does not count), the bytes themselves for
anything else (a PDF, a CSV). A page that cannot be read as an article falls back to its visible text.
A link that answers 4xx or 5xx, refuses, or cannot be reached is broken; it may work again at the next
check, and then it is not broken any more.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from annotations import text
from annotations.extracting import extract_article
from annotations.importing import BadArticle
from annotations.models import LinkCheck, Source
from annotations.outbound import FetchError, FetchResult, fetch


def next_check_at(at: datetime | None = None) -> datetime:
    return (at or timezone.now()) + timedelta(seconds=settings.LINK_CHECK_INTERVAL_SECONDS)


def ensure_link_check(source: Source) -> LinkCheck | None:
    """The source's link check, made (due at once) for a source with a URL; None without one."""
    if not source.url:
        return None
    link_check, _ = LinkCheck.objects.get_or_create(source=source, defaults={"next_check_at": timezone.now()})
    return link_check


def start_over(source: Source) -> LinkCheck | None:
    """The source's URL changed (in the admin): what was found at the old one says nothing of the new,
    so its check begins again from nothing, due at once."""
    LinkCheck.objects.filter(source=source).delete()
    return ensure_link_check(source)


def check(link_check: LinkCheck, *, at: datetime | None = None) -> LinkCheck:
    """Fetch the source's URL once, through the guard, and record what it found."""
    now = at or timezone.now()
    link_check.checked_at = now
    link_check.next_check_at = next_check_at(now)
    try:
        page = fetch(link_check.source.url)
    except FetchError as error:
        link_check.state, link_check.status, link_check.error = LinkCheck.State.BROKEN, None, str(error)
        link_check.save()
        return link_check
    link_check.status, link_check.final_url = page.status, page.final_url
    if page.status >= 400:
        link_check.state = LinkCheck.State.BROKEN
        link_check.error = f"{page.final_url} answered {page.status}"
        link_check.save()
        return link_check
    link_check.error = ""
    link_check.title = _title(page)[: Source.TITLE_MAX_LENGTH]
    link_check.content_hash = _content_hash(page)
    if not link_check.first_hash:
        link_check.first_hash = link_check.content_hash
    if link_check.content_hash != link_check.first_hash:
        link_check.changed_at = link_check.changed_at or now
        link_check.state = LinkCheck.State.CHANGED
    else:
        link_check.state = LinkCheck.State.OK
    link_check.save()
    return link_check


def _is_html(page: FetchResult) -> bool:
    content_type = page.headers.get("Content-Type", "").lower()
    return "html" in content_type or (not content_type and page.body.lstrip()[:1] == b"<")


def _content_hash(page: FetchResult) -> str:
    if not _is_html(page):
        return hashlib.sha256(page.body).hexdigest()
    try:
        page_text = extract_article(page.body, url=page.final_url).text
    except BadArticle:
        try:
            page_text = text.html_to_text(page.body.decode("utf-8", errors="replace"))
        except BadArticle:  # nested too deep to read: its bytes stand for it
            return hashlib.sha256(page.body).hexdigest()
    return text.content_hash(page_text)


def _title(page: FetchResult) -> str:
    if not _is_html(page):
        return ""
    try:
        return " ".join(text.html_metadata(page.body.decode("utf-8", errors="replace"))["title"].split())
    except BadArticle:  # nested too deep to read
        return ""
