"""Bulk export: streamed JSONL and CSV, filtered, chunked, and safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from datetime import UTC
from typing import Any

import orjson
import pytest
from django.http import StreamingHttpResponse
from hypothesis import given, settings
from hypothesis import strategies as st

from annotations.formats import export
from tests.api.helpers import client_for, make_claim
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def _body(response) -> bytes:
    assert isinstance(response, StreamingHttpResponse)
    return response.getvalue()


def _chunks(response) -> list[bytes]:
    assert isinstance(response, StreamingHttpResponse) and not response.is_async
    return [piece for piece in response if piece]


@pytest.fixture
def article(db):
    return ArticleFactory.create(
        title='=HYPERLINK("http://evil.example")',
        text="Officials said +15% growth. -3 points fell. @everyone agreed. Plain words here.",
    )


def test_jsonl_has_one_claim_per_line_exactly_as_the_api_shows_it(article, editor, researcher):
    claims = [
        make_claim(article, editor, "+15% growth", tags=("statistic",)),
        make_claim(article, editor, "Plain"),
    ]
    client = client_for(researcher)
    response = client.get("/api/v1/export/claims.jsonl")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson"
    lines = [orjson.loads(line) for line in _body(response).splitlines()]
    assert [line["id"] for line in lines] == [c.pk for c in claims]
    assert lines[0] == client.get(f"/api/v1/claims/{claims[0].pk}/").json()


def test_csv_neutralises_cells_a_spreadsheet_would_run(article, editor, researcher):
    make_claim(article, editor, "+15% growth", note="=1+1")
    make_claim(article, editor, "-3 points", note="\tTabbed")
    make_claim(article, editor, "@everyone", note="\rreturn")
    response = client_for(researcher).get("/api/v1/export/claims.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="claims.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(_body(response).decode())))
    assert [row["exact"] for row in rows] == ["'+15% growth", "'-3 points", "'@everyone"]
    assert [row["note"] for row in rows] == ["'=1+1", "'\tTabbed", "'\rreturn"]
    assert {row["article_title"] for row in rows} == {'\'=HYPERLINK("http://evil.example")'}
    assert rows[0]["start"] == str(article.current_revision.text.index("+15%"))  # numbers stay numbers


def test_exports_apply_the_same_filters_as_the_list(article, editor, researcher):
    tagged = make_claim(article, editor, "+15% growth", tags=("statistic",))
    make_claim(article, editor, "Plain")
    body = _body(client_for(researcher).get("/api/v1/export/claims.jsonl?tag=statistic"))
    assert [orjson.loads(line)["id"] for line in body.splitlines()] == [tagged.pk]
    assert client_for(researcher).get("/api/v1/export/claims.jsonl?status=bogus").status_code == 400


def test_exports_stream_in_chunks_of_constant_size(article, editor, researcher, monkeypatch):
    # Small chunks stand in for a big corpus: every chunk is read (three queries) and written before
    # the next, and nothing is held beyond one chunk.
    monkeypatch.setattr(export, "CHUNK", 2)
    claims = [make_claim(article, editor, word) for word in ("Officials", "said", "points", "fell", "Plain")]
    response = client_for(researcher).get("/api/v1/export/claims.jsonl")
    pieces = _chunks(response)
    assert [len(piece.splitlines()) for piece in pieces] == [2, 2, 1]
    assert [orjson.loads(line)["id"] for piece in pieces for line in piece.splitlines()] == [
        c.pk for c in claims
    ]


def test_the_accept_header_does_not_change_an_exports_format(article, editor, researcher):
    make_claim(article, editor, "Plain")
    response = client_for(researcher).get("/api/v1/export/claims.csv", HTTP_ACCEPT="application/xml")
    assert response.status_code == 200
    assert _body(response).startswith(b"id,url,article_id")


def test_an_empty_export_is_a_header_or_nothing(researcher):
    client = client_for(researcher)
    assert _body(client.get("/api/v1/export/claims.jsonl")) == b""
    assert _body(client.get("/api/v1/export/claims.csv")).decode().strip() == ",".join(export.CSV_COLUMNS)


def test_exports_need_authentication(db):
    assert client_for(None).get("/api/v1/export/claims.csv").status_code == 401


# --- JSON lines encoded a chunk at a time (export.json_lines) ---------------------------------------------

_hostile_text = st.one_of(
    st.text(max_size=12),
    st.sampled_from(['","\\u001e",', '"\x1e"', "\x1e", ',"\x1e",', "\\", '\\"', "\n", "},{", "\u2028", "😀"]),
)
_claim_like = st.fixed_dictionaries(
    {
        "id": st.integers(min_value=1, max_value=2**40),
        "exact": _hostile_text,
        "note": _hostile_text,
        "tags": st.lists(st.fixed_dictionaries({"slug": _hostile_text}), max_size=2),
        "sources": st.lists(
            st.fixed_dictionaries({"quote": _hostile_text, "url": _hostile_text}), max_size=2
        ),
        "created_at": st.datetimes(timezones=st.just(UTC)),
        "verdict": st.one_of(st.none(), _hostile_text),
    }
)


def _one_call_per_claim(claims) -> bytes:
    option = orjson.OPT_UTC_Z | orjson.OPT_APPEND_NEWLINE
    return b"".join(orjson.dumps(claim, option=option) for claim in claims)


@settings(max_examples=300, deadline=None)
@given(st.lists(_claim_like, max_size=6))
def test_json_lines_are_the_claims_encoded_one_by_one(claims):
    assert export.json_lines(claims) == _one_call_per_claim(claims)


def test_json_lines_fall_back_when_a_cut_could_fall_inside_a_claim():
    # A claim that itself holds the separator as an array element: the one-call encoding would cut it.
    claims: list[dict[str, Any]] = [{"id": 1, "odd": ["a", "\x1e", "b"]}, {"id": 2}]
    assert export.json_lines(claims) == _one_call_per_claim(claims)
    assert [orjson.loads(line) for line in export.json_lines(claims).splitlines()] == claims
