"""API tokens: the page, the command, bearer authentication and rate limits."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from annotations.api import throttling
from annotations.api.authentication import recent_tokens
from annotations.models import ApiToken
from tests.api.helpers import client_for

pytestmark = pytest.mark.django_db


def _bearer(raw: str):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


# --- The page --------------------------------------------------------------------------------------------


def test_the_page_needs_a_signed_in_user():
    response = Client().get("/account/tokens/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_user_creates_a_token_and_sees_it_once(researcher):
    client = Client()
    client.force_login(researcher)
    response = client.post("/account/tokens/", {"name": "my laptop", "expires_days": "30"})
    assert response.status_code == 201
    found = re.search(r"<code data-token>([^<]+)</code>", response.content.decode())
    assert found is not None
    raw = found[1]
    token = ApiToken.objects.get(user=researcher)
    assert token.key_hash == ApiToken.hash(raw) and raw not in token.key_hash
    assert token.expires_at is not None and token.name == "my laptop"
    assert response["Cache-Control"] == "no-store"
    assert raw not in client.get("/account/tokens/").content.decode()  # shown once only
    assert _bearer(raw).get("/api/v1/claims/").status_code == 200


def test_the_page_explains_a_missing_name_or_bad_expiry(researcher):
    client = Client()
    client.force_login(researcher)
    response = client.post("/account/tokens/", {"name": "", "expires_days": "-4"})
    assert response.status_code == 400
    assert "Give the token a name" in response.content.decode()
    assert "whole number of days" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_a_user_revokes_their_own_token_and_not_someone_elses(researcher, editor):
    mine, raw = ApiToken.issue(researcher, name="mine")
    theirs, _ = ApiToken.issue(editor, name="theirs")
    client = Client()
    client.force_login(researcher)
    assert client.post(f"/account/tokens/{theirs.pk}/revoke/").status_code == 404
    assert client.post(f"/account/tokens/{mine.pk}/revoke/").status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.revoked_at is not None and theirs.revoked_at is None
    assert _bearer(raw).get("/api/v1/claims/").status_code == 401
    assert "theirs" not in client.get("/account/tokens/").content.decode()


def test_revoking_needs_a_post_with_csrf(researcher):
    token, _ = ApiToken.issue(researcher, name="mine")
    client = Client(enforce_csrf_checks=True)
    client.force_login(researcher)
    assert client.get(f"/account/tokens/{token.pk}/revoke/").status_code == 405
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 403


# --- The command -----------------------------------------------------------------------------------------


def test_the_command_prints_the_token_alone(researcher):
    out = StringIO()
    call_command("create_api_token", "researcher", "--name", "ci", "--expires-days", "7", stdout=out)
    raw = out.getvalue().strip()
    assert raw.startswith(ApiToken.PREFIX) and "\n" not in raw
    token = ApiToken.objects.get(key_hash=ApiToken.hash(raw))
    assert token.name == "ci" and token.expires_at is not None
    assert token.expires_at - timezone.now() > timedelta(days=6)


def test_the_command_refuses_an_unknown_user(db):
    with pytest.raises(CommandError, match="no user"):
        call_command("create_api_token", "nobody", stdout=StringIO())


# --- Authentication --------------------------------------------------------------------------------------


def test_an_expired_token_is_refused(researcher):
    token, raw = ApiToken.issue(researcher, name="old", expires_in_days=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = _bearer(raw).get("/api/v1/claims/")
    assert response.status_code == 401
    assert "expired" in response.json()["error"]["message"]


def test_a_wrong_token_is_refused_with_401(db):
    response = _bearer("nrc_not-a-real-token").get("/api/v1/claims/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_last_used_is_written_at_most_once_a_minute(researcher, monkeypatch):
    token, raw = ApiToken.issue(researcher, name="t")
    client = _bearer(raw)
    client.get("/api/v1/tags/")
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get("/api/v1/tags/")
    token.refresh_from_db()
    assert token.last_used_at == first
    later = timezone.now() + timedelta(minutes=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    client.get("/api/v1/tags/")
    token.refresh_from_db()
    assert token.last_used_at == later


# --- Remembered tokens (authentication.RecentTokens) -----------------------------------------------------


def _statements(queries, table: str) -> int:
    return sum(table in query["sql"] for query in queries)


def test_a_remembered_token_is_not_looked_up_again(researcher):
    _, raw = ApiToken.issue(researcher, name="t")
    client = _bearer(raw)
    with CaptureQueriesContext(connection) as queries:
        assert all(client.get("/api/v1/tags/").status_code == 200 for _ in range(20))
    assert _statements(queries, "t.key_hash = ") == 1
    # ... and the rate limits reserve hits ahead instead of counting each request.
    assert _statements(queries, "annotations_api_rate_window") <= 3


def test_revoking_a_token_stops_it_at_once_in_the_process_that_revoked_it(researcher):
    token, raw = ApiToken.issue(researcher, name="t")
    client = _bearer(raw)
    assert client.get("/api/v1/tags/").status_code == 200
    token.revoke()
    assert client.get("/api/v1/tags/").status_code == 401


def test_a_role_changed_in_this_process_applies_at_once(researcher):
    _, raw = ApiToken.issue(researcher, name="t")
    client = _bearer(raw)
    assert client.get("/api/v1/tags/").status_code == 200
    researcher.is_active = False
    researcher.save()
    assert client.get("/api/v1/tags/").status_code == 401


def test_a_token_revoked_by_another_process_stops_within_the_memory_time(researcher, settings, monkeypatch):
    import annotations.api.authentication as authentication

    settings.API_TOKEN_CACHE_SECONDS = 5
    token, raw = ApiToken.issue(researcher, name="t")
    client = _bearer(raw)
    assert client.get("/api/v1/tags/").status_code == 200
    # Another process revokes it: no signal reaches this one.
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    assert client.get("/api/v1/tags/").status_code == 200
    started = time.monotonic()
    monkeypatch.setattr(authentication.time, "monotonic", lambda: started + 5)
    assert client.get("/api/v1/tags/").status_code == 401


def test_a_remembered_token_that_expires_is_refused_at_once(researcher, monkeypatch):
    token, raw = ApiToken.issue(researcher, name="t", expires_in_days=1)
    client = _bearer(raw)
    assert client.get("/api/v1/tags/").status_code == 200
    assert token.expires_at is not None
    later = token.expires_at + timedelta(seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    response = client.get("/api/v1/tags/")
    assert response.status_code == 401
    assert "expired" in response.json()["error"]["message"]


def test_with_no_memory_every_request_looks_the_token_up(researcher, settings):
    settings.API_TOKEN_CACHE_SECONDS = 0
    _, raw = ApiToken.issue(researcher, name="t")
    client = _bearer(raw)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            client.get("/api/v1/tags/")
    assert _statements(queries, "t.key_hash = ") == 3


# --- Rate limits -----------------------------------------------------------------------------------------


@pytest.fixture
def mid_window(monkeypatch):
    """Rate-limit tests run in the middle of a minute: a window ending during one would reset its counts."""
    moment = timezone.now().replace(second=20, microsecond=0)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    monkeypatch.setattr(throttling, "time", SimpleNamespace(time=moment.timestamp))


def test_a_token_over_its_rate_gets_429_with_retry_after(researcher, settings, mid_window):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "3/min", "user": "100/min"},
    }
    client = client_for(researcher)
    assert [client.get("/api/v1/tags/").status_code for _ in range(3)] == [200, 200, 200]
    response = client.get("/api/v1/tags/")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert response.json()["error"]["code"] == "throttled"
    # Another token of the same user has its own allowance.
    assert client_for(researcher).get("/api/v1/tags/").status_code == 200


def test_a_user_is_limited_across_all_their_tokens_and_their_session(researcher, settings, mid_window):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "100/min", "user": "2/min"},
    }
    assert client_for(researcher).get("/api/v1/tags/").status_code == 200
    assert client_for(researcher).get("/api/v1/tags/").status_code == 200
    assert client_for(researcher, token=False).get("/api/v1/tags/").status_code == 429


def test_hits_reserved_ahead_never_let_more_requests_through_than_the_limit(researcher, settings, mid_window):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "100/min", "user": "10000/min"},
    }
    client = client_for(researcher)
    statuses = [client.get("/api/v1/tags/").status_code for _ in range(110)]
    assert statuses == [200] * 100 + [429] * 10


def test_hits_reserved_by_several_processes_never_exceed_the_limit(
    researcher, settings, mid_window, monkeypatch
):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "100/min", "user": "10000/min"},
    }
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
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "100/min", "user": "10000/min"},
    }
    client = client_for(researcher)
    assert [client.get("/api/v1/tags/").status_code for _ in range(2)] == [200, 200]
    # This process now holds a few hits reserved ahead; other processes use up the rest of the limit.
    from django.db import connection as db

    with db.cursor() as cursor:
        cursor.execute(f"UPDATE {throttling.TABLE} SET hits = 200 WHERE key LIKE 'token:%%'")
    statuses = [client.get("/api/v1/tags/").status_code for _ in range(20)]
    held = statuses.count(200)
    assert 1 <= held <= 6  # what it had reserved (counted before the others' hits), and no more
    assert statuses == [200] * held + [429] * (20 - held)


def test_looking_a_token_up_again_keeps_the_hits_reserved_before(researcher, settings, mid_window):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "100/min", "user": "10000/min"},
    }
    client = client_for(researcher)
    statuses = []
    for n in range(110):
        if n % 4 == 0:
            recent_tokens.forget_all()  # the token's memory runs out: the next request looks it up again
        statuses.append(client.get("/api/v1/tags/").status_code)
    assert statuses == [200] * 100 + [429] * 10
