"""The permission matrix, role x endpoint x method, as the API answers it (roles.py is the table)."""

from __future__ import annotations

import pytest

from annotations.models import User
from annotations.roles import Role
from tests.api.helpers import client_for, etag_of, make_claim
from tests.conftest import DEMO_TEXT
from tests.factories import ArticleFactory, SourceFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "researcher", "editor", "reviewer", "admin"]


def _user(role: str) -> User | None:
    if role == "anonymous":
        return None
    return UserFactory.create(
        username=f"matrix-{role}", role=Role(role), is_superuser=role == "admin", is_staff=role == "admin"
    )


# (name, method, path template, body, with If-Match, expected status per role)
CASES = [
    ("list claims", "get", "/api/v1/claims/", None, False, [401, 200, 200, 200, 200]),
    ("read claim", "get", "/api/v1/claims/{claim}/", None, False, [401, 200, 200, 200, 200]),
    ("claim as w3c", "get", "/api/v1/claims/{claim}/?format=w3c", None, False, [401, 200, 200, 200, 200]),
    ("list articles", "get", "/api/v1/articles/", None, False, [401, 200, 200, 200, 200]),
    ("read article", "get", "/api/v1/articles/{article}/", None, False, [401, 200, 200, 200, 200]),
    (
        "read revision",
        "get",
        "/api/v1/articles/{article}/revisions/1/",
        None,
        False,
        [401, 200, 200, 200, 200],
    ),
    ("list tags", "get", "/api/v1/tags/", None, False, [401, 200, 200, 200, 200]),
    ("list sources", "get", "/api/v1/sources/", None, False, [401, 200, 200, 200, 200]),
    ("read source", "get", "/api/v1/sources/{source}/", None, False, [401, 200, 200, 200, 200]),
    ("export jsonl", "get", "/api/v1/export/claims.jsonl", None, False, [401, 200, 200, 200, 200]),
    ("export csv", "get", "/api/v1/export/claims.csv", None, False, [401, 200, 200, 200, 200]),
    (
        "create claim",
        "post",
        "/api/v1/claims/",
        {"article": "{article}", "exact": "substantial budget cuts"},
        False,
        [401, 403, 201, 403, 201],
    ),
    ("edit note", "patch", "/api/v1/claims/{claim}/", {"note": "n"}, True, [401, 403, 200, 200, 200]),
    ("edit tags", "patch", "/api/v1/claims/{claim}/", {"tags": ["health"]}, True, [401, 403, 200, 403, 200]),
    (
        "set verdict",
        "patch",
        "/api/v1/claims/{claim}/",
        {"verdict": "false"},
        True,
        [401, 403, 403, 200, 200],
    ),
    (
        "submit for review",
        "patch",
        "/api/v1/claims/{claim}/",
        {"status": "in_review"},
        True,
        [401, 403, 200, 200, 200],
    ),
    (
        "mark reviewed",
        "patch",
        "/api/v1/claims/{claim}/",
        {"status": "reviewed"},
        True,
        [401, 403, 403, 200, 200],
    ),
    ("delete claim", "delete", "/api/v1/claims/{claim}/", None, True, [401, 403, 204, 403, 204]),
    (
        "attach source",
        "post",
        "/api/v1/claims/{claim}/sources/",
        {"source": "{source}", "relation": "context"},
        True,
        [401, 403, 200, 403, 200],
    ),
    (
        "detach source",
        "delete",
        "/api/v1/claims/{claim}/sources/{source}/",
        None,
        True,
        [401, 403, 200, 403, 200],
    ),
    (
        "import article",
        "post",
        "/api/v1/articles/",
        {"title": "New", "text": "Fresh text 1."},
        False,
        [401, 403, 201, 403, 201],
    ),
    (
        "create source",
        "post",
        "/api/v1/sources/",
        {"url": "https://new.example/", "title": "New"},
        False,
        [401, 403, 201, 201, 201],
    ),
    ("edit source", "patch", "/api/v1/sources/{source}/", {"title": "T"}, False, [401, 403, 200, 200, 200]),
]

MATRIX = [
    pytest.param(role, case, id=f"{role}-{case[0].replace(' ', '_')}") for case in CASES for role in ROLES
]


@pytest.mark.parametrize(("role", "case"), MATRIX)
def test_the_api_enforces_the_permission_table(role, case):
    _, method, template, body, if_match, statuses = case
    author = UserFactory.create(username="matrix-author", role=Role.EDITOR)
    article = ArticleFactory.create(text=DEMO_TEXT)
    source = SourceFactory.create()
    claim = make_claim(article, author, source=source)
    ids = {"claim": claim.pk, "article": article.pk, "source": source.pk}
    path = template.format(**ids)
    data = {
        k: (int(v.format(**ids)) if isinstance(v, str) and v.startswith("{") else v)
        for k, v in (body or {}).items()
    }
    headers = {"HTTP_IF_MATCH": etag_of(claim)} if if_match else {}
    client = client_for(_user(role))
    response = (
        getattr(client, method)(path, data, format="json", **headers)
        if body is not None
        else getattr(client, method)(path, **headers)
    )
    assert response.status_code == statuses[ROLES.index(role)], response.content[:300]
    if response.status_code >= 400:
        assert response.json()["error"]["status"] == response.status_code


def test_anonymous_requests_are_told_to_bring_a_bearer_token(db):
    response = client_for(None).get("/api/v1/claims/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_inactive_users_token_stops_working(researcher):
    client = client_for(researcher)
    researcher.is_active = False
    researcher.save()
    assert client.get("/api/v1/claims/").status_code == 401


def test_a_session_write_needs_a_csrf_token(article, editor):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(editor)
    assert client.get("/api/v1/claims/").status_code == 200
    response = client.post("/api/v1/claims/", {"article": article.pk, "exact": "160,000"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]


# --- Who may see what: one rule (models.visibility), in the querysets and in the raw-SQL paths ---------


def test_the_raw_sql_paths_and_the_querysets_apply_the_same_visibility(article, editor):
    from django.contrib.auth.models import AnonymousUser

    from annotations import db
    from annotations.models import Claim, visibility_sql

    make_claim(article, editor)
    inactive = UserFactory.create(username="gone", role=Role.EDITOR, is_active=False)
    unknown = UserFactory.create(username="intern", role="intern")
    for user in (editor, inactive, unknown, AnonymousUser()):
        condition, params = visibility_sql(user)
        assert len(db.claims(condition, params)) == Claim.objects.visible_to(user).count()
    assert Claim.objects.visible_to(editor).count() == 1
    assert visibility_sql(inactive) == ("FALSE", []) and visibility_sql(editor) == ("TRUE", [])


def test_a_change_of_the_rule_reaches_every_path_of_the_api(editor, monkeypatch):
    from datetime import timedelta

    from django.db.models import Q
    from django.utils import timezone

    from annotations import models
    from annotations.models import Article, Claim

    old, new = ArticleFactory.create(text=DEMO_TEXT), ArticleFactory.create(text=DEMO_TEXT)
    hidden, shown = make_claim(old, editor), make_claim(new, editor)
    cutoff = timezone.now() - timedelta(days=1)
    Article.objects.filter(pk=old.pk).update(created_at=cutoff - timedelta(days=1))
    Claim.objects.filter(pk=hidden.pk).update(created_at=cutoff - timedelta(days=1))
    # A rule with a condition (not just all or nothing): only what was made since the cutoff.
    monkeypatch.setattr(models, "visibility", lambda user: Q(created_at__gte=cutoff))
    client = client_for(editor)

    def ids(url: str) -> list[int]:
        return [claim["id"] for claim in client.get(url).json()["results"]]

    assert ids("/api/v1/claims/") == [shown.pk]  # the plain SQL list
    assert ids(f"/api/v1/claims/?article={old.pk}") == []
    assert ids("/api/v1/claims/?status=draft") == [shown.pk]  # the FilterSet's queryset
    assert client.get(f"/api/v1/claims/{hidden.pk}/").status_code == 404
    assert client.get(f"/api/v1/claims/{shown.pk}/").status_code == 200
    assert client.get(f"/api/v1/articles/{old.pk}/").status_code == 404
    body = {"start": 0, "end": 3}
    refused = client.post("/api/v1/claims/", {"article": old.pk, **body}, format="json")
    assert refused.status_code == 400 and "no such article" in str(refused.json())
    assert client.post("/api/v1/claims/", {"article": new.pk, **body}, format="json").status_code == 201
