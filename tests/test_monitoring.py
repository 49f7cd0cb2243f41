"""Monitoring (issue 11): an article imported from its URL is fetched again on a schedule; a changed page
becomes a new revision with its claims carried (those that moved need attention), an unchanged page
becomes nothing and is looked at less often, and a failing one says why on the article's page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from annotations import monitoring, services, tasks
from annotations.models import Article, Claim, PageWatch, Revision
from tests.local_pages import run_jobs
from tests.test_url_import import ARTICLE_PAGE, post_url

HOUR = timedelta(hours=1)
CHANGED_PAGE = ARTICLE_PAGE.replace(b"around 160,000 asylum seekers", b"around 180,000 asylum seekers")


@pytest.fixture(autouse=True)
def _schedule(settings) -> None:
    settings.MONITOR_INTERVAL_SECONDS = 3600
    settings.MONITOR_MAX_INTERVAL_SECONDS = 4 * 3600


@pytest.fixture
def watched(editor, pages, queue) -> Article:
    """An article imported from a local page, with a claim on the figure that will change."""
    pages.pages["/story"] = (200, ARTICLE_PAGE)
    post_url(editor, pages.url("/story"))
    run_jobs(queue)
    article = Article.objects.get()
    assert article.current_revision is not None
    text = article.current_revision.text
    start = text.index("160,000")
    services.create_claim(article=article, by=editor, start=start, end=start + len("160,000"))
    return article


def make_due(article: Article) -> PageWatch:
    PageWatch.objects.filter(article=article).update(next_check_at=timezone.now() - timedelta(seconds=1))
    return PageWatch.objects.get(article=article)


def test_an_imported_url_is_watched_from_then_on(watched, pages):
    page_watch = PageWatch.objects.get(article=watched)
    assert page_watch.url == pages.url("/story")
    assert page_watch.interval == HOUR
    assert timezone.now() + HOUR - timedelta(minutes=1) < page_watch.next_check_at <= timezone.now() + HOUR
    assert page_watch.last_checked_at is None


def test_a_pasted_article_is_not_watched(editor, article):
    assert not PageWatch.objects.exists()


def test_the_scheduler_queues_what_is_due_once(watched, queue):
    assert tasks.schedule_checks() == 0  # not due for an hour
    make_due(watched)
    assert tasks.schedule_checks() == 1
    assert [row["task_name"] for row in queue.jobs.values() if row["status"] == "todo"] == [
        "annotations.refetch_article"
    ]
    assert tasks.schedule_checks() == 0  # queued already: its next check was pushed out


def test_an_unchanged_page_makes_nothing_and_is_looked_at_less_often(watched, pages, queue):
    for expected in (2 * HOUR, 4 * HOUR, 4 * HOUR):  # doubled each time, up to the longest wait
        make_due(watched)
        tasks.schedule_checks()
        assert run_jobs(queue) == [("annotations.refetch_article", "unchanged")]
        page_watch = PageWatch.objects.get(article=watched)
        assert page_watch.interval == expected
        assert page_watch.last_checked_at is not None and page_watch.last_changed_at is None
    assert Revision.objects.filter(article=watched).count() == 1
    assert pages.hits["/story"] == 4


def test_a_changed_page_becomes_a_revision_its_claims_carried_and_flagged(watched, pages, queue):
    make_due(watched)
    tasks.schedule_checks()
    run_jobs(queue)  # unchanged: the wait doubles
    pages.pages["/story"] = (200, CHANGED_PAGE)
    make_due(watched)
    tasks.schedule_checks()
    assert run_jobs(queue) == [("annotations.refetch_article", "revised")]

    watched.refresh_from_db()
    assert watched.current_revision.number == 2 and "180,000" in watched.current_revision.text
    claim = Claim.objects.get()
    assert claim.revision == watched.current_revision and claim.exact == "180,000"
    assert claim.needs_attention  # the figure changed: the editors see it under "Needs attention"
    page_watch = PageWatch.objects.get(article=watched)
    assert page_watch.interval == HOUR  # a change starts the wait over
    assert page_watch.last_revision == watched.current_revision
    assert page_watch.last_changed_at is not None


def test_the_article_page_says_what_the_watch_found(client, editor, watched, pages, queue):
    pages.pages["/story"] = (200, CHANGED_PAGE)
    make_due(watched)
    tasks.schedule_checks()
    run_jobs(queue)
    client.force_login(editor)
    page = client.get(reverse("article_detail", args=[watched.pk])).content.decode()
    assert "Watching the original: checked" in page
    assert f"{reverse('revision_compare', args=[watched.pk])}?from=1&amp;to=2" in page
    assert "Needs attention" in page


def test_a_failing_page_is_retried_and_its_error_shown_until_it_works(client, editor, watched, pages, queue):
    pages.pages["/story"] = (503, b"down for maintenance")
    make_due(watched)
    tasks.schedule_checks()
    tries = run_jobs(queue)
    # A 503 is a FetchFailed: the queue's retry strategy tries again (with back-off; here at once), then
    # gives up until the next scheduled check.
    assert tasks.RETRY.max_attempts is not None
    assert len(tries) == tasks.RETRY.max_attempts + 1
    assert all(isinstance(error, tasks.PageFailed) for _, error in tries)
    page_watch = PageWatch.objects.get(article=watched)
    assert page_watch.failures == len(tries) and "answered 503" in page_watch.last_error
    assert page_watch.interval == HOUR  # a page that is down is not given up on
    client.force_login(editor)
    page = client.get(reverse("article_detail", args=[watched.pk])).content.decode()
    assert "The last check of the original failed (6 times in a row)" in page and "answered 503" in page

    pages.pages["/story"] = (200, ARTICLE_PAGE)
    make_due(watched)
    tasks.schedule_checks()
    assert run_jobs(queue) == [("annotations.refetch_article", "unchanged")]
    page_watch.refresh_from_db()
    assert page_watch.failures == 0 and page_watch.last_error == ""
    assert (
        "The last check of the original failed"
        not in client.get(reverse("article_detail", args=[watched.pk])).content.decode()
    )


def test_check_now_queues_a_fetch_for_editors_only(client, editor, researcher, watched, pages, queue):
    url = reverse("revision_fetch", args=[watched.pk])
    client.force_login(researcher)
    assert client.post(url).status_code == 403
    assert not [row for row in queue.jobs.values() if row["status"] == "todo"]
    client.force_login(editor)
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse(
        "article_detail", args=[watched.pk]
    )
    pages.pages["/story"] = (200, CHANGED_PAGE)
    assert run_jobs(queue) == [("annotations.refetch_article", "revised")]
    assert tasks.schedule_checks() == 0  # the schedule was pushed out: no second fetch queued


def test_check_now_is_404_for_an_article_that_is_not_watched(client, editor, article):
    client.force_login(editor)
    assert client.post(reverse("revision_fetch", args=[article.pk])).status_code == 404


def test_a_page_that_now_names_another_canonical_url_stays_the_same_article(watched, pages, queue):
    moved = CHANGED_PAGE.replace(
        b"</head>", b'<link rel="canonical" href="https://example.org/moved"></head>'
    )
    pages.pages["/story"] = (200, moved)
    make_due(watched)
    tasks.schedule_checks()
    assert run_jobs(queue) == [("annotations.refetch_article", "revised")]
    assert Article.objects.count() == 1 and Article.objects.get().revisions.count() == 2


def test_monitoring_off_watches_nothing(settings, editor, pages, queue):
    settings.MONITOR_INTERVAL_SECONDS = 0
    pages.pages["/story"] = (200, ARTICLE_PAGE)
    post_url(editor, pages.url("/story"))
    run_jobs(queue)
    assert Article.objects.count() == 1 and not PageWatch.objects.exists()


def test_the_rules_cap_the_wait_and_keep_it_on_failure(watched):
    page_watch = PageWatch.objects.get(article=watched)
    now = timezone.now()
    for _ in range(5):
        monitoring.record_check(page_watch, revision=None, at=now)
    assert page_watch.interval == 4 * HOUR and page_watch.next_check_at == now + 4 * HOUR
    monitoring.record_failure(page_watch, "boom", at=now)
    assert page_watch.interval == 4 * HOUR and page_watch.failures == 1
    monitoring.record_check(page_watch, revision=watched.current_revision, at=now)
    assert page_watch.interval == HOUR and page_watch.failures == 0
