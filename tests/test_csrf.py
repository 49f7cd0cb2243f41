"""CSRF over both interfaces, for a signed-in browser (`Client(enforce_csrf_checks=True)`).

Every state-changing page and every session-authenticated API write is refused (403, and nothing in the
database changes) without the CSRF token, though the CSRF cookie is there, as it is for a page an attacker
makes the browser post from; with the token (as a form field for a plain form, as the `X-CSRFToken` header
htmx and the API's browser clients send) it answers as the permission matrix says. A bearer-token write
needs no CSRF token at all. The endpoints are the permission matrix's writes, and the URLconfs are walked
so that a new state-changing view cannot be left out.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from procrastinate.testing import InMemoryConnector
from rest_framework.test import APIClient

from annotations.roles import Role
from tests.factories import UserFactory
from tests.test_permission_matrix import (
    API_CASES,
    HTML_CASES,
    Actor,
    Case,
    World,
    api_methods,
    api_patterns,
    changed_tables,
    covered,
    expected_api,
    expected_html,
    fingerprint,
    web_methods,
    web_patterns,
    world_fixture,  # noqa: F401  (the fixture `world`, for this module too)
)

pytestmark = pytest.mark.django_db

ADMIN = Role.ADMIN.value  # may do every write, so "with the token" shows each one working
HTML_WRITES = [case for case in HTML_CASES if case.method != "get"]
API_WRITES = [case for case in API_CASES if case.method != "get"]
_PAGE_TOKEN = re.compile(r'"X-CSRFToken": "([^"]+)"')


def _id(case: Case) -> str:
    return case.name.replace(" ", "_").replace("'", "")


def _csrf_token(client: Client) -> str:
    """The token a signed-in page gives the browser (base.html's `hx-headers`); its cookie is now set."""
    page = client.get("/")
    assert page.status_code == 200
    found = _PAGE_TOKEN.search(page.content.decode())
    assert found is not None, "the page carries no CSRF token"
    assert settings.CSRF_COOKIE_NAME in client.cookies or settings.CSRF_USE_SESSIONS
    return found[1]


def _send(client: Client, case: Case, request: Any, token: str | None) -> Any:
    headers = dict(request.headers)
    if isinstance(client, APIClient):
        if token:
            headers["HTTP_X_CSRFTOKEN"] = token
        return getattr(client, case.method)(request.path, request.data, format="json", **headers)
    data = dict(request.data or {})
    if token and headers.get("HTTP_HX_REQUEST"):
        headers["HTTP_X_CSRFTOKEN"] = token  # as htmx sends it
    elif token:
        data["csrfmiddlewaretoken"] = token  # as a plain form does
    return getattr(client, case.method)(request.path, data, **headers)


def _changed(case: Case, status: int, expected: int, before: dict[str, str], after: dict[str, str]) -> None:
    changes = changed_tables(before, after)
    should = case.writes and case.changes and expected == case.success and case.allowed(Role.ADMIN)
    assert bool(changes) == should, f"{case.name} answered {status} and changed {changes or 'nothing'}"


# --- Pages -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", HTML_WRITES, ids=_id)
def test_a_page_write_without_the_csrf_token_is_refused_and_changes_nothing(
    case: Case, world: World, queue: InMemoryConnector
) -> None:
    actor = Actor(world, ADMIN)
    client = actor.session_client(Client(enforce_csrf_checks=True))
    _csrf_token(client)
    request = case.build(actor)
    before = fingerprint(queue)
    response = _send(client, case, request, token=None)
    assert response.status_code == 403
    assert b"CSRF" in response.content
    assert changed_tables(before, fingerprint(queue)) == []


@pytest.mark.parametrize("case", HTML_WRITES, ids=_id)
def test_a_page_write_with_the_csrf_token_works(case: Case, world: World, queue: InMemoryConnector) -> None:
    actor = Actor(world, ADMIN)
    client = actor.session_client(Client(enforce_csrf_checks=True))
    token = _csrf_token(client)
    request = case.build(actor)
    before = fingerprint(queue)
    response = _send(client, case, request, token)
    expected = expected_html(case, actor)
    assert response.status_code == expected, response.content[:300]
    _changed(case, response.status_code, expected, before, fingerprint(queue))


# --- The API with the browser's session --------------------------------------------------------------


@pytest.mark.parametrize("case", API_WRITES, ids=_id)
def test_a_session_api_write_without_the_csrf_token_is_refused_and_changes_nothing(
    case: Case, world: World, queue: InMemoryConnector
) -> None:
    actor = Actor(world, ADMIN)
    client = actor.session_client(APIClient(enforce_csrf_checks=True))
    _csrf_token(client)
    request = case.build(actor)
    before = fingerprint(queue)
    response = _send(client, case, request, token=None)
    if case.scope == "anyone":  # no such endpoint: 404 before anything, there is nothing to forge
        assert response.status_code == 404, response.content[:300]
    else:
        assert response.status_code == 403, response.content[:300]
        assert "CSRF" in response.json()["error"]["message"]
    assert changed_tables(before, fingerprint(queue)) == []


@pytest.mark.parametrize("case", API_WRITES, ids=_id)
def test_a_session_api_write_with_the_csrf_token_works(
    case: Case, world: World, queue: InMemoryConnector
) -> None:
    actor = Actor(world, ADMIN)
    client = actor.session_client(APIClient(enforce_csrf_checks=True))
    token = _csrf_token(client)
    request = case.build(actor)
    before = fingerprint(queue)
    response = _send(client, case, request, token)
    expected = expected_api(case, actor)
    assert response.status_code == expected, response.content[:300]
    _changed(case, response.status_code, expected, before, fingerprint(queue))


@pytest.mark.parametrize("case", API_WRITES, ids=_id)
def test_a_bearer_token_api_write_needs_no_csrf_token(
    case: Case, world: World, queue: InMemoryConnector
) -> None:
    actor = Actor(world, ADMIN)
    client = actor.bearer_client(APIClient(enforce_csrf_checks=True))
    request = case.build(actor)
    before = fingerprint(queue)
    response = _send(client, case, request, token=None)
    expected = expected_api(case, actor)
    assert response.status_code == expected, response.content[:300]
    _changed(case, response.status_code, expected, before, fingerprint(queue))


# --- Signing in and out (newsroom/urls.py) -------------------------------------------------------------


def test_signing_out_needs_the_csrf_token(world: World) -> None:
    actor = Actor(world, ADMIN)
    client = actor.session_client(Client(enforce_csrf_checks=True))
    token = _csrf_token(client)
    refused = client.post("/accounts/logout/")
    assert refused.status_code == 403 and b"CSRF" in refused.content
    assert client.get("/").status_code == 200, "still signed in"
    assert client.post("/accounts/logout/", {"csrfmiddlewaretoken": token}).status_code == 302
    assert client.get("/").status_code == 302, "signed out"


def test_signing_in_needs_the_csrf_token(db: None) -> None:
    UserFactory.create(username="csrf-editor", role=Role.EDITOR)
    client = Client(enforce_csrf_checks=True)
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    credentials = {"username": "csrf-editor", "password": "secret-password"}
    refused = client.post("/accounts/login/", credentials)
    assert refused.status_code == 403 and b"CSRF" in refused.content
    assert client.get("/").status_code == 302, "not signed in"
    signed_in = client.post("/accounts/login/", {**credentials, "csrfmiddlewaretoken": token})
    assert signed_in.status_code == 302
    assert client.get("/").status_code == 200


# --- Nothing slips in ----------------------------------------------------------------------------------


def test_every_state_changing_url_pattern_is_checked_for_csrf(world: World) -> None:
    actor = Actor(world, ADMIN)
    client = actor.session_client(Client())
    html, api = covered(HTML_WRITES, actor), covered(API_WRITES, actor)
    missing = [
        f"{method.upper()} {label}"
        for label, pattern in web_patterns()
        for method in sorted(web_methods(client, pattern) - {"get"})
        if (pattern.callback, method) not in html
    ] + [
        f"{method.upper()} {label}"
        for label, pattern in api_patterns()
        for method in sorted(api_methods(pattern) - {"get"})
        if (pattern.callback, method) not in api
    ]
    assert not missing, f"state-changing endpoints without a CSRF test: {missing}"
    assert HTML_WRITES and API_WRITES
