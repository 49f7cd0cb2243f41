"""How a claim looks outside the app: the plain JSON representation every other format is built from.

Claims are read as plain rows (`db.py`, or `values()` of a filtered queryset) plus two batched
queries for their tags and sources, never as model instances: a page of 1,000 claims costs three
queries and no per-object ORM work, and the same rows feed the JSON API, the W3C and ClaimReview
renderers and the streamed CSV/JSONL export.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from annotations.db import FIELDS as CLAIM_FIELDS
from annotations.db import Row, attach_related, make_rows
from annotations.models import Article, Claim, Tag, User

API_PREFIX = "/api/v1/"

VERDICT_LABELS: dict[str, str] = {str(value): str(label) for value, label in Claim.Verdict.choices if value}


def claim_rows(queryset: QuerySet[Claim]) -> list[Row]:
    """The rows of `queryset` (already filtered, ordered and sliced), each with its tags and sources."""
    return attach_related(make_rows(queryset.values_list(*CLAIM_FIELDS)))


# How `written_row` reads each column from the objects that wrote the claim: `relation__attribute` from
# the related object (None without a user), any other name from the claim itself.
_WRITTEN = [(relation, name) for relation, _, name in (field.rpartition("__") for field in CLAIM_FIELDS)]


def written_row(claim: Claim, article: Article, by: User | None, tags: list[Tag]) -> Row:
    """The row of a claim just created with `tags` and no sources, from the objects that wrote it:
    what reading it back would return (timestamps included: the database stores Python's values)."""
    related: dict[str, Any] = {
        "article": article,
        "revision": claim.revision,
        "created_by": by,
        "updated_by": by,
    }
    values = []
    for relation, name in _WRITTEN:
        source = related[relation] if relation else claim
        values.append(None if source is None else getattr(source, name))
    # Tags in the order `Tag.objects` returns them (Tag.Meta.ordering), as a read would list them.
    listed = [{"slug": tag.slug, "name": tag.name, "facet": tag.facet} for tag in tags]
    return Row._make((*values, listed, []))


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


# (article id, revision number) -> the "article" and "revision" parts of its claims' JSON.
SharedParts = dict[tuple[int, int], tuple[dict[str, Any], dict[str, Any]]]


def claim_json(row: Row, links: Links, shared: SharedParts | None = None) -> dict[str, Any]:
    """The JSON representation of one claim (documented by `serializers.ClaimSerializer`).

    `shared`: claims of one article revision get the same "article" and "revision" dicts, built once
    (the export, which only encodes them, passes one per chunk; a chunk's claims share a few articles).
    """
    article_id = row.article_id
    parts = shared.get((article_id, row.revision__number)) if shared is not None else None
    if parts is None:
        parts = (
            {
                "id": article_id,
                "url": links.article(article_id),
                "title": row.article__title,
                "canonical_url": row.article__url or None,
            },
            {
                "number": row.revision__number,
                "url": links.revision(article_id, row.revision__number),
                "created_at": row.revision__created_at,
            },
        )
        if shared is not None:
            shared[article_id, row.revision__number] = parts
    return {
        "id": row.id,
        "url": links.claim(row.id),
        "article": parts[0],
        "revision": parts[1],
        "selector": {
            "start": row.start,
            "end": row.end,
            "exact": row.exact,
            "prefix": row.prefix,
            "suffix": row.suffix,
        },
        "tags": row.tags,
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
                "link_check": _link_check(link),
            }
            for link in row.sources
        ],
        "status": row.status,
        "verdict": row.verdict or None,
        "note": row.note,
        "anchor_state": row.anchor_state,
        "cluster": row.cluster_id,
        "created_by": row.created_by__username,
        "created_at": row.created_at,
        "updated_by": row.updated_by__username,
        "updated_at": row.updated_at,
        "version": row.version,
    }


def _link_check(link: dict[str, Any]) -> dict[str, Any] | None:
    """The source's last link check (documented by `serializers.LinkCheckSerializer`), None without one."""
    if link["source__link_check__state"] is None:
        return None
    return {
        "state": link["source__link_check__state"],
        "status": link["source__link_check__status"],
        "final_url": link["source__link_check__final_url"] or None,
        "title": link["source__link_check__title"],
        "checked_at": link["source__link_check__checked_at"],
        "changed_at": link["source__link_check__changed_at"],
        "error": link["source__link_check__error"],
    }


def etag(claim_id: int, version: int) -> str:
    """The strong entity tag of one version of a claim: changes exactly when the version does."""
    return f'"claim-{claim_id}-v{version}"'


def isoformat(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def is_claim(data: Any) -> bool:
    return isinstance(data, dict) and "selector" in data and "version" in data


def is_page(data: Any) -> bool:
    return isinstance(data, dict) and "results" in data and "next" in data
