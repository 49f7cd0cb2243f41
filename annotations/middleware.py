"""pghistory's middleware, for the requests that can change something.

The stock middleware opens a history context on GETs too, and while one is open pghistory prepends a
`set_config(...)` pair to every statement the request runs. Reads write no history, so for safe methods
that is pure cost on the hottest API paths. Writes (including a browser's session-authenticated POST)
still get the user and URL attached to the events they record.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from pghistory.middleware import HistoryMiddleware

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class WriteHistoryMiddleware(HistoryMiddleware):
    def __call__(self, request: HttpRequest) -> Any:
        if request.method in SAFE_METHODS:
            return self.get_response(request)
        return super().__call__(request)  # type: ignore[no-untyped-call]
