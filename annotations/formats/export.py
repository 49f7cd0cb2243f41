"""Bulk export of claims as JSONL or CSV, streamed in constant memory however many claims there are.

The claims are read in keyset chunks (`id > last ORDER BY id LIMIT n`), each chunk four queries, and
written out before the next is read: neither the server nor the database holds the whole set, and no
chunk costs more than the first (an OFFSET would, and would cap the export as in hypothesis/h#5191).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import datetime
from operator import attrgetter, itemgetter
from typing import Any

import orjson
from django.db.models import QuerySet

from annotations import db
from annotations.db import Row
from annotations.formats import Links, SharedParts, claim_json
from annotations.models import Claim

CHUNK = 2_000


def _url(row: Row, links: Links) -> str:
    return links.claim(row.id)


def _tags(row: Row, links: Links) -> str:
    return ";".join(tag["slug"] for tag in row.tags)


def _sources(row: Row, links: Links) -> str:
    return " ".join(
        f"{link['relation']}:{link['source__url'] or links.source(link['source_id'])}" for link in row.sources
    )


def _created_at(row: Row, links: Links) -> str:
    return _utc(row.created_at)


def _updated_at(row: Row, links: Links) -> str:
    return _utc(row.updated_at)


# The CSV's columns: each a header and the `Row` field it shows (None shows as an empty cell), or how
# it is computed from a row.
CSV_TABLE: tuple[tuple[str, str | Callable[[Row, Links], Any]], ...] = (
    ("id", "id"),
    ("url", _url),
    ("article_id", "article_id"),
    ("article_title", "article__title"),
    ("article_url", "article__url"),
    ("revision", "revision__number"),
    ("start", "start"),
    ("end", "end"),
    ("exact", "exact"),
    ("prefix", "prefix"),
    ("suffix", "suffix"),
    ("status", "status"),
    ("verdict", "verdict"),
    ("note", "note"),
    ("anchor_state", "anchor_state"),
    ("cluster", "cluster_id"),
    ("tags", _tags),
    ("sources", _sources),
    ("created_by", "created_by__username"),
    ("created_at", _created_at),
    ("updated_by", "updated_by__username"),
    ("updated_at", _updated_at),
    ("version", "version"),
)
CSV_COLUMNS = tuple(header for header, _ in CSV_TABLE)

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection, OWASP).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def chunks(queryset: QuerySet[Claim], size: int | None = None) -> Iterator[list[Row]]:
    """The claim rows of `queryset` by ascending id, `size` at a time, with their tags and sources.

    The (filtered) queryset only chooses the ids of a chunk; the rows themselves come from the written
    out statements of `db.py`, read as plain tuples, which is most of the export's time saved.
    The statements for the next chunk are sent before this one is handed over, in one pipeline, so
    PostgreSQL reads them (on another core) while this one is being written out.
    """
    size = size or CHUNK
    ids = queryset.order_by("id").values_list("id", flat=True)

    def ids_after(last: int) -> tuple[str, tuple[Any, ...]]:
        return ids.filter(id__gt=last)[:size].query.sql_with_params()

    chunk_ids = list(ids[:size])
    if not chunk_ids:
        return
    with db.pipeline():
        sent = db.send(db.by_ids_statements(chunk_ids))
        following = db.send([ids_after(chunk_ids[-1])], client_side=True) if len(chunk_ids) == size else None
        while True:
            rows = db.rows_of(db.receive(sent))
            chunk_ids = [found[0] for found in db.receive(following)[0]] if following else []
            if chunk_ids:
                sent = db.send(db.by_ids_statements(chunk_ids))
                last_chunk = len(chunk_ids) < size
                following = None if last_chunk else db.send([ids_after(chunk_ids[-1])], client_side=True)
            yield rows
            if not chunk_ids:
                return


def jsonl(queryset: QuerySet[Claim], links: Links) -> Iterator[bytes]:
    """One claim per line, each exactly as `GET /api/v1/claims/{id}/` shows it."""
    for chunk in chunks(queryset):
        shared: SharedParts = {}  # per chunk: memory stays constant however many articles there are
        yield json_lines([claim_json(row, links, shared) for row in chunk])


# Between two claims in one encoded list, the ASCII record separator: orjson writes it `"\u001e"`.
_SEPARATOR = "\x1e"
_BETWEEN = b',"\\u001e",'


def json_lines(claims: list[dict[str, Any]]) -> bytes:
    r"""The claims as JSON lines, encoded by one orjson call for the whole chunk.

    Each `orjson.dumps` call costs a few microseconds before it encodes anything (more than a claim's
    own encoding here), so the claims are encoded as one list with a separator string between them,
    which is then cut out. The cut cannot fall inside a claim: in JSON a `"` inside a string is
    always escaped, so `,"\u001e",` outside escapes is a whole string element of an array, and a
    claim has no arrays of strings. Should a cut ever fall elsewhere, the count of lines would differ,
    and the chunk is encoded claim by claim instead.
    """
    if not claims:
        return b""
    interleaved: list[Any] = [_SEPARATOR] * (2 * len(claims) - 1)
    interleaved[::2] = claims
    lines = orjson.dumps(interleaved, option=orjson.OPT_UTC_Z)[1:-1].split(_BETWEEN)
    if len(lines) == len(claims):
        lines.append(b"")
        return b"\n".join(lines)
    option = orjson.OPT_UTC_Z | orjson.OPT_APPEND_NEWLINE
    return b"".join([orjson.dumps(claim, option=option) for claim in claims])


def neutralise(value: str) -> str:
    """A cell a spreadsheet shows as text rather than runs: a leading quote before a formula trigger."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


# `csv_row`, derived from the table once: the fields read by one `attrgetter` (in C), then the computed
# cells, then all put in the table's order by one `itemgetter` (in C too).
_FIELDS_SHOWN = [shown for _, shown in CSV_TABLE if isinstance(shown, str)]
_COMPUTED = [shown for _, shown in CSV_TABLE if not isinstance(shown, str)]
_read_fields = attrgetter(*_FIELDS_SHOWN)
_in_table_order = itemgetter(*[[*_FIELDS_SHOWN, *_COMPUTED].index(shown) for _, shown in CSV_TABLE])


def csv_row(row: Row, links: Links) -> list[Any]:
    """The cells of one claim, as `CSV_TABLE` says."""
    cells = _in_table_order((*_read_fields(row), *[compute(row, links) for compute in _COMPUTED]))
    return [neutralise(cell) if isinstance(cell, str) else cell for cell in cells]


def _utc(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def csv_lines(queryset: QuerySet[Claim], links: Links) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield _drain(buffer)
    for chunk in chunks(queryset):
        writer.writerows(csv_row(row, links) for row in chunk)
        yield _drain(buffer)


def _drain(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    return data


EXPORTERS: dict[str, tuple[str, Callable[[QuerySet[Claim], Links], Iterator[bytes]]]] = {
    "jsonl": ("application/x-ndjson", jsonl),
    "csv": ("text/csv; charset=utf-8", csv_lines),
}
