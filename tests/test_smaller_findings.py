"""Issue 12, finding 6: a method an endpoint lacks is 405 for everyone; a page edit that drops fields the role
may not set says so; only the demo admin is staff; the API's note has the form's cap; offsets are numbers."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from annotations.models import Claim, User
from tests.api.helpers import client_for, make_claim
from tests.factories import ArticleFactory

SAMPLE = {"int": "1", "uidb64": "MQ", "token": "set-password", "fmt": "jsonl", "rest": "nothing"}
METHODS = ("get", "post", "put", "patch", "delete")


def _routes(patterns, prefix: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def _path(route: str) -> str:
    path = re.sub(r"<int:\w+>", "1", route)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: SAMPLE.get(m.group(1), "x"), path)
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: SAMPLE.get(m.group(1), "x"), path)
    path = path.replace("^", "").replace("$", "").replace("\\.", ".")
    return "/" + path


def _ours() -> list[str]:
    """Every route of the app's own pages and API (the admin's are Django's)."""
    return sorted(
        {_path(route) for route, _ in _routes(get_resolver().url_patterns) if not route.startswith("admin")}
    )


@pytest.fixture
def askers(db, editor, researcher, admin_user) -> dict[str, Callable[[], Client]]:
    """A fresh client per request for each kind of asker: a probe that signs out (POST /accounts/logout/)
    or revokes a token must not turn the next one into another asker."""

    def signed_in(user: User) -> Callable[[], Client]:
        def make() -> Client:
            client = Client()
            client.force_login(user)
            return client

        return make

    return {
        "anonymous": Client,
        "researcher": signed_in(researcher),
        "admin": signed_in(admin_user),
        "admin token": lambda: client_for(admin_user),
    }


def test_a_method_an_endpoint_lacks_is_405_for_anyone_before_who_asks_is_checked(askers):
    ArticleFactory.create()
    # What each path accepts, asked as the admin (who may do everything): a 405 there is "no such method".
    admin = askers["admin"]
    lacking = {
        path: [m for m in METHODS if admin().generic(m.upper(), path).status_code == 405] for path in _ours()
    }
    assert sum(map(len, lacking.values())) > 50  # the walk found the routes
    wrong = []
    for name, make in askers.items():
        for path, methods in lacking.items():
            for method in methods:
                status = make().generic(method.upper(), path).status_code
                if status != 405:
                    wrong.append(f"{name} {method.upper()} {path}: {status}")
    assert wrong == [], "\n".join(wrong)


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/v1/claims/", "PUT"),
        ("/api/v1/claims/", "DELETE"),
        ("/api/v1/tags/", "POST"),
        ("/api/v1/export/claims.jsonl", "POST"),
        ("/accounts/login/", "PUT"),
        ("/accounts/password_change/", "DELETE"),
        ("/claims/1/edit/", "GET"),
    ],
)
def test_named_cases_of_a_wrong_method(path, method, askers):
    for make in askers.values():
        response = make().generic(method, path)
        assert response.status_code == 405
        if path.startswith("/api/"):
            assert response.json()["error"]["code"] == "method_not_allowed"


def test_a_page_edit_that_drops_a_field_the_role_may_not_set_says_so(editor, reviewer):
    article = ArticleFactory.create(text="Around 160,000 asylum seekers arrived since April 2022.")
    claim = make_claim(article, editor, "160,000 asylum seekers", note="first")
    client = Client()
    client.force_login(editor)
    # An editor sends a verdict (only reviewers give them) and a new note: the note is saved, the verdict not.
    response = client.post(
        f"/claims/{claim.pk}/edit/",
        {"version": claim.version, "note": "second", "status": "draft", "verdict": "true"},
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Not saved: verdict. Your role (editor) may not change it" in page
    assert ">Saved.<" not in page
    claim.refresh_from_db()
    assert (claim.note, claim.verdict) == ("second", "")
    # Without htmx the same edit redirects, and the page it lands on carries the message.
    followed = client.post(
        f"/claims/{claim.pk}/edit/",
        {"version": claim.version, "note": "third", "status": "draft", "verdict": "false"},
        follow=True,
    )
    assert "Not saved: verdict." in followed.content.decode()
    # A field sent unchanged (the read-only note of a reviewer's form) is no refusal: "Saved."
    reviewing = Client()
    reviewing.force_login(reviewer)
    claim.refresh_from_db()
    response = reviewing.post(
        f"/claims/{claim.pk}/edit/",
        {"version": claim.version, "note": claim.note, "status": "in_review", "verdict": "true"},
        HTTP_HX_REQUEST="true",
    )
    assert ">Saved.<" in response.content.decode() and "Not saved" not in response.content.decode()


def test_only_the_demo_admin_is_staff(db):
    call_command("load_demo")
    staff = {user.username: (user.is_staff, user.is_superuser) for user in User.objects.all()}
    assert staff == {
        "editor": (False, False),
        "reviewer": (False, False),
        "researcher": (False, False),
        "admin": (True, True),
    }
    assert Client().post("/admin/login/", {"username": "editor", "password": "newsroom"}).status_code == 200
    assert Client().post("/admin/login/", {"username": "admin", "password": "newsroom"}).status_code == 302


def test_the_api_note_has_the_forms_length_cap(editor):
    article = ArticleFactory.create(text="Around 160,000 asylum seekers arrived since April 2022.")
    api = client_for(editor)
    too_long = "x" * (Claim.NOTE_MAX_LENGTH + 1)
    created = api.post(
        "/api/v1/claims/", {"article": article.pk, "start": 7, "end": 14, "note": too_long}, format="json"
    )
    assert created.status_code == 400
    assert "note" in created.json()["error"]["fields"]
    assert not Claim.objects.exists()
    claim = make_claim(article, editor, "160,000")
    etag = api.get(f"/api/v1/claims/{claim.pk}/")["ETag"]
    edited = api.patch(f"/api/v1/claims/{claim.pk}/", {"note": too_long}, format="json", HTTP_IF_MATCH=etag)
    assert edited.status_code == 400 and "note" in edited.json()["error"]["fields"]
    exact = api.patch(
        f"/api/v1/claims/{claim.pk}/",
        {"note": "y" * Claim.NOTE_MAX_LENGTH},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert exact.status_code == 200


@pytest.mark.parametrize("bad", ["5", 5.0, True, "0x5"], ids=["string", "float", "bool", "hex"])
def test_an_offset_must_be_a_json_number(bad, editor):
    article = ArticleFactory.create(text="Around 160,000 asylum seekers arrived since April 2022.")
    response = client_for(editor).post(
        "/api/v1/claims/", {"article": article.pk, "start": bad, "end": 14}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["start"] == [
        "a whole number is required (a JSON number, not a string)"
    ]
    assert not Claim.objects.exists()
    assert (
        client_for(editor)
        .post("/api/v1/claims/", {"article": article.pk, "start": 7, "end": 14}, format="json")
        .status_code
        == 201
    )
