"""The claim's columns are listed once (`db.Row`): every shape derived from them must agree."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, get_type_hints

import pytest
from rest_framework import serializers

from annotations import db
from annotations.api.serializers import ClaimSerializer
from annotations.db import Row
from annotations.formats import Links, claim_json, export, written_row
from annotations.models import Tag
from tests.api.helpers import make_claim

LINKS = Links("http://testserver")


def _sample_row() -> Row:
    """A row whose every column holds a value no other column holds."""
    values: dict[str, Any] = {}
    types = get_type_hints(Row)
    for number, name in enumerate(db.FIELDS, start=1):
        if types[name] is datetime:
            values[name] = datetime(2020, 1, number, tzinfo=UTC)
        elif types[name] is int:
            values[name] = 1000 + number
        else:
            values[name] = f"value-of-{name}"
    tag = {"slug": "statistic", "name": "Statistic", "facet": "kind"}
    source = {
        "claim_id": values["id"],
        "source_id": 7,
        "source__url": "https://example.org/report",
        "source__title": "Report",
        "source__publisher": "Office",
        "source__kind": "report",
        "relation": "supports",
        "quote": "a passage",
        "source__link_check__state": "broken",
        "source__link_check__status": 404,
        "source__link_check__final_url": "https://example.org/report/",
        "source__link_check__title": "Not found",
        "source__link_check__checked_at": datetime(2021, 1, 1, tzinfo=UTC),
        "source__link_check__changed_at": None,
        "source__link_check__error": "answered 404",
    }
    return Row(**values, tags=[tag], sources=[source])


def _declared(serializer: serializers.Serializer[Any]) -> dict[str, Any]:
    shape: dict[str, Any] = {}
    for name, field in serializer.fields.items():
        inner = field.child if isinstance(field, serializers.ListSerializer) else field
        shape[name] = _declared(inner) if isinstance(inner, serializers.Serializer) else None
    return shape


def _built(value: Any) -> Any:
    if isinstance(value, list):
        return _built(value[0])
    if isinstance(value, dict):
        return {key: _built(item) for key, item in value.items()}
    return None


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item)]
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    return [value]


def test_the_schemas_claim_serializer_documents_exactly_the_keys_claim_json_builds():
    assert _built(claim_json(_sample_row(), LINKS)) == _declared(ClaimSerializer())


# What the CSV leaves out on purpose (a column is added to a Row for the JSON, and to the CSV by choice).
NOT_IN_CSV = {"revision__created_at"}


def test_every_column_of_a_row_reaches_the_json_and_the_csv():
    row = _sample_row()
    in_json = " ".join(map(str, _leaves(claim_json(row, LINKS))))
    in_csv = " ".join(map(str, export.csv_row(row, LINKS)))
    for name in db.FIELDS:
        value = getattr(row, name)
        shown = value.isoformat().replace("+00:00", "Z") if isinstance(value, datetime) else str(value)
        assert str(value) in in_json or value.isoformat() in in_json, name
        assert (shown in in_csv) is (name not in NOT_IN_CSV), name


def test_the_csv_has_one_header_per_cell():
    assert (
        len(export.CSV_COLUMNS) == len(set(export.CSV_COLUMNS)) == len(export.csv_row(_sample_row(), LINKS))
    )
    assert export.CSV_COLUMNS[:3] == ("id", "url", "article_id")


def test_the_select_reads_the_columns_of_row_in_its_order():
    assert Row._fields[:-2] == db.FIELDS
    assert db.SELECT_CLAIMS.startswith('SELECT c."id", c."article_id", a."title", a."url", r."number"')


@pytest.mark.django_db
def test_the_row_written_is_the_row_read_back(article, editor):
    tags = list(Tag.objects.all()[:2])  # (in Tag.Meta.ordering, as the API finds them)
    claim = make_claim(article, editor, tags=tuple(tag.slug for tag in tags))
    read = db.claims_by_ids([claim.pk])[0]
    written = written_row(claim, article, editor, tags)
    assert written == read
