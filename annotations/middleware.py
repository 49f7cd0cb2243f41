"""pghistory's middleware, for the requests that can change something; the request body's size limit.

The stock middleware opens a history context on GETs too, and while one is open pghistory prepends a
`set_config(...)` pair to every statement the request runs. Reads write no history, so for safe methods
that is pure cost on the hottest API paths. Writes (including a browser's session-authenticated POST)
still get the user and URL attached to the events they record.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from pghistory.middleware import HistoryMiddleware

from annotations import failures

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class WriteHistoryMiddleware(HistoryMiddleware):
    def __call__(self, request: HttpRequest) -> Any:
        if request.method in SAFE_METHODS:
            return self.get_response(request)
        return super().__call__(request)  # type: ignore[no-untyped-call]


class BodyTooLargeMiddleware:
    """413 for a request body over DATA_UPLOAD_MAX_MEMORY_SIZE, in the API's error shape under /api/.

    Judged by Content-Length before anything reads the body: Django itself checks only when a form or
    `request.body` is read, and raises RequestDataTooBig, which the API answered as a 500 and the pages
    as a 400. A body without a length still ends in that exception: it is answered here too.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit:
            return too_large(request)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return too_large(request) if isinstance(exception, RequestDataTooBig) else None


class ApiCacheControlMiddleware:
    """Every API answer is `Cache-Control: private, no-cache` and varies by who asks.

    The answers depend on the caller (their role decides what they see) and change with every edit, so
    no shared cache may keep one, and a client's own cache must ask again each time: with the ETag it
    has, a claim that did not change costs it nothing to confirm. An answer that sets its own
    Cache-Control keeps it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith("/api/") and not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_cache=True)
            patch_vary_headers(response, ("Authorization", "Cookie"))
        return response


def too_large(request: HttpRequest) -> HttpResponse:
    return failures.too_large(request, settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0)
