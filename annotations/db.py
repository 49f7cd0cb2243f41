"""Claim rows straight from SQL: the statements behind `formats`, written once instead of compiled per call.

Building a `values()` query with four to-one joins costs the ORM more (path resolution, join setup,
compilation) than PostgreSQL spends running it, and the list, a single claim and the export run these
statements on every request. They return the same `Row`s as `values_list(*FIELDS)` of a queryset, so
any ORM-filtered queryset (the FilterSet's) and these statements feed the same `claim_json`. A claim's
tags and sources come from statements sent in the same pipeline: a page costs one round trip.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, NamedTuple

import psycopg
from django.db import connection

from annotations.models import Article, Claim, ClaimSource, ClaimTag, Revision, Source, Tag, User

# The columns of one claim row, named as `formats.CLAIM_FIELDS` names them (same order).
_COLUMNS = (
    ("id", "c.id"),
    ("article_id", "c.article_id"),
    ("article__title", "a.title"),
    ("article__url", "a.url"),
    ("revision__number", "r.number"),
    ("revision__created_at", "r.created_at"),
    ("start", "c.start"),
    ("end", 'c."end"'),
    ("exact", "c.exact"),
    ("prefix", "c.prefix"),
    ("suffix", "c.suffix"),
    ("status", "c.status"),
    ("verdict", "c.verdict"),
    ("note", "c.note"),
    ("anchor_state", "c.anchor_state"),
    ("created_by__username", "cu.username"),
    ("created_at", "c.created_at"),
    ("updated_by__username", "uu.username"),
    ("updated_at", "c.updated_at"),
    ("version", "c.version"),
)
FIELDS = tuple(name for name, _ in _COLUMNS)

SELECT_CLAIMS = (
    f"SELECT {', '.join(column for _, column in _COLUMNS)}"
    f" FROM {Claim._meta.db_table} c"
    f" JOIN {Article._meta.db_table} a ON a.id = c.article_id"
    f" JOIN {Revision._meta.db_table} r ON r.id = c.revision_id"
    f" LEFT JOIN {User._meta.db_table} cu ON cu.id = c.created_by_id"
    f" LEFT JOIN {User._meta.db_table} uu ON uu.id = c.updated_by_id"
)

# A claim's tags are listed as the tag pickers show them (Tag.Meta.ordering): the links are read as
# bare ids and put in the order of the (few dozen) tags in Python, which costs a tenth of having
# PostgreSQL join and sort thousands of links by three text columns. Sources in the order attached.
_TAG_LINKS = f"SELECT ct.claim_id, ct.tag_id FROM {ClaimTag._meta.db_table} ct WHERE ct.claim_id {{claims}}"
_ALL_TAGS = (
    f"SELECT t.id, t.slug, t.name, t.facet FROM {Tag._meta.db_table} t ORDER BY t.facet, t.position, t.name"
)
_SOURCES = (
    "SELECT cs.claim_id, cs.source_id, s.url, s.title, s.publisher, s.kind, cs.relation, cs.quote"
    f" FROM {ClaimSource._meta.db_table} cs JOIN {Source._meta.db_table} s ON s.id = cs.source_id"
    " WHERE cs.claim_id {claims} ORDER BY cs.id"
)
_SOURCE_KEYS = (
    "claim_id",
    "source_id",
    "source__url",
    "source__title",
    "source__publisher",
    "source__kind",
    "relation",
    "quote",
)


class Row(NamedTuple):
    """One claim as every format reads it: the columns above, then its tags and its sources.

    A tuple, not a dict: built once per claim from the database's tuple, with attribute access in C
    (the export builds 100,000 of these; dicts of 22 keys cost it a sixth of its time).
    """

    id: int
    article_id: int
    article__title: str
    article__url: str
    revision__number: int
    revision__created_at: datetime
    start: int
    end: int
    exact: str
    prefix: str
    suffix: str
    status: str
    verdict: str
    note: str
    anchor_state: str
    created_by__username: str | None
    created_at: datetime
    updated_by__username: str | None
    updated_at: datetime
    version: int
    tags: list[dict[str, Any]]  # filled by `attach_related`
    sources: list[dict[str, Any]]  # filled by `attach_related`


def make_rows(found: Iterable[Sequence[Any]]) -> list[Row]:
    """Rows from tuples of the `FIELDS` columns, their tags and sources still empty."""
    # `tuple.__new__` rather than `Row(...)`: the named tuple's own constructor parses 22 keyword-able
    # arguments in Python, a fifth of reading an export chunk.
    new = tuple.__new__
    return [new(Row, (*values, [], [])) for values in found]


def fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """The rows of one statement, run as a prepared statement on Django's connection (`fetch_all`)."""
    return fetch_all([(sql, params)])[0]


def fetch_all(statements: Sequence[tuple[str, Sequence[Any]]]) -> list[list[tuple[Any, ...]]]:
    """The rows of each statement, run as prepared statements on Django's connection, in binary, and
    several of them in one pipeline: sent together, one round trip for all.

    Planning the five-table claim join costs PostgreSQL about 1 ms, more than running it does for a
    page, and Django's psycopg cursors bind parameters client-side, so nothing is ever prepared.
    psycopg prepares a statement once per connection and reuses it after; the connection is told to
    keep one generic plan per statement rather than replan each call (only these statements are
    prepared on it: Django prepares none). Rows come in binary, which psycopg decodes in C (Django's
    text loader for timestamps calls Python per value: 6,000 calls for an export chunk).

    The statements go to psycopg directly, past Django's execute wrappers: so pghistory adds no
    history context to them (a prepared statement could not take its `set_config` prefix anyway).
    Only for reads, and for writes to tables without history (the rate-limit counts). Logged in
    `connection.queries` as Django's own cursors are.
    """
    raw = _prepared_connection()
    with connection.wrap_database_errors:
        with raw.pipeline() if len(statements) > 1 else contextlib.nullcontext():
            sent = send(statements)
        return receive(sent)


def _prepared_connection() -> psycopg.Connection[Any]:
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw: psycopg.Connection[Any] = connection.connection
    if raw.prepare_threshold is None:
        # Django switches psycopg's preparing off (its client-side cursors could not use it anyway);
        # let explicit `prepare=True` through, and still never prepare anything automatically.
        raw.prepare_threshold = sys.maxsize
        with connection.wrap_database_errors:
            # Inside a transaction that is rolled back this is undone: plans are then made per call.
            raw.execute("SET plan_cache_mode = force_generic_plan")
    return raw


@contextlib.contextmanager
def pipeline() -> Iterator[None]:
    """Django's connection in pipeline mode: what `send` sends runs while the caller does other work,
    until `receive` reads it."""
    raw = _prepared_connection()
    with connection.wrap_database_errors, raw.pipeline():
        yield


class Sent(NamedTuple):
    statements: Sequence[tuple[str, Sequence[Any]]]
    cursors: list[psycopg.Cursor[tuple[Any, ...]]]
    started: float


def send(statements: Sequence[tuple[str, Sequence[Any]]], *, client_side: bool = False) -> Sent:
    """Send statements as prepared statements, results in binary; in a pipeline, without waiting.
    `client_side`: SQL compiled by Django's ORM, bound as Django binds it, neither prepared nor binary."""
    raw = connection.connection
    started = time.monotonic()
    cursors: list[psycopg.Cursor[tuple[Any, ...]]] = []
    with connection.wrap_database_errors:
        for sql, params in statements:
            if client_side:
                cursors.append(psycopg.ClientCursor(raw))
                cursors[-1].execute(sql, params)
            else:
                # psycopg's own cursors bind server-side, unlike Django's.
                cursors.append(psycopg.Cursor(raw))
                cursors[-1].execute(sql, params, prepare=True, binary=True)
    return Sent(statements, cursors, started)


def receive(sent: Sent) -> list[list[tuple[Any, ...]]]:
    """The rows of each statement `send` sent (waiting for them if need be)."""
    try:
        with connection.wrap_database_errors:
            results = [cursor.fetchall() for cursor in sent.cursors]
    finally:
        for cursor in sent.cursors:
            cursor.close()
    if connection.queries_logged:
        duration = f"{time.monotonic() - sent.started:.3f}"
        for sql, params in sent.statements:
            connection.queries_log.append({"sql": f"{sql} -- {list(params)!r}", "time": duration})
    return results


def claims(where: str = "", params: list[Any] | None = None, tail: str = "") -> list[Row]:
    """Claim rows `WHERE <where> <tail>` (columns qualified with `c.`, e.g. `c.article_id = %s`),
    without their tags and sources (`attach_related` adds them: merging those into this statement as
    JSON subqueries was measured slower, even counting the round trips it saves)."""
    sql = SELECT_CLAIMS + (f" WHERE {where}" if where else "") + (f" {tail}" if tail else "")
    return make_rows(fetch(sql, params or []))


def id_array(ids: list[int]) -> str:
    """Ids as one PostgreSQL array literal, for `= ANY(%s::bigint[])`.

    One parameter rather than `IN (%s, %s, ...)`: one statement to prepare whatever the count. And as
    text, because psycopg dumps a Python list of ints element by element in Python (about 5 ms for
    an export chunk of 2,000), where `str.join` takes a tenth of that.
    """
    return "{" + ",".join(map(str, ids)) + "}"


def text_array(values: list[str]) -> str:
    """Strings as one PostgreSQL array literal, for `= ANY(%s::text[])` (as `id_array`, and why)."""
    quoted = (value.replace("\\", "\\\\").replace('"', '\\"') for value in values)
    return "{" + ",".join(f'"{value}"' for value in quoted) + "}"


def claims_with_related(where: str, params: list[Any], tail: str = "") -> list[Row]:
    """As `claims`, with their tags and sources, in one round trip: the tags' and sources' statements
    select the same claims by the same condition (a cheap index scan), so the three go in one pipeline
    rather than each waiting for the ids the one before returns."""
    condition = (f" WHERE {where}" if where else "") + (f" {tail}" if tail else "")
    # `= ANY(ARRAY(...))`: the page's ids computed once, then looked up by index; as `IN (...)` the
    # generic plan would join the subquery against every row of the claims' tags.
    chosen = f"= ANY(ARRAY(SELECT c.id FROM {Claim._meta.db_table} c{condition}))"
    found, *related = fetch_all([(SELECT_CLAIMS + condition, params), *_related(chosen, params)])
    return _attach(make_rows(found), *related)


def claims_by_ids(ids: list[int]) -> list[Row]:
    """The claims with these ids, by id, with their tags and sources: one round trip (a pipeline)."""
    return rows_of(fetch_all(by_ids_statements(ids)))


def by_ids_statements(ids: list[int]) -> list[tuple[str, list[Any]]]:
    """The statements whose results `rows_of` makes into the claims with these ids, by id."""
    array = [id_array(ids)]
    by_ids = "= ANY(%s::bigint[])"
    return [(SELECT_CLAIMS + f" WHERE c.id {by_ids} ORDER BY c.id", array), *_related(by_ids, array)]


def rows_of(results: list[Fetched]) -> list[Row]:
    """Claim rows with their tags and sources, from the results of `by_ids_statements`' statements."""
    found, *related = results
    return _attach(make_rows(found), *related)


def attach_related(rows: list[Row]) -> list[Row]:
    """Fill in the `tags` and `sources` of claim rows: one round trip whatever the number of rows."""
    if not rows:
        return rows
    return _attach(rows, *fetch_all(_related("= ANY(%s::bigint[])", [id_array([row.id for row in rows])])))


Fetched = list[tuple[Any, ...]]


def _related(claims: str, params: list[Any]) -> list[tuple[str, list[Any]]]:
    """The statements `_attach` reads, for the claims whose id is `claims` (`= ANY(...)`)."""
    return [
        (_TAG_LINKS.format(claims=claims), params),
        (_ALL_TAGS, []),
        (_SOURCES.format(claims=claims), params),
    ]


def _attach(rows: list[Row], tag_links: Fetched, all_tags: Fetched, source_rows: Fetched) -> list[Row]:
    # A tag reads the same on every claim: one dict per tag, shared (it is only ever serialised).
    ranked = {
        tag_id: (rank, {"slug": slug, "name": name, "facet": facet})
        for rank, (tag_id, slug, name, facet) in enumerate(all_tags)
    }
    tags: dict[int, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    for claim_id, tag_id in tag_links:
        # (Outside a transaction the statements see successive snapshots: a tag deleted between the
        # two is left out, as a read a moment later would.)
        if (tag := ranked.get(tag_id)) is not None:
            tags[claim_id].append(tag)
    sources: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for link in source_rows:
        sources[link[0]].append(dict(zip(_SOURCE_KEYS, link, strict=True)))
    for row in rows:
        if found := tags.get(row.id):
            if len(found) > 1:
                found.sort(key=_by_rank)  # (ranks are unique: the dicts are never compared)
            row.tags.extend([tag for _, tag in found])
        if linked := sources.get(row.id):
            row.sources.extend(linked)
    return rows


def _by_rank(ranked: tuple[int, dict[str, Any]]) -> int:
    return ranked[0]
