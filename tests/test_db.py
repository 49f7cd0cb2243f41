"""The array literals `formats.sql` passes as one parameter: PostgreSQL must read back what was meant."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotations import db

pytestmark = pytest.mark.django_db

# PostgreSQL text cannot hold NUL; everything else, quotes, backslashes, braces, commas and "NULL" too.
_texts = st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=8)


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
