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
from typing import Any

import orjson
from django.db.models import QuerySet

from annotations.formats import Links, claim_json, sql
from annotations.formats.sql import Row
from annotations.models import Claim

CHUNK = 2_000

CSV_COLUMNS = (
    "id",
    "url",
    "article_id",
    "article_title",
    "article_url",
    "revision",
    "start",
    "end",
    "exact",
    "prefix",
    "suffix",
    "status",
    "verdict",
    "note",
    "anchor_state",
    "tags",
    "sources",
    "created_by",
    "created_at",
    "updated_by",
    "updated_at",
    "version",
)

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection, OWASP).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def chunks(queryset: QuerySet[Claim], size: int | None = None) -> Iterator[list[Row]]:
    """The claim rows of `queryset` by ascending id, `size` at a time, with their tags and sources.

    The (filtered) queryset only chooses the ids of a chunk; the rows themselves come from the written
    out statement of `formats.sql`, read as plain tuples, which is most of the export's time saved.
    """
    size = size or CHUNK
    ids = queryset.order_by("id").values_list("id", flat=True)
    last = 0
    while True:
        chunk_ids = list(ids.filter(id__gt=last)[:size])
        if not chunk_ids:
            return
        yield sql.claims_by_ids(chunk_ids)
        if len(chunk_ids) < size:
            return
        last = chunk_ids[-1]


def jsonl(queryset: QuerySet[Claim], links: Links) -> Iterator[bytes]:
    """One claim per line, each exactly as `GET /api/v1/claims/{id}/` shows it."""
    dumps, option = orjson.dumps, orjson.OPT_UTC_Z | orjson.OPT_APPEND_NEWLINE
    for chunk in chunks(queryset):
        yield b"".join([dumps(claim_json(row, links), option=option) for row in chunk])


def neutralise(value: str) -> str:
    """A cell a spreadsheet shows as text rather than runs: a leading quote before a formula trigger."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def csv_row(row: Row, links: Links) -> list[Any]:
    tags = ";".join(tag["slug"] for tag in row.tags)
    sources = " ".join(
        f"{link['relation']}:{link['source__url'] or links.source(link['source_id'])}" for link in row.sources
    )
    cells: list[Any] = [
        row.id,
        links.claim(row.id),
        row.article_id,
        row.article__title,
        row.article__url,
        row.revision__number,
        row.start,
        row.end,
        row.exact,
        row.prefix,
        row.suffix,
        row.status,
        row.verdict,
        row.note,
        row.anchor_state,
        tags,
        sources,
        row.created_by__username or "",
        _utc(row.created_at),
        row.updated_by__username or "",
        _utc(row.updated_at),
        row.version,
    ]
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
