"""Rate limits per API token and per user, counted in PostgreSQL so that every app process shares them.

A fixed window per key (`token:<id>`, `user:<id>`), counted by one upsert statement for both keys at
once. Rates come from `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]` (`token` and `user`, e.g.
"3000/min"); a request over either limit gets 429 with `Retry-After` (the seconds until its window
ends).

Counting every request was a round trip on every request. Instead a process reserves hits ahead: the
upsert adds a few hits to a key's count at once, and the process hands them out to its next requests
without asking again. A reservation is at most a sixteenth of what is left of the limit (at most 100),
so it shrinks to single hits as a client nears its limit. Requests past the limit are refused however
the hits were reserved, since every hit handed out was counted first; what a process reserved and did
not use when the window ends can only make a limit bite a little early, never late.

The counts are `RateWindow` rows, written by `db.add_rate_hits`: raw SQL, because its `CASE` (a new
window starts the count again) is one statement, where the ORM would need a read and a write.

Independent of authentication: it limits whoever `request.user` and `request.auth` are.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from annotations import db
from annotations.models import ApiToken

LEASE_FRACTION = 16  # a reservation is at most this fraction of what is left of a limit
LEASE_MAX = 100


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


@dataclass
class Lease:
    """Hits of one key's window that this process reserved: the counts `next` to `last` are its own."""

    window_start: float
    next: int
    last: int


class Leases:
    def __init__(self) -> None:
        self._held: dict[str, Lease] = {}
        self._lock = threading.Lock()

    def take(self, key: str, start: float) -> int | None:
        """The count of this request, from a reservation for the window starting at `start`, if any left."""
        with self._lock:
            lease = self._held.get(key)
            if lease is None or lease.window_start != start or lease.next > lease.last:
                return None
            lease.next += 1
            return lease.next - 1

    def size(self, key: str, start: float, allowed: int) -> int:
        """How many hits to reserve next: a share of what the last known count left of the limit."""
        lease = self._held.get(key)
        if lease is None or lease.window_start != start:
            return 1  # nothing known of this window yet
        return max(1, min(LEASE_MAX, (allowed - lease.last) // LEASE_FRACTION))

    def hold(self, key: str, start: float, count: int, size: int) -> None:
        """The upsert added `size` hits and the count is now `count`: those hits are ours to hand out."""
        with self._lock:
            self._held[key] = Lease(start, count - size + 1, count)

    def drop_all(self) -> None:
        with self._lock:
            self._held.clear()


leases = Leases()


def reserve(sizes: dict[str, tuple[float, int]]) -> dict[str, int]:
    """Add `size` hits to each key's count in the window starting at `start`; the new counts."""
    starts = [datetime.fromtimestamp(start, UTC) for start, _ in sizes.values()]
    return db.add_rate_hits(list(sizes), starts, [size for _, size in sizes.values()])


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
        now = time.time()
        starts = {key: window_start(now, window) for key, (_, window) in limits.items()}
        counts: dict[str, int] = {}
        missing: dict[str, tuple[float, int]] = {}
        for key, (allowed, _) in limits.items():
            if (position := leases.take(key, starts[key])) is not None:
                counts[key] = position
            else:
                missing[key] = (starts[key], leases.size(key, starts[key], allowed))
        if missing:
            for key, count in reserve(missing).items():
                start, size = missing[key]
                leases.hold(key, start, count, size)
                taken = leases.take(key, start)
                counts[key] = count if taken is None else taken
        waits = [
            starts[key] + window - now
            for key, (allowed, window) in limits.items()
            if counts.get(key, 0) > allowed
        ]
        self.retry_after = max(waits) if waits else None
        return not waits

    def wait(self) -> float | None:
        return self.retry_after
