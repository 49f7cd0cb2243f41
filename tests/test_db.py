"""db.py: the array literals it passes as one parameter (PostgreSQL must read back what was meant), and
the databases it reads from and writes to."""

from __future__ import annotations

import pytest
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from annotations import db, services

pytestmark = pytest.mark.django_db

# PostgreSQL text cannot hold NUL; everything else, quotes, backslashes, braces, commas and "NULL" too.
_texts = st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), max_size=8)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.one_of(_texts, st.sampled_from(["NULL", "", " ", '"', "\\", "{a,b}", 'a\\"b'])), max_size=5)
)
def test_a_text_array_literal_reads_back_as_the_strings(values):
    assert db.fetch("SELECT %s::text[]", [db.text_array(values)])[0][0] == values


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(min_value=-(2**63), max_value=2**63 - 1), max_size=5))
def test_an_id_array_literal_reads_back_as_the_ids(ids):
    assert db.fetch("SELECT %s::bigint[]", [db.id_array(ids)])[0][0] == ids


# --- Which database db.py asks for (DESIGN.md's read replica) ---------------------------------------------


class _RecordingRouter:
    """Sends every read to "default" too, and notes what was asked (class-level: Django builds it)."""

    asked: list[tuple[str, str]] = []

    def db_for_read(self, model, **hints):
        self.asked.append(("read", model.__name__))
        return "default"

    def db_for_write(self, model, **hints):
        self.asked.append(("write", model.__name__))
        return "default"


class _ReplicaRouter:
    def db_for_read(self, model, **hints):
        return "replica"

    def db_for_write(self, model, **hints):
        return "primary"


def test_without_a_router_reads_and_writes_use_the_default_database():
    assert (db.read_alias(), db.write_alias()) == ("default", "default")


@override_settings(DATABASE_ROUTERS=[f"{__name__}._ReplicaRouter"])
def test_db_asks_the_router_where_to_read_and_where_to_write():
    assert (db.read_alias(), db.write_alias()) == ("replica", "primary")


@override_settings(DATABASE_ROUTERS=[f"{__name__}._RecordingRouter"])
def test_reads_go_through_the_read_alias_and_the_insert_through_the_write_alias(article, editor):
    _RecordingRouter.asked.clear()
    claim = services.create_claim(article=article, by=editor, exact=article.current_revision.text[:5])
    assert ("write", "Claim") in _RecordingRouter.asked
    _RecordingRouter.asked.clear()
    assert [row.id for row in db.claims_by_ids([claim.pk])] == [claim.pk]
    db.tags(["statistic"])
    assert _RecordingRouter.asked and set(_RecordingRouter.asked) == {("read", "Claim")}


def _prepared(sql: str) -> int:
    # (PostgreSQL shows the statement as psycopg sent it: `$1` for `%s`.)
    found = "SELECT count(*) FROM pg_prepared_statements WHERE statement = %s"
    count: int = db.fetch(found, [sql.replace("%s", "$1")])[0][0]
    return count


def test_statements_are_prepared_unless_the_settings_say_not_to(settings):
    # (Behind PgBouncer in transaction pooling without `max_prepared_statements`: db.py's docstring.)
    unprepared = "SELECT 'not prepared', %s::int"
    settings.DB_PREPARED_STATEMENTS = False
    assert db.fetch(unprepared, [1]) == [("not prepared", 1)]
    assert _prepared(unprepared) == 0
    prepared = "SELECT 'prepared', %s::int"
    settings.DB_PREPARED_STATEMENTS = True
    assert db.fetch(prepared, [1]) == [("prepared", 1)]
    assert _prepared(prepared) == 1


def test_update_rows_writes_each_object_its_own_values_with_the_history_context(article, editor):
    import pghistory
    from django.utils import timezone

    from annotations.models import Claim, history_of

    first = services.create_claim(article=article, by=editor, exact="160,000 asylum seekers")
    second = services.create_claim(article=article, by=editor, exact="2014")
    untouched = services.create_claim(article=article, by=editor, exact="2018")
    now = timezone.now()
    first.start, first.end, first.exact, first.updated_by, first.updated_at = 1, 2, "a", None, now
    second.anchor_state, second.note, second.version = "fuzzy", "kept", 7
    with pghistory.context(reason="a test"):
        assert (
            db.update_rows(
                [first, second],
                ["start", "end", "exact", "anchor_state", "updated_by", "updated_at", "version"],
            )
            == 2
        )
    rows = {c.pk: c for c in Claim.objects.all()}
    assert (rows[first.pk].start, rows[first.pk].end, rows[first.pk].exact) == (1, 2, "a")
    assert rows[first.pk].updated_by is None and rows[first.pk].updated_at == now
    assert (rows[second.pk].anchor_state, rows[second.pk].version) == ("fuzzy", 7)
    assert rows[second.pk].note == ""  # not a field named: left as it was
    assert rows[untouched.pk].version == untouched.version
    last = max(history_of(rows[second.pk]), key=lambda event: event.pgh_created_at)
    assert last.pgh_context is not None and last.pgh_context["reason"] == "a test"
    assert db.update_rows([], ["start"]) == 0
