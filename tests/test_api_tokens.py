"""API tokens: the page, the command, bearer authentication and rate limits."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from annotations.models import ApiToken
from tests.api_helpers import client_for

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


def test_last_used_is_written_at_most_once_a_minute(researcher):
    token, raw = ApiToken.issue(researcher, name="t")
    client = _bearer(raw)
    client.get("/api/v1/tags/")
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get("/api/v1/tags/")
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    client.get("/api/v1/tags/")
    token.refresh_from_db()
    assert token.last_used_at > first


# --- Rate limits -----------------------------------------------------------------------------------------


def test_a_token_over_its_rate_gets_429_with_retry_after(researcher, settings):
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


def test_a_user_is_limited_across_all_their_tokens_and_their_session(researcher, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "100/min", "user": "2/min"},
    }
    assert client_for(researcher).get("/api/v1/tags/").status_code == 200
    assert client_for(researcher).get("/api/v1/tags/").status_code == 200
    assert client_for(researcher, token=False).get("/api/v1/tags/").status_code == 429
