"""Rate limits per API token and per user, counted in PostgreSQL so that every app process shares them.

A fixed window per key (`token:<id>`, `user:<id>`): one upsert statement counts the request against
both keys at once and returns the counts, so a limit costs one round trip and no cache server. For a
bearer token that round trip is the token lookup's own (`authentication.py` counts while it finds the
token, and leaves the counts on it), so a token's request costs no statement here. Rates
come from `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]` (`token` and `user`, e.g. "3000/min"); a
request over either limit gets 429 with `Retry-After` (the seconds until its window ends).
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from annotations.models import ApiToken

TABLE = "annotations_api_rate_window"

# The tail of every counting statement (`INSERT INTO TABLE AS w (key, window_start, hits) SELECT ...`).
COUNT_HITS = """
ON CONFLICT (key) DO UPDATE SET
    hits = CASE WHEN w.window_start = EXCLUDED.window_start THEN w.hits + 1 ELSE 1 END,
    window_start = EXCLUDED.window_start
RETURNING key, hits
"""
_UPSERT = f"""
INSERT INTO {TABLE} AS w (key, window_start, hits)
SELECT key, window_start, 1 FROM unnest(%s::text[], %s::timestamptz[]) AS t(key, window_start)
{COUNT_HITS}"""

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "3000/min" -> (3000, 60): the number of requests and the window in seconds."""
    count, _, period = rate.partition("/")
    return int(count), _PERIODS[period.strip()[0]]


def rate(scope: str) -> tuple[int, int] | None:
    """The configured rate of `scope` ("token" or "user"), if any."""
    rates: dict[str, Any] = api_settings.DEFAULT_THROTTLE_RATES
    configured = rates.get(scope)
    return parse_rate(configured) if configured else None


def window_start(now: float, window: int) -> float:
    return math.floor(now / window) * window


class ApiRateThrottle(BaseThrottle):
    def __init__(self) -> None:
        self.retry_after: float | None = None

    def limits(self, request: Request) -> dict[str, tuple[int, int]]:
        limits: dict[str, tuple[int, int]] = {}
        if isinstance(request.auth, ApiToken) and (token_rate := rate("token")):
            limits[f"token:{request.auth.pk}"] = token_rate
        if request.user.is_authenticated and (user_rate := rate("user")):
            limits[f"user:{request.user.pk}"] = user_rate
        return limits

    def allow_request(self, request: Request, view: Any) -> bool:
        limits = self.limits(request)
        if not limits:
            return True
        counted = request.auth.rate_count if isinstance(request.auth, ApiToken) else None
        if counted is not None:
            now, hits = counted  # counted by the token lookup, at `now`
        else:
            now = time.time()
            with connection.cursor() as cursor:
                cursor.execute(
                    _UPSERT,
                    [
                        list(limits),
                        [
                            datetime.fromtimestamp(window_start(now, window), UTC)
                            for _, window in limits.values()
                        ],
                    ],
                )
                hits = dict(cursor.fetchall())
        starts = {key: window_start(now, window) for key, (_, window) in limits.items()}
        waits = [
            starts[key] + window - now
            for key, (allowed, window) in limits.items()
            if hits.get(key, 0) > allowed
        ]
        self.retry_after = max(waits) if waits else None
        return not waits

    def wait(self) -> float | None:
        return self.retry_after
