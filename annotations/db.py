"""Claim rows straight from SQL: every raw statement of the app, written once instead of compiled per call.

Building a `values()` query with four to-one joins costs the ORM more (path resolution, join setup,
compilation) than PostgreSQL spends running it, and the list, a single claim and the export run these
statements on every request. They return the same `Row`s as `values_list(*FIELDS)` of a queryset, so
any ORM-filtered queryset (the FilterSet's) and these statements feed the same `claim_json`. A claim's
tags and sources come from statements sent in the same pipeline: a page costs one round trip.

`Row` is the one list of a claim's columns: the SELECT, `FIELDS`, `formats.written_row` and the CSV
columns are derived from it when this module is imported (nothing per row).

Connections: reads go to `router.db_for_read(Claim)`, writes to `router.db_for_write(Claim)` (both
"default" without a router), so a read replica (DESIGN.md) needs only a router. (pghistory's context
wraps the default connection only: writes with history must stay on "default".)

Behind PgBouncer: the reads are server-side prepared statements, sent in pipelines, and each connection
is told once `SET plan_cache_mode = force_generic_plan`; both are session state. With session pooling
(or no pooler) nothing needs configuring. In transaction pooling each transaction may run on another
server connection: the SET stays on the one it ran on (changing the plans of whichever client gets it
next, and not this one's), and a statement prepared on one server connection is unknown on the next.
PgBouncer >= 1.21 with `max_prepared_statements` > 0 tracks protocol-level prepared statements (psycopg's
are) and prepares them on each server connection as needed; set `plan_cache_mode = force_generic_plan`
for the role or database then (`ALTER ROLE ... SET`), as the SET cannot be relied on. With an older
PgBouncer, or without that setting, set `DB_PREPARED_STATEMENTS=false`: the statements are sent
unprepared (still bound server-side, in binary, and pipelined; PostgreSQL then plans every call, about
1 ms a page more) and the SET is skipped. Django's own cursors never prepare (psycopg's
`prepare_threshold` stays None unless the database OPTIONS set it).
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, NamedTuple

import orjson
import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model

from annotations.models import (
    Article,
    Claim,
    ClaimSource,
    ClaimTag,
    LinkCheck,
    RateWindow,
    Revision,
    Source,
    Tag,
    User,
)


class Row(NamedTuple):
    """One claim as every format reads it: its columns (named as `values_list` names them, so also the
    ORM's `FIELDS`), then its tags and its sources.

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
    cluster_id: int | None  # the same claim in other articles, as editors confirmed it (issue 13)
    created_by__username: str | None
    created_at: datetime
    updated_by__username: str | None
    updated_at: datetime
    version: int
    tags: list[dict[str, Any]]  # filled by `attach_related`
    sources: list[dict[str, Any]]  # filled by `attach_related`


# The columns read from the database: all of `Row` but the two lists filled in after.
FIELDS: tuple[str, ...] = Row._fields[:-2]

# The tables a row joins, by the relation its field names go through (`article__title`: the `title`
# of the table joined as `a`). The only names that differ between `Row` and the SQL.
_JOINED = {"article": "a", "revision": "r", "created_by": "cu", "updated_by": "uu"}


def _column(name: str) -> str:
    # Names resolved through the models (`end` is quoted, a typo fails on import).
    relation, _, attribute = name.rpartition("__")
    if not relation:
        return f'c."{Claim._meta.get_field(name).column}"'  # type: ignore[union-attr]
    related = _related_model(relation)
    return f'{_JOINED[relation]}."{related._meta.get_field(attribute).column}"'  # type: ignore[union-attr]


def _related_model(relation: str) -> type[Model]:
    related = Claim._meta.get_field(relation).related_model
    if not (isinstance(related, type) and issubclass(related, Model)):
        raise TypeError(f"Claim.{relation} is not a relation to a model")
    return related


def _join(relation: str) -> str:
    field = Claim._meta.get_field(relation)
    related = _related_model(relation)
    alias = _JOINED[relation]
    kind = "LEFT JOIN" if field.null else "JOIN"
    return f' {kind} {related._meta.db_table} {alias} ON {alias}.id = c."{field.column}"'  # type: ignore[union-attr]


SELECT_CLAIMS = (
    f"SELECT {', '.join(_column(name) for name in FIELDS)} FROM {Claim._meta.db_table} c"
    + "".join(_join(relation) for relation in _JOINED)
)

# A claim's tags are listed as the tag pickers show them (Tag.Meta.ordering): the links are read as
# bare ids and put in the order of the (few dozen) tags in Python, which costs a tenth of having
# PostgreSQL join and sort thousands of links by three text columns. Sources in the order attached.
_TAG_LINKS = f"SELECT ct.claim_id, ct.tag_id FROM {ClaimTag._meta.db_table} ct WHERE ct.claim_id {{claims}}"
_ALL_TAGS = (
    f"SELECT t.id, t.slug, t.name, t.facet FROM {Tag._meta.db_table} t ORDER BY t.facet, t.position, t.name"
)
# Each source with its link check, if it has one (a source without a URL has none): one row per link,
# as the check is one per source.
_SOURCES = (
    "SELECT cs.claim_id, cs.source_id, s.url, s.title, s.publisher, s.kind, cs.relation, cs.quote,"
    " lc.state, lc.status, lc.final_url, lc.title, lc.checked_at, lc.changed_at, lc.error"
    f" FROM {ClaimSource._meta.db_table} cs JOIN {Source._meta.db_table} s ON s.id = cs.source_id"
    f" LEFT JOIN {LinkCheck._meta.db_table} lc ON lc.source_id = s.id"
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
    "source__link_check__state",  # None: no check
    "source__link_check__status",
    "source__link_check__final_url",
    "source__link_check__title",
    "source__link_check__checked_at",
    "source__link_check__changed_at",
    "source__link_check__error",
)


def make_rows(found: Iterable[Sequence[Any]]) -> list[Row]:
    """Rows from tuples of the `FIELDS` columns, their tags and sources still empty."""
    # `tuple.__new__` rather than `Row(...)`: the named tuple's own constructor parses 22 keyword-able
    # arguments in Python, a fifth of reading an export chunk.
    new = tuple.__new__
    return [new(Row, (*values, [], [])) for values in found]


# --- Connections ----------------------------------------------------------------------------------------


def read_alias() -> str:
    """The database claims are read from (the router's choice; "default" without one)."""
    return router.db_for_read(Claim)


def write_alias() -> str:
    """The database claims are written to (the router's choice; "default" without one)."""
    return router.db_for_write(Claim)


def _connection(write: bool) -> BaseDatabaseWrapper:
    return connections[write_alias() if write else read_alias()]


def _preparing() -> bool:
    # Off behind PgBouncer in transaction pooling without `max_prepared_statements` (module docstring).
    return bool(settings.DB_PREPARED_STATEMENTS)


def fetch(sql: str, params: Sequence[Any], *, write: bool = False) -> list[tuple[Any, ...]]:
    """The rows of one statement, run as a prepared statement (`fetch_all`)."""
    return fetch_all([(sql, params)], write=write)[0]


def fetch_all(
    statements: Sequence[tuple[str, Sequence[Any]]], *, write: bool = False
) -> list[list[tuple[Any, ...]]]:
    """The rows of each statement, run as prepared statements on Django's connection for reading claims
    (`write`: for writing them), in binary, and several of them in one pipeline: sent together, one
    round trip for all.

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
    wrapper = _connection(write)
    raw = _prepared_connection(wrapper)
    with wrapper.wrap_database_errors:
        with raw.pipeline() if len(statements) > 1 else contextlib.nullcontext():
            sent = send(statements, write=write)
        return receive(sent)


def _prepared_connection(wrapper: BaseDatabaseWrapper) -> psycopg.Connection[Any]:
    wrapper.close_if_health_check_failed()
    wrapper.ensure_connection()
    raw: psycopg.Connection[Any] = wrapper.connection
    if raw.prepare_threshold is None and _preparing():
        # Django switches psycopg's preparing off (its client-side cursors could not use it anyway);
        # let explicit `prepare=True` through, and still never prepare anything automatically.
        raw.prepare_threshold = sys.maxsize
        with wrapper.wrap_database_errors:
            # Inside a transaction that is rolled back this is undone: plans are then made per call.
            raw.execute("SET plan_cache_mode = force_generic_plan")
    return raw


@contextlib.contextmanager
def pipeline() -> Iterator[None]:
    """The connection for reading claims in pipeline mode: what `send` sends runs while the caller
    does other work, until `receive` reads it."""
    wrapper = _connection(False)
    raw = _prepared_connection(wrapper)
    with wrapper.wrap_database_errors, raw.pipeline():
        yield


class Sent(NamedTuple):
    statements: Sequence[tuple[str, Sequence[Any]]]
    cursors: list[psycopg.Cursor[tuple[Any, ...]]]
    started: float
    connection: BaseDatabaseWrapper


def send(
    statements: Sequence[tuple[str, Sequence[Any]]], *, client_side: bool = False, write: bool = False
) -> Sent:
    """Send statements as prepared statements, results in binary; in a pipeline, without waiting.
    `client_side`: SQL compiled by Django's ORM, bound as Django binds it, neither prepared nor binary."""
    wrapper = _connection(write)
    raw = wrapper.connection
    prepare = _preparing()
    started = time.monotonic()
    cursors: list[psycopg.Cursor[tuple[Any, ...]]] = []
    with wrapper.wrap_database_errors:
        for sql, params in statements:
            if client_side:
                cursors.append(psycopg.ClientCursor(raw))
                cursors[-1].execute(sql, params)
            else:
                # psycopg's own cursors bind server-side, unlike Django's.
                cursors.append(psycopg.Cursor(raw))
                cursors[-1].execute(sql, params, prepare=prepare, binary=True)
    return Sent(statements, cursors, started, wrapper)


def receive(sent: Sent) -> list[list[tuple[Any, ...]]]:
    """The rows of each statement `send` sent (waiting for them if need be)."""
    wrapper = sent.connection
    try:
        with wrapper.wrap_database_errors:
            results = [cursor.fetchall() for cursor in sent.cursors]
    finally:
        for cursor in sent.cursors:
            cursor.close()
    if wrapper.queries_logged:
        duration = f"{time.monotonic() - sent.started:.3f}"
        for sql, params in sent.statements:
            wrapper.queries_log.append({"sql": f"{sql} -- {list(params)!r}", "time": duration})
    return results


# --- Claim rows -----------------------------------------------------------------------------------------


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


Fetched = list[tuple[Any, ...]]


def rows_of(results: list[Fetched]) -> list[Row]:
    """Claim rows with their tags and sources, from the results of `by_ids_statements`' statements."""
    found, *related = results
    return _attach(make_rows(found), *related)


def attach_related(rows: list[Row]) -> list[Row]:
    """Fill in the `tags` and `sources` of claim rows: one round trip whatever the number of rows."""
    if not rows:
        return rows
    return _attach(rows, *fetch_all(_related("= ANY(%s::bigint[])", [id_array([row.id for row in rows])])))


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
    tags_of: dict[int, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    for claim_id, tag_id in tag_links:
        # (Outside a transaction the statements see successive snapshots: a tag deleted between the
        # two is left out, as a read a moment later would.)
        if (tag := ranked.get(tag_id)) is not None:
            tags_of[claim_id].append(tag)
    sources: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for link in source_rows:
        sources[link[0]].append(dict(zip(_SOURCE_KEYS, link, strict=True)))
    for row in rows:
        if found := tags_of.get(row.id):
            if len(found) > 1:
                found.sort(key=_by_rank)  # (ranks are unique: the dicts are never compared)
            row.tags.extend([tag for _, tag in found])
        if linked := sources.get(row.id):
            row.sources.extend(linked)
    return rows


def _by_rank(ranked: tuple[int, dict[str, Any]]) -> int:
    return ranked[0]


# --- Creating a claim -----------------------------------------------------------------------------------
# Creating a claim is the API's hottest write; compiling its ORM lookups cost more than running them,
# and each is a round trip. The article, its current revision's text and the named tags come back from
# one statement, as model instances with only the fields the service reads loaded; the claim and its
# tags are written by one statement.


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


def article_and_tags(
    pk: int, slugs: list[str], visible: tuple[str, list[Any]] = ("TRUE", [])
) -> tuple[Article | None, list[Tag]]:
    """The article `pk` (its current revision loaded, without the HTML) and the tags among `slugs`;
    `visible`: a condition on the article `a` (`models.visibility_sql`), or it is not found."""
    alias = read_alias()
    condition, params = visible
    found = fetch(f"{_FIND_ARTICLE} AND {condition}", [text_array(slugs), pk, *params])
    if not found:
        return None, []
    row = found[0]
    split, end = len(_ARTICLE_FIELDS), len(_ARTICLE_FIELDS) + len(_REVISION_FIELDS)
    article = Article.from_db(alias, _ARTICLE_FIELDS, row[:split])
    if row[split] is not None:
        article.current_revision = Revision.from_db(alias, _REVISION_FIELDS, row[split:end])
    return article, _tags(row[end], alias)


def tags(slugs: list[str]) -> list[Tag]:
    """The tags among `slugs`, in Tag.Meta.ordering."""
    return _tags(fetch(_FIND_TAGS, [text_array(slugs)])[0][0], read_alias())


def _tags(found: str | None, alias: str) -> list[Tag]:
    rows: list[dict[str, Any]] = orjson.loads(found) if found else []
    return [Tag.from_db(alias, _TAG_FIELDS, [row[name] for name in _TAG_FIELDS]) for row in rows]


# Not the primary key nor what PostgreSQL generates (the search document).
_CLAIM_COLUMNS = [
    field for field in Claim._meta.concrete_fields if not (field.primary_key or field.generated)
]
_INSERT_CLAIM = (
    f"WITH claim AS (INSERT INTO {Claim._meta.db_table}"
    f" ({', '.join(f'"{field.column}"' for field in _CLAIM_COLUMNS)})"
    f" SELECT {', '.join(['%s'] * len(_CLAIM_COLUMNS))}"
    # One claim per span of a revision, checked in the same statement (no round trip of its own).
    f" WHERE NOT EXISTS (SELECT 1 FROM {Claim._meta.db_table} o"
    # (article, start) is indexed; revision_id is not.
    ' WHERE o.article_id = %s AND o.start = %s AND o."end" = %s AND o.revision_id = %s) RETURNING id),'
    f" tagged AS (INSERT INTO {ClaimTag._meta.db_table} (claim_id, tag_id, added_by_id, added_at)"
    " SELECT claim.id, tag_id, %s, %s FROM claim, unnest(%s::bigint[]) AS tag_id)"
    " SELECT id FROM claim"
)


def insert_claim(claim: Claim, tag_ids: list[int], by: User | None) -> bool:
    """INSERT the claim and its tags in one statement, unless a claim on the same span of the same revision
    exists (then nothing is written and the answer is False): one round trip, and no transaction to open
    and commit around two (the statement is atomic on its own). The tags are part of creating the claim,
    not a change to it, so it stays at version 1. pghistory's triggers record both inserts, with the
    context the Django cursor gives the statement, as for `Claim.objects.create` (a Django cursor, so
    not prepared: its execute wrappers add that context).
    """
    wrapper = _connection(True)
    values = [field.get_db_prep_save(getattr(claim, field.attname), wrapper) for field in _CLAIM_COLUMNS]
    with wrapper.cursor() as cursor:
        # (The ids as an array literal: psycopg would adapt a list element by element, in Python.)
        span = [claim.article_id, claim.start, claim.end, claim.revision_id]
        cursor.execute(
            _INSERT_CLAIM, [*values, *span, by.pk if by else None, claim.created_at, id_array(tag_ids)]
        )
        row = cursor.fetchone()
    if row is None:
        return False
    claim.pk = row[0]
    claim._state.adding = False
    claim._state.db = wrapper.alias
    return True


# --- Rate limits ----------------------------------------------------------------------------------------

_ADD_RATE_HITS = f"""
INSERT INTO {RateWindow._meta.db_table} AS w (key, window_start, hits)
SELECT key, window_start, hits
FROM unnest(%s::text[], %s::timestamptz[], %s::int[]) AS t(key, window_start, hits)
ON CONFLICT (key) DO UPDATE SET
    hits = CASE WHEN w.window_start = EXCLUDED.window_start THEN w.hits + EXCLUDED.hits
                ELSE EXCLUDED.hits END,
    window_start = EXCLUDED.window_start
RETURNING key, hits
"""


def add_rate_hits(keys: list[str], window_starts: list[datetime], hits: list[int]) -> dict[str, int]:
    """Add `hits` to each key's count in the window starting at `window_starts` (a newer window starts the
    count again): the new counts, by key. One statement for every key (`api/throttling.py`)."""
    with _connection(True).cursor() as cursor:
        cursor.execute(_ADD_RATE_HITS, [keys, window_starts, hits])
        return dict(cursor.fetchall())


# --- The task queue -------------------------------------------------------------------------------------

# procrastinate's own tables: jobs waiting their turn (not those scheduled for later, e.g. a retry's
# back-off), and when each was queued (its `deferred` event; a scheduled job waits from its time).
_QUEUE_WAITING = """
SELECT count(*), EXTRACT(EPOCH FROM now() - min(COALESCE(j.scheduled_at, e.at)))
FROM procrastinate_jobs j
LEFT JOIN procrastinate_events e ON e.job_id = j.id AND e.type = 'deferred'
WHERE j.status = 'todo' AND (j.scheduled_at IS NULL OR j.scheduled_at <= now())
"""


def queue_waiting() -> tuple[int, float | None]:
    """How many jobs wait for a worker now, and for how many seconds the oldest has waited (None: none)."""
    count, oldest = fetch(_QUEUE_WAITING, [], write=True)[0]
    return int(count), float(oldest) if oldest is not None else None


# Workers send a heartbeat every 10 s (procrastinate's worker table); one silent for longer is gone.
_WORKERS_ALIVE = (
    "SELECT count(*) FROM procrastinate_workers WHERE last_heartbeat > now() - make_interval(secs => %s)"
)


def workers_alive(within_seconds: float) -> int:
    """How many task workers have sent a heartbeat in the last `within_seconds`."""
    return int(fetch(_WORKERS_ALIVE, [within_seconds], write=True)[0][0])


def update_rows(objects: Sequence[Model], names: Sequence[str]) -> int:
    """Write `names` of each of `objects` (all of one model) in one UPDATE ... FROM unnest(arrays): what
    Django's `bulk_update` does, without its CASE WHEN per field with a branch per row, which PostgreSQL
    walks for every row it updates. Carrying 1,400 claims to a new revision spent 5.6 s of 6.7 there.

    Through Django's cursor on the default connection, so that pghistory's context (which wraps it)
    reaches the history rows the update triggers write. Returns the rows updated.
    """
    if not objects:
        return 0
    meta = type(objects[0])._meta
    connection = connections[DEFAULT_DB_ALIAS]
    quote = connection.ops.quote_name
    columns: list[Field[Any, Any]] = [meta.pk] if isinstance(meta.pk, Field) else []
    columns += [field for name in names if isinstance(field := meta.get_field(name), Field)]
    if len(columns) != len(names) + 1:
        raise ValueError(f"update_rows writes concrete fields of a model with a primary key: {names}")
    key, fields = columns[0], columns[1:]
    arrays = [
        [column.get_db_prep_save(getattr(obj, column.attname), connection) for obj in objects]
        for column in columns
    ]
    unnest = ", ".join(f"%s::{column.db_type(connection)}[]" for column in columns)
    names_sql = ", ".join(quote(str(column.column)) for column in columns)
    sets = ", ".join(f"{quote(str(field.column))} = v.{quote(str(field.column))}" for field in fields)
    table, pk = quote(meta.db_table), quote(str(key.column))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS t SET {sets} FROM unnest({unnest}) AS v({names_sql}) WHERE t.{pk} = v.{pk}",
            arrays,
        )
        return int(cursor.rowcount)
