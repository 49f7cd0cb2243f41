"""Helpers shared by the API tests: clients per user, claims made through the services, contract files."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from rest_framework.test import APIClient

from annotations import services
from annotations.models import ApiToken, Article, Claim, Source, Tag, User
from tests.factories import ArticleFactory

RESPONSES = Path(__file__).resolve().parents[1] / "responses"
W3C_PROFILE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'


def client_for(user: User | None, *, token: bool = True) -> APIClient:
    """A client authenticated as `user` with a real bearer token (or its session when token=False)."""
    client = APIClient()
    if user is None:
        return client
    if token:
        _, raw = ApiToken.issue(user, name="tests")
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    else:
        client.force_login(user)
    return client


def make_claim(
    article: Article,
    by: User,
    quote: str = "160,000 asylum seekers",
    *,
    tags: tuple[str, ...] = (),
    note: str = "",
    verdict: str = "",
    reviewer: User | None = None,
    source: Source | None = None,
    relation: str = "supports",
) -> Claim:
    assert article.current_revision is not None
    text = article.current_revision.text
    start = text.index(quote)
    claim = services.create_claim(
        article=article,
        by=by,
        start=start,
        end=start + len(quote),
        note=note,
        tags=list(Tag.objects.filter(slug__in=tags)),
    )
    if source is not None:
        claim = services.attach_source(
            claim=claim, source=source, relation=relation, quote="", by=by, expected_version=claim.version
        )
    if verdict:
        claim = services.update_claim(
            claim=claim, by=reviewer or by, expected_version=claim.version, verdict=verdict
        )
    claim.refresh_from_db()
    return claim


def many_claims(editor: User, count: int) -> list[Claim]:
    """`count` claims, one per word of a new article, in id order."""
    words = " ".join(f"w{i:04d}" for i in range(count))
    article = ArticleFactory.create(text=words)
    return [make_claim(article, editor, f"w{i:04d}") for i in range(count)]


def etag_of(claim: Claim) -> str:
    claim.refresh_from_db()
    return f'"claim-{claim.pk}-v{claim.version}"'


_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
_DATE = re.compile(r"^\d{4}-\d\d-\d\d$")
_IDS = re.compile(r"/(claims|articles|sources)/\d+/")
_CURSOR = re.compile(r"cursor=[A-Za-z0-9_-]+")


def normalise(data: Any) -> Any:
    """The volatile parts of a response (ids, timestamps, cursors) replaced by placeholders."""
    if isinstance(data, dict):
        return {
            key: ("<id>" if key in ("id", "article") and isinstance(value, int) else normalise(value))
            for key, value in data.items()
        }
    if isinstance(data, list):
        return [normalise(item) for item in data]
    if isinstance(data, str):
        if _DATETIME.match(data):
            return "<datetime>"
        if _DATE.match(data):
            return "<date>"
        return _CURSOR.sub("cursor=<cursor>", _IDS.sub(lambda m: f"/{m[1]}/<id>/", data))
    return data


def assert_matches_contract(name: str, data: Any) -> None:
    """Compare with tests/responses/NAME.json (written on first run, or with UPDATE_RESPONSES=1)."""
    path = RESPONSES / f"{name}.json"
    actual = normalise(data)
    if os.environ.get("UPDATE_RESPONSES") or not path.exists():
        missing = not path.exists()
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(actual, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
        assert not missing, f"wrote the new contract {path.name}: review it, then run the tests again"
    expected = json.loads(path.read_text())
    assert actual == expected, f"response differs from {path.relative_to(RESPONSES.parent.parent)}"
