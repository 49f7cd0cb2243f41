"""Background work on procrastinate, the PostgreSQL-backed task queue (issue 11): importing articles from
their URLs. The worker is `manage.py procrastinate worker` (`make run` starts one).

One code path: `queue_url_import` checks a URL and queues it (the API and `import_articles URL`), the
`import_url` task runs `run_url_import`, and `import_articles --now` calls `run_url_import` itself. A
`UrlImport` row says how far each import got and its last error, for the editor, the API and the admin.

A network failure (`FetchFailed`: no answer, a timeout, a 5xx page) is tried again with back-off; a
refusal by the guard (`FetchRefused`) or a page that holds no article (`BadArticle`) fails at once.
"""

from __future__ import annotations

from collections.abc import Callable
from email.message import Message

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from procrastinate import JobContext, RetryStrategy
from procrastinate.contrib.django import app

from annotations import services
from annotations.extracting import extract_article
from annotations.importing import BadArticle
from annotations.models import UrlImport, User
from annotations.outbound import FetchFailed, FetchRefused, FetchResult, check_url, fetch
from annotations.roles import Action

QUEUE = "url_imports"
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
        article_input = extract_article(page.body, url=page.final_url, charset=_charset(page))
        result = services.import_article(article_input=article_input, by=by)
    except Exception as error:
        # Whatever went wrong is shown to the editor; only what `will_retry` says may pass is tried again.
        url_import.record_failure(_reason(error), will_retry=will_retry(error))
        raise
    url_import.succeed(article=result.article, outcome=result.outcome)
    return url_import


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
