"""What a request hears when it cannot be served: one error shape for the API, a plain page elsewhere.

    {"error": {"status": 503, "code": "unavailable", "message": "..."}}

The API's own errors are shaped by annotations/api/errors.py with `error_body`; this module answers the
ones that happen outside any view's reach (a body too large, the database gone, anything unexpected),
which is why it imports neither the API nor the pages.

A database that does not answer (stopped, restarting, unreachable, a statement cancelled) is not a
bug in the request: it answers 503 with Retry-After, so that clients and load balancers wait and try
again, instead of a 500. Django replaces the failed connection before the next request, so service
resumes by itself when the database is back.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
UNAVAILABLE = "the database is not answering; try again in a few seconds"


def error_body(
    status_code: int, code: str, message: str, fields: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    error: dict[str, Any] = {"status": status_code, "code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


def database_down(exc: BaseException | None) -> bool:
    """Whether `exc` (or what it was raised from) says the database could not serve the request, as opposed
    to refusing it (an IntegrityError, a DataError: those are the request's or the code's fault)."""
    while exc is not None:
        if isinstance(exc, OperationalError | InterfaceError):
            return True
        if isinstance(exc, DatabaseError):
            return False
        exc = exc.__cause__ or exc.__context__
    return False


def _answer(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse(error_body(status, code, message), status=status)
    else:
        # A template of its own, not base.html: that one asks for the signed-in user, i.e. the database.
        page = loader.render_to_string(
            "error.html", {"status": status, "message": message[0].upper() + message[1:]}
        )
        response = HttpResponse(page, status=status)
    return response


def unavailable(request: HttpRequest) -> HttpResponse:
    response = _answer(request, 503, "unavailable", UNAVAILABLE)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def too_large(request: HttpRequest, limit: int) -> HttpResponse:
    return _answer(request, 413, "too_large", f"the request body is larger than the limit of {limit:,} bytes")


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: Django calls it while handling the exception, so `sys.exc_info()` still holds it."""
    if database_down(sys.exc_info()[1]):
        return unavailable(request)
    return _answer(request, 500, "server_error", "the server failed; the error has been logged")
