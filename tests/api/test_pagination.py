"""Keyset pagination (annotations/api/pagination.py): cursors, syncs by `updated_since`, page sizes,
and a page's cost whatever its size."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from annotations import services
from annotations.models import Claim, Source
from tests.api.helpers import client_for, many_claims

pytestmark = pytest.mark.django_db


def _follow(client, url: str) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    while url:
        page = client.get(url).json()
        seen.extend(page["results"])
        url = page["next"]
    return seen


def test_it_pages_through_every_claim_once_with_cursors(editor, researcher):
    claims = many_claims(editor, 25)
    seen = _follow(client_for(researcher), "/api/v1/claims/?page_size=10")
    assert [c["id"] for c in seen] == [c.pk for c in claims]


def test_a_sync_sees_unchanged_claims_once_and_changed_claims_again(editor, researcher):
    claims = many_claims(editor, 12)
    # Every claim with the same timestamp: ties must not make the cursor skip or repeat anything.
    Claim.objects.update(updated_at=timezone.now() - timedelta(minutes=5))
    client = client_for(researcher)
    since = (timezone.now() - timedelta(hours=1)).isoformat()
    first = client.get("/api/v1/claims/", {"updated_since": since, "page_size": "5"}).json()
    changed = claims[0]
    services.update_claim(claim=changed, by=editor, expected_version=changed.version, note="changed")
    rest = _follow(client, first["next"])
    ids = [c["id"] for c in first["results"] + rest]
    assert sorted(set(ids)) == sorted(c.pk for c in claims)
    assert ids.count(changed.pk) == 2  # once as it was, once changed
    assert all(ids.count(c.pk) == 1 for c in claims[1:])


def test_it_accepts_page_sizes_up_to_1000_only(researcher):
    client = client_for(researcher)
    assert client.get("/api/v1/claims/?page_size=1000").status_code == 200
    assert client.get("/api/v1/claims/?page_size=1001").status_code == 400
    assert client.get("/api/v1/claims/?cursor=garbage").status_code == 400


def test_listing_claims_takes_the_same_queries_for_10_or_100(editor, researcher):
    many_claims(editor, 100)
    source = Source.objects.create(url="https://s.example/", title="S")
    for claim in Claim.objects.all()[:50]:
        services.attach_source(
            claim=claim, source=source, relation="context", by=editor, expected_version=claim.version
        )
    client = client_for(researcher)
    for _ in range(2):  # warm up: the token looked up and remembered, rate-limit hits reserved ahead
        client.get("/api/v1/claims/?page_size=1")
    counts = []
    for size in (10, 100):
        with CaptureQueriesContext(connection) as queries:
            assert len(client.get(f"/api/v1/claims/?page_size={size}").json()["results"]) == size
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert counts[1] <= 6  # claims, tag links, tags, sources: one pipeline (+ slack for a reservation)


def test_the_plain_sql_page_serves_nothing_to_someone_who_may_not_see_claims(editor):
    from django.contrib.auth.models import AnonymousUser
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from annotations.api.pagination import KeysetPagination

    many_claims(editor, 3)
    for user, expected in ((editor, 3), (AnonymousUser(), 0)):
        request = Request(APIRequestFactory().get("/api/v1/claims/"))
        request.user = user
        assert len(KeysetPagination().paginate_sql(request, [], [])) == expected
