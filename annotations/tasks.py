"""Background work on procrastinate, the PostgreSQL-backed task queue (issue 11): importing articles from
their URLs, fetching them again (monitoring), checking source links, and the periodic passes that queue
those checks and rescue the jobs of a worker that died. The worker is `manage.py procrastinate worker`
(`make run` starts one); several may run on several machines: each job is taken by one worker only
(procrastinate fetches with `FOR UPDATE SKIP LOCKED`).

One code path: `queue_url_import` checks a URL and queues it (the API and `import_articles URL`), the
`import_url` task runs `run_url_import`, and `import_articles --now` calls `run_url_import` itself. A
`UrlImport` row says how far each import got and its last error, for the editor, the API and the admin.

A network failure (`FetchFailed`: no answer, a timeout, a 5xx page) is tried again with back-off; a
refusal by the guard (`FetchRefused`) or a page that holds no article (`BadArticle`) fails at once.
"""

from __future__ import annotations

from collections.abc import Callable
from email.message import Message

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from procrastinate import JobContext, RetryStrategy
from procrastinate.contrib.django import app
from procrastinate.types import JSONDict

from annotations import linkchecks, monitoring, services
from annotations.extracting import extract_article
from annotations.importing import ArticleInput, BadArticle
from annotations.models import LinkCheck, PageWatch, UrlImport, User
from annotations.outbound import FetchFailed, FetchRefused, FetchResult, check_url, fetch
from annotations.roles import Action

# What an editor waits for (imports, a large revision), apart from the checks that run on their own.
QUEUE = services.PREPARE_REVISION_QUEUE
CHECKS_QUEUE = "checks"
# Tries 2 to 6 wait 10 s, 100 s, 1000 s... (procrastinate: exponential_wait ** try); then it fails.
RETRY = RetryStrategy(max_attempts=5, exponential_wait=10, retry_exceptions=[FetchFailed])


class PageFailed(FetchFailed):
    """The server answered, but with an error status: a 5xx may pass, so it is retried like a network
    failure; a 4xx will not (see `_page`)."""


def record_url_import(*, url: str, by: User | None) -> UrlImport:
    """Check the URL with the guard (FetchRefused at once for a URL it would refuse) and record the import
    to come; `queue_url_import` queues it, `import_articles --now` runs it at once."""
    if by is not None and not by.may(Action.IMPORT_ARTICLE):
        raise PermissionDenied("your role may not import articles")
    check_url(url)
    return UrlImport.objects.create(url=url, requested_by=by)


@transaction.atomic
def queue_url_import(*, url: str, by: User | None) -> UrlImport:
    """Record the import and queue it, in one transaction: the row and its job commit together or not
    at all. Raises FetchRefused, before recording anything, for a URL the guard refuses."""
    url_import = record_url_import(url=url, by=by)
    import_url.defer(url=url, user_id=by.pk if by else None, url_import_id=url_import.pk)
    return url_import


@app.task(name="annotations.import_url", queue=QUEUE, retry=RETRY, pass_context=True)
def import_url(context: JobContext, url: str, user_id: int | None, url_import_id: int | None = None) -> int:
    """Fetch, extract and import one URL; returns the UrlImport's id. (`url_import_id`: the row that
    `queue_url_import` made; without one, e.g. from a schedule, a new row is made.)"""
    job = context.job
    strategy = import_url.retry_strategy  # read here, so a test may swap in a strategy without waits

    def will_retry(error: Exception) -> bool:
        return strategy is not None and strategy.get_retry_exception(error, job) is not None

    if url_import_id is None:
        url_import = UrlImport.objects.create(url=url, requested_by_id=user_id)
    else:
        url_import = UrlImport.objects.get(pk=url_import_id)
    return run_url_import(url_import, will_retry=will_retry).pk


def run_url_import(
    url_import: UrlImport, *, will_retry: Callable[[Exception], bool] = lambda _: False
) -> UrlImport:
    """One try at the import: fetch, extract, import, with each step recorded on `url_import`.

    A failure is recorded (as queued again when `will_retry(error)`, otherwise as failed) and raised, so
    the queue retries the job or marks it failed too.
    """
    by = User.objects.get(pk=url_import.requested_by_id) if url_import.requested_by_id else None
    url_import.begin_attempt()
    try:
        page = _page(url_import.url)
        url_import.move_to(UrlImport.State.EXTRACTING)
        article_input = _article_in(page)
        with transaction.atomic():
            result = services.import_article(article_input=article_input, by=by, now=True)
            monitoring.watch(result.article, page.final_url)
    except Exception as error:
        # Whatever went wrong is shown to the editor; only what `will_retry` says may pass is tried again.
        url_import.record_failure(_reason(error), will_retry=will_retry(error))
        raise
    url_import.succeed(article=result.article, outcome=result.outcome)
    return url_import


@app.task(name=services.PREPARE_REVISION_TASK, queue=QUEUE)
def prepare_revision(revision_id: int, user_id: int | None) -> int | None:
    """A large article's new revision: its suggestions and its claims carried (`services.add_revision`).
    Returns how many claims were carried, or None when there was nothing to do."""
    by = User.objects.filter(pk=user_id).first() if user_id else None
    records = services.prepare_revision(revision_id=revision_id, by=by)
    return None if records is None else len(records)


# --- Monitoring and link checks -------------------------------------------------------------------------


@app.task(name="annotations.refetch_article", queue=CHECKS_QUEUE, retry=RETRY)
def refetch_article(watch_id: int) -> str | None:
    """Fetch a watched article again: a new revision if its text changed. Returns the outcome, or None
    when the article is gone."""
    page_watch = PageWatch.objects.select_related("article").filter(pk=watch_id).first()
    if page_watch is None:
        return None
    try:
        article_input = _article_in(_page(page_watch.url))
        with transaction.atomic():
            result = services.refresh_article(
                article=page_watch.article, article_input=article_input, now=True
            )
            revision = result.article.current_revision if result.outcome == "revised" else None
            monitoring.record_check(page_watch, revision=revision)
    except Exception as error:
        monitoring.record_failure(page_watch, _reason(error))
        raise
    return result.outcome


def queue_refetch(page_watch: PageWatch, *, by: User) -> None:
    """An editor's "Check now": the watched page is fetched again soon, whatever its schedule says."""
    if not by.may(Action.IMPORT_ARTICLE):
        raise PermissionDenied("your role may not import articles")
    with transaction.atomic():
        page_watch.next_check_at = timezone.now() + page_watch.interval  # the scheduler leaves it alone
        page_watch.save(update_fields=["next_check_at"])
        refetch_article.defer(watch_id=page_watch.pk)


@app.task(name="annotations.check_link", queue=CHECKS_QUEUE)
def check_link(link_check_id: int) -> str | None:
    """Check one source's link (`linkchecks.check`); its state, or None when the source is gone."""
    link_check = LinkCheck.objects.select_related("source").filter(pk=link_check_id).first()
    return None if link_check is None else linkchecks.check(link_check).state


@app.periodic(cron="* * * * *")
@app.task(name="annotations.schedule_checks", queue=CHECKS_QUEUE, queueing_lock="schedule_checks")
def schedule_checks(timestamp: int | None = None) -> int:
    """Queue the page and link checks that are due, at most CHECKS_PER_PASS, oldest first; returns how
    many. Each one's next check is pushed out by its interval as it is queued, so the next pass does not
    queue it again while it waits; the check itself then sets it from what it found."""
    limit = settings.CHECKS_PER_PASS
    queued = 0
    with transaction.atomic():  # the rows and their jobs commit together (procrastinate's Django connector)
        watches = list(PageWatch.objects.due().select_for_update(skip_locked=True)[:limit])
        if watches:
            now = timezone.now()
            for page_watch in watches:
                page_watch.next_check_at = now + page_watch.interval
            PageWatch.objects.bulk_update(watches, ["next_check_at"])
            refetches: list[JSONDict] = [{"watch_id": w.pk} for w in watches]
            refetch_article.batch_defer(*refetches)
            queued += len(watches)
        checks = list(
            LinkCheck.objects.due()
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[: limit - queued]
        )
        if checks:
            LinkCheck.objects.filter(pk__in=checks).update(next_check_at=linkchecks.next_check_at())
            link_checks: list[JSONDict] = [{"link_check_id": pk} for pk in checks]
            check_link.batch_defer(*link_checks)
            queued += len(checks)
    return queued


@app.periodic(cron="* * * * *")
@app.task(name="annotations.retry_stalled_jobs", queue=CHECKS_QUEUE, queueing_lock="retry_stalled_jobs")
async def retry_stalled_jobs(timestamp: int | None = None) -> int:
    """A worker killed mid-task (kill -9, a lost machine) leaves its job "doing" for ever: once the
    worker has sent no heartbeat for TASK_STALLED_AFTER_SECONDS, its jobs go back to the queue for
    another worker (the tasks are safe to run twice: an import is idempotent, a check is a look).
    Returns how many."""
    stalled = list(
        await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=settings.TASK_STALLED_AFTER_SECONDS)
    )
    for job in stalled:
        await app.job_manager.retry_job(job)
    return len(stalled)


def _article_in(page: FetchResult) -> ArticleInput:
    return extract_article(page.body, url=page.final_url, charset=_charset(page))


def _reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(error.messages)
    if isinstance(error, FetchRefused | FetchFailed | BadArticle):
        return str(error)
    return f"{type(error).__name__}: {error}"


def _page(url: str) -> FetchResult:
    page = fetch(url)
    if page.status >= 500 or page.status == 429:
        raise PageFailed(f"{page.final_url} answered {page.status}")
    if page.status >= 400:
        raise BadArticle(f"{page.final_url} answered {page.status}: no article there")
    return page


def _charset(page: FetchResult) -> str | None:
    """The charset the Content-Type names, if any (the page's own <meta> is read by `extract_article`)."""
    header = Message()
    header["Content-Type"] = page.headers.get("Content-Type", "")
    return header.get_content_charset()
