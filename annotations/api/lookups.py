"""The reads behind creating and editing a claim through the API, as prepared statements.

Creating a claim is the API's hottest write; compiling its ORM lookups cost more than running them,
and each is a round trip. Here the article, its current revision's text and the named tags come back
from one statement, as model instances with only the fields the service reads loaded.
"""

from __future__ import annotations

from typing import Any

import orjson
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Model

from annotations import db
from annotations.models import Article, Revision, Tag


def _loaded(model: type[Model], *names: str) -> list[str]:
    # `Model.from_db` takes a subset of the fields in the model's own order; the others stay deferred.
    return [field.attname for field in model._meta.concrete_fields if field.attname in names]


_ARTICLE_FIELDS = _loaded(Article, "id", "title", "url", "current_revision_id")
_REVISION_FIELDS = _loaded(Revision, "id", "article_id", "number", "created_at", "text")
_TAG_FIELDS = [field.attname for field in Tag._meta.concrete_fields]
_TAGS_JSON = (
    f"(SELECT json_agg(t ORDER BY t.facet, t.position, t.name) FROM {Tag._meta.db_table} t"  # Meta.ordering
    " WHERE t.slug = ANY(%s::text[]))::text"
)
_FIND_ARTICLE = (
    f"SELECT {', '.join(f'a."{name}"' for name in _ARTICLE_FIELDS)},"
    f" {', '.join(f'r."{name}"' for name in _REVISION_FIELDS)}, {_TAGS_JSON}"
    f" FROM {Article._meta.db_table} a LEFT JOIN {Revision._meta.db_table} r ON r.id = a.current_revision_id"
    " WHERE a.id = %s"
)
_FIND_TAGS = f"SELECT {_TAGS_JSON}"


def article_and_tags(pk: int, slugs: list[str]) -> tuple[Article | None, list[Tag]]:
    """The article `pk` (its current revision loaded, without the HTML) and the tags among `slugs`."""
    found = db.fetch(_FIND_ARTICLE, [db.text_array(slugs), pk])
    if not found:
        return None, []
    row = found[0]
    split, end = len(_ARTICLE_FIELDS), len(_ARTICLE_FIELDS) + len(_REVISION_FIELDS)
    article = Article.from_db(DEFAULT_DB_ALIAS, _ARTICLE_FIELDS, row[:split])
    if row[split] is not None:
        article.current_revision = Revision.from_db(DEFAULT_DB_ALIAS, _REVISION_FIELDS, row[split:end])
    return article, _tags(row[end])


def tags(slugs: list[str]) -> list[Tag]:
    """The tags among `slugs`, in Tag.Meta.ordering."""
    return _tags(db.fetch(_FIND_TAGS, [db.text_array(slugs)])[0][0])


def _tags(found: str | None) -> list[Tag]:
    rows: list[dict[str, Any]] = orjson.loads(found) if found else []
    return [Tag.from_db(DEFAULT_DB_ALIAS, _TAG_FIELDS, [row[name] for name in _TAG_FIELDS]) for row in rows]
