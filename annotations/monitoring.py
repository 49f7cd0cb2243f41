"""Keeping articles imported from the web current (issue 11): the rules of the schedule.

An article imported from its URL is watched (`PageWatch`): after MONITOR_INTERVAL_SECONDS it is fetched
again. A check that finds the text unchanged doubles the wait, up to MONITOR_MAX_INTERVAL_SECONDS, so a
page that settled costs a fetch a week; a check that finds new text makes a revision (claims carried,
those that moved flagged "Needs attention") and starts the wait over. A failed check keeps the wait and
records the error for the article's page.

The task queue runs the checks (`tasks.refetch_article`) and a pass each minute queues the due ones
(`tasks.schedule_checks`); this module only says what a check's outcome does to the schedule.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from annotations.models import Article, PageWatch, Revision


def first_interval() -> timedelta:
    return timedelta(seconds=settings.MONITOR_INTERVAL_SECONDS)


def longest_interval() -> timedelta:
    return max(first_interval(), timedelta(seconds=settings.MONITOR_MAX_INTERVAL_SECONDS))


def watch(article: Article, url: str, *, at: datetime | None = None) -> PageWatch | None:
    """Watch `article` at `url` from now on (after a URL import): a first check after the first interval.
    Importing the same URL again starts the wait over. None when monitoring is off (interval 0)."""
    if settings.MONITOR_INTERVAL_SECONDS <= 0:
        return None
    now = at or timezone.now()
    interval = first_interval()
    page_watch, _ = PageWatch.objects.update_or_create(
        article=article,
        defaults={"url": url, "interval": interval, "next_check_at": now + interval},
    )
    return page_watch


def record_check(
    page_watch: PageWatch, *, revision: Revision | None, at: datetime | None = None
) -> PageWatch:
    """A check succeeded: `revision` is the new revision it made, or None when the text was unchanged."""
    now = at or timezone.now()
    if revision is not None:
        page_watch.interval = first_interval()
        page_watch.last_changed_at = now
        page_watch.last_revision = revision
    else:
        page_watch.interval = min(page_watch.interval * 2, longest_interval())
    page_watch.last_checked_at = now
    page_watch.next_check_at = now + page_watch.interval
    page_watch.failures = 0
    page_watch.last_error = ""
    page_watch.save()
    return page_watch


def record_failure(page_watch: PageWatch, error: str, *, at: datetime | None = None) -> PageWatch:
    """A check failed (each try of it): the error is shown on the article's page until a check works;
    the wait stays as it was, so a page that is down for a day is not given up on."""
    now = at or timezone.now()
    page_watch.failures += 1
    page_watch.last_error = error
    page_watch.last_checked_at = now
    page_watch.next_check_at = now + page_watch.interval
    page_watch.save(update_fields=["failures", "last_error", "last_checked_at", "next_check_at"])
    return page_watch
