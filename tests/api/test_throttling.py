"""Rate limits per token and per user (annotations/api/throttling.py): counted in PostgreSQL, hits
reserved ahead per process, 429 with Retry-After."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.cache import caches
from django.utils import timezone

from annotations.api import throttling
from annotations.models import RateWindow
from tests.api.helpers import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def mid_window(monkeypatch):
    """Rate-limit tests run in the middle of a minute: a window ending during one would reset its counts."""
    moment = timezone.now().replace(second=20, microsecond=0)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    monkeypatch.setattr(throttling, "time", SimpleNamespace(time=moment.timestamp))
    return moment


def _rates(settings, token: str, user: str) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": token, "user": user},
    }


def test_a_token_over_its_rate_gets_429_with_retry_after(researcher, settings, mid_window):
    _rates(settings, "3/min", "100/min")
    client = client_for(researcher)
    assert [client.get("/api/v1/tags/").status_code for _ in range(3)] == [200, 200, 200]
    response = client.get("/api/v1/tags/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) == 40  # the window started 20 seconds ago
    assert response.json()["error"]["code"] == "throttled"
    # Another token of the same user has its own allowance.
    assert client_for(researcher).get("/api/v1/tags/").status_code == 200


def test_a_user_is_limited_across_all_their_tokens_and_their_session(researcher, settings, mid_window):
    _rates(settings, "100/min", "2/min")
    assert client_for(researcher).get("/api/v1/tags/").status_code == 200
    assert client_for(researcher).get("/api/v1/tags/").status_code == 200
    assert client_for(researcher, token=False).get("/api/v1/tags/").status_code == 429


def test_the_counts_are_rate_windows_in_the_database(researcher, settings, mid_window):
    _rates(settings, "100/min", "10000/min")
    client = client_for(researcher)
    assert client.get("/api/v1/tags/").status_code == 200
    windows = {window.key: window for window in RateWindow.objects.all()}
    assert set(windows) == {f"token:{researcher.api_tokens.get().pk}", f"user:{researcher.pk}"}
    assert all(window.window_start == mid_window.replace(second=0) for window in windows.values())
    assert all(window.hits >= 1 for window in windows.values())


def test_hits_reserved_ahead_never_let_more_requests_through_than_the_limit(researcher, settings, mid_window):
    _rates(settings, "100/min", "10000/min")
    client = client_for(researcher)
    statuses = [client.get("/api/v1/tags/").status_code for _ in range(110)]
    assert statuses == [200] * 100 + [429] * 10


def test_a_new_window_starts_the_count_again(researcher, settings, mid_window, monkeypatch):
    _rates(settings, "3/min", "100/min")
    client = client_for(researcher)
    assert [client.get("/api/v1/tags/").status_code for _ in range(4)] == [200, 200, 200, 429]
    monkeypatch.setattr(throttling, "time", SimpleNamespace(time=lambda: mid_window.timestamp() + 60))
    assert client.get("/api/v1/tags/").status_code == 200


def test_hits_reserved_by_several_processes_never_exceed_the_limit(
    researcher, settings, mid_window, monkeypatch
):
    _rates(settings, "100/min", "10000/min")
    client = client_for(researcher)
    processes = [throttling.Leases() for _ in range(3)]  # each app process holds its own reservations
    statuses = []
    for n in range(110):
        monkeypatch.setattr(throttling, "leases", processes[n % 3])
        statuses.append(client.get("/api/v1/tags/").status_code)
    allowed = statuses.count(200)
    # What a process reserved and has not used yet is counted, so the limit may bite a little early,
    # never late; the reservations shrink near the limit, so only by a few.
    assert 95 <= allowed <= 100
    assert statuses[-10:] == [429] * 10


def test_hits_reserved_after_other_processes_used_the_limit_are_refused(researcher, settings, mid_window):
    _rates(settings, "100/min", "10000/min")
    client = client_for(researcher)
    assert [client.get("/api/v1/tags/").status_code for _ in range(2)] == [200, 200]
    # This process now holds a few hits reserved ahead; other processes use up the rest of the limit.
    RateWindow.objects.filter(key__startswith="token:").update(hits=200)
    statuses = [client.get("/api/v1/tags/").status_code for _ in range(20)]
    held = statuses.count(200)
    assert 1 <= held <= 6  # what it had reserved (counted before the others' hits), and no more
    assert statuses == [200] * held + [429] * (20 - held)


def test_looking_a_token_up_again_keeps_the_hits_reserved_before(researcher, settings, mid_window):
    _rates(settings, "100/min", "10000/min")
    client = client_for(researcher)
    statuses = []
    for n in range(110):
        if n % 4 == 0:
            caches["default"].clear()  # the token's memory runs out: the next request looks it up again
        statuses.append(client.get("/api/v1/tags/").status_code)
    assert statuses == [200] * 100 + [429] * 10
