"""API tokens: the page, the command, bearer authentication and how long a token is remembered.

Rate limits are in test_throttling.py."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from io import StringIO
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.core.cache import caches
from django.core.cache.backends import locmem
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from annotations.models import ApiToken, User, forget

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
    theirs, raw_theirs = ApiToken.issue(editor, name="theirs")
    assert _bearer(raw).get("/api/v1/claims/").status_code == 200  # remembered from now on
    client = Client()
    client.force_login(researcher)
    assert client.post(f"/account/tokens/{theirs.pk}/revoke/").status_code == 404
    assert client.post(f"/account/tokens/{mine.pk}/revoke/").status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.revoked_at is not None and theirs.revoked_at is None
    assert _bearer(raw).get("/api/v1/claims/").status_code == 401
    assert _bearer(raw_theirs).get("/api/v1/claims/").status_code == 200
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


# --- Remembered tokens (the default cache, for API_TOKEN_CACHE_SECONDS) ----------------------------------

TOKEN_LOOKUP = '"annotations_apitoken"."key_hash" ='


def _lookups(queries) -> int:
    return sum(TOKEN_LOOKUP in query["sql"] for query in queries)


def test_a_remembered_token_is_not_looked_up_again(researcher):
    _, raw = ApiToken.issue(researcher, name="t")
    client = _bearer(raw)
    with CaptureQueriesContext(connection) as queries:
        assert all(client.get("/api/v1/tags/").status_code == 200 for _ in range(20))
    assert _lookups(queries) == 1
    # ... and the rate limits reserve hits ahead instead of counting each request.
    assert sum("annotations_api_rate_window" in query["sql"] for query in queries) <= 3


def test_revoking_a_token_stops_it_at_once_in_the_process_that_revoked_it(researcher):
    token, raw = ApiToken.issue(researcher, name="t")
    client = _bearer(raw)
    assert client.get("/api/v1/tags/").status_code == 200
    token.revoke()
    assert client.get("/api/v1/tags/").status_code == 401


def _save_in_the_admin(user: User) -> None:
    request = RequestFactory().post("/admin/")
    admin.site._registry[User].save_model(request, user, form=None, change=True)


def test_a_user_deactivated_in_the_admin_is_refused_at_once(researcher):
    _, raw = ApiToken.issue(researcher, name="t")
    client = _bearer(raw)
    assert client.get("/api/v1/tags/").status_code == 200
    researcher.is_active = False
    _save_in_the_admin(researcher)
    assert client.get("/api/v1/tags/").status_code == 401


def test_a_role_changed_in_the_admin_applies_at_once(editor, article):
    _, raw = ApiToken.issue(editor, name="t")
    client = _bearer(raw)
    create = {"article": article.pk, "start": 0, "end": 3}
    assert client.post("/api/v1/claims/", create, format="json").status_code == 201
    editor.role = "researcher"
    _save_in_the_admin(editor)
    assert client.post("/api/v1/claims/", create, format="json").status_code == 403


def test_a_token_deleted_in_the_admin_is_refused_at_once(researcher, admin_user):
    token, raw = ApiToken.issue(researcher, name="t")
    client = _bearer(raw)
    assert client.get("/api/v1/tags/").status_code == 200
    admin.site._registry[ApiToken].delete_queryset(
        RequestFactory().post("/admin/"), ApiToken.objects.filter(pk=token.pk)
    )
    assert client.get("/api/v1/tags/").status_code == 401


def test_a_change_made_without_forgetting_applies_within_the_memory_time(researcher, settings, monkeypatch):
    # As in another process with its own memory: nothing tells this one (there are no signal handlers).
    assert isinstance(caches["default"], locmem.LocMemCache)
    settings.API_TOKEN_CACHE_SECONDS = 5
    token, raw = ApiToken.issue(researcher, name="t")
    client = _bearer(raw)
    assert client.get("/api/v1/tags/").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    researcher.is_active = False
    researcher.save()
    assert client.get("/api/v1/tags/").status_code == 200
    later = time.time() + 5
    monkeypatch.setattr(locmem, "time", SimpleNamespace(time=lambda: later))
    assert client.get("/api/v1/tags/").status_code == 401


def test_forgetting_a_users_tokens_forgets_only_theirs(researcher, editor):
    _, mine = ApiToken.issue(researcher, name="mine")
    _, theirs = ApiToken.issue(editor, name="theirs")
    for raw in (mine, theirs):
        assert _bearer(raw).get("/api/v1/tags/").status_code == 200
    forget(user=researcher)
    cache = caches["default"]
    assert cache.get(ApiToken.cache_key(ApiToken.hash(mine))) is None
    assert cache.get(ApiToken.cache_key(ApiToken.hash(theirs))) is not None


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
            assert client.get("/api/v1/tags/").status_code == 200
    assert _lookups(queries) == 3
    assert caches["default"].get(ApiToken.cache_key(ApiToken.hash(raw))) is None
