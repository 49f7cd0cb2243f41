"""How a claim looks outside the app: the plain JSON representation every other format is built from.

Claims are read as plain rows (`values()`) plus two batched queries for their tags and sources, never as
model instances: a page of 1,000 claims costs three queries and no per-object ORM work, and the same
rows feed the JSON API, the W3C and ClaimReview renderers and the streamed CSV/JSONL export.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import orjson
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL
from rest_framework.renderers import BaseRenderer

from annotations.models import Claim, ClaimSource, ClaimTag

API_PREFIX = "/api/v1/"

# The columns of one claim row; the joins are to-one, so one query serves a whole page.
CLAIM_FIELDS = (
    "id",
    "article_id",
    "article__title",
    "article__url",
    "revision__number",
    "revision__created_at",
    "start",
    "end",
    "exact",
    "prefix",
    "suffix",
    "status",
    "verdict",
    "note",
    "anchor_state",
    "created_by__username",
    "created_at",
    "updated_by__username",
    "updated_at",
    "version",
)

VERDICT_LABELS: dict[str, str] = {str(value): str(label) for value, label in Claim.Verdict.choices if value}

Row = dict[str, Any]


def claim_rows(queryset: QuerySet[Claim]) -> list[Row]:
    """The rows of `queryset` (already filtered, ordered and sliced), each with its tags and sources."""
    return attach_related(list(queryset.values(*CLAIM_FIELDS)))


def attach_related(rows: list[Row]) -> list[Row]:
    """Add `tags` and `sources` to claim rows: two queries whatever the number of rows."""
    ids = [row["id"] for row in rows]
    if not ids:
        return rows
    tags: dict[int, list[Row]] = defaultdict(list)
    for claim_id, slug, name, facet in (
        ClaimTag.objects.filter(_claim_in(ids))
        .order_by("tag__facet", "tag__position", "tag__name")
        .values_list("claim_id", "tag__slug", "tag__name", "tag__facet")
    ):
        tags[claim_id].append({"slug": slug, "name": name, "facet": facet})
    sources: dict[int, list[Row]] = defaultdict(list)
    for link in (
        ClaimSource.objects.filter(_claim_in(ids))
        .order_by("pk")
        .values(
            "claim_id",
            "source_id",
            "source__url",
            "source__title",
            "source__publisher",
            "source__kind",
            "relation",
            "quote",
        )
    ):
        sources[link["claim_id"]].append(dict(link))
    for row in rows:
        row["tags"] = tags.get(row["id"], [])
        row["sources"] = sources.get(row["id"], [])
    return rows


def _claim_in(ids: list[int]) -> RawSQL:
    # One array parameter (`= ANY(%s)`), not `IN (%s, %s, ...)` with thousands: building and parsing
    # that statement cost more than running it on a 2,000-claim export chunk.
    return RawSQL("claim_id = ANY(%s)", (ids,), output_field=BooleanField())


class Links:
    """Absolute URLs of API resources, built by formatting rather than by `reverse()` per object."""

    def __init__(self, origin: str) -> None:
        self.api = origin.rstrip("/") + API_PREFIX

    def claim(self, pk: int) -> str:
        return f"{self.api}claims/{pk}/"

    def article(self, pk: int) -> str:
        return f"{self.api}articles/{pk}/"

    def revision(self, article_pk: int, number: int) -> str:
        return f"{self.api}articles/{article_pk}/revisions/{number}/"

    def source(self, pk: int) -> str:
        return f"{self.api}sources/{pk}/"


def claim_json(row: Row, links: Links) -> dict[str, Any]:
    """The JSON representation of one claim (documented by `serializers.ClaimSerializer`)."""
    article_id = row["article_id"]
    return {
        "id": row["id"],
        "url": links.claim(row["id"]),
        "article": {
            "id": article_id,
            "url": links.article(article_id),
            "title": row["article__title"],
            "canonical_url": row["article__url"] or None,
        },
        "revision": {
            "number": row["revision__number"],
            "url": links.revision(article_id, row["revision__number"]),
            "created_at": row["revision__created_at"],
        },
        "selector": {
            "start": row["start"],
            "end": row["end"],
            "exact": row["exact"],
            "prefix": row["prefix"],
            "suffix": row["suffix"],
        },
        "tags": row["tags"],
        "sources": [
            {
                "id": link["source_id"],
                "url": links.source(link["source_id"]),
                "source_url": link["source__url"] or None,
                "title": link["source__title"],
                "publisher": link["source__publisher"],
                "kind": link["source__kind"],
                "relation": link["relation"],
                "quote": link["quote"],
            }
            for link in row["sources"]
        ],
        "status": row["status"],
        "verdict": row["verdict"] or None,
        "note": row["note"],
        "anchor_state": row["anchor_state"],
        "created_by": row["created_by__username"],
        "created_at": row["created_at"],
        "updated_by": row["updated_by__username"],
        "updated_at": row["updated_at"],
        "version": row["version"],
    }


def etag(claim_id: int, version: int) -> str:
    """The strong entity tag of one version of a claim: changes exactly when the version does."""
    return f'"claim-{claim_id}-v{version}"'


def isoformat(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


class OrjsonRenderer(BaseRenderer):
    """application/json through orjson: several times faster than the standard encoder on big pages."""

    media_type = "application/json"
    format = "json"
    charset = None

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        return orjson.dumps(data, default=_default, option=orjson.OPT_UTC_Z)


def _default(value: Any) -> Any:
    # Lazy translation strings and other str-like values from Django and DRF error details.
    if isinstance(value, Iterable) and not isinstance(value, str | bytes | Mapping):
        return list(value)
    return str(value)


class LinkedDataRenderer(OrjsonRenderer):
    """A JSON-LD format built from the plain claim JSON; errors keep the one JSON error shape."""

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        response = (renderer_context or {}).get("response")
        # Errors, and anything else that is not a claim or a page of claims (an OPTIONS description),
        # keep their plain JSON shape.
        if response is None or response.status_code >= 400 or not (is_page(data) or is_claim(data)):
            return super().render(data, accepted_media_type, renderer_context)
        request = (renderer_context or {}).get("request")
        return orjson.dumps(self.transform(data, request), default=_default, option=orjson.OPT_UTC_Z)

    def transform(self, data: Any, request: Any) -> Any:
        raise NotImplementedError


def is_claim(data: Any) -> bool:
    return isinstance(data, dict) and "selector" in data and "version" in data


def is_page(data: Any) -> bool:
    return isinstance(data, dict) and "results" in data and "next" in data
