"""The fast check of a plain create request (`serializers.plain_claim_fields`) against the serializer.

The fast path may decline anything, but what it accepts must be exactly what `ClaimCreateSerializer`
accepts, with the same values: it is an optimisation of the serializer, not a second set of rules.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from annotations.api.serializers import ClaimCreateSerializer, plain_claim_fields

KEYS = ["article", "revision", "start", "end", "exact", "prefix", "suffix", "note", "tags", "target"]
KEYS.append("version")  # a field no client may set

scalars = st.one_of(
    st.integers(min_value=-3, max_value=3),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.sampled_from(["", " ", "7", "statistic", "a b", "x\x00", "\ud800", "abc\n", "über", "-_"]),
)
slugs = st.lists(st.sampled_from(["statistic", "x"]), max_size=60)
values = st.one_of(scalars, st.lists(scalars, max_size=4), slugs)
requests = st.one_of(
    st.dictionaries(st.sampled_from(KEYS), values, max_size=6),
    st.dictionaries(st.sampled_from(KEYS[:5] + ["note", "tags"]), values, max_size=6),
    st.fixed_dictionaries(
        {"article": st.integers(min_value=0, max_value=5)},
        optional={
            "start": st.integers(min_value=-1, max_value=50),
            "end": st.integers(min_value=0, max_value=50),
            "exact": st.text(max_size=5),
            "note": st.text(max_size=5),
            "revision": st.integers(min_value=0, max_value=3),
            "tags": st.lists(
                st.sampled_from(["statistic", "immigration", "no such", "", "a" * 9]), max_size=3
            ),
        },
    ),
    scalars,
    st.lists(scalars, max_size=2),
)


def _serializer(data: Any) -> dict[str, Any] | None:
    serializer = ClaimCreateSerializer(data=data)
    return dict(serializer.validated_data) if serializer.is_valid() else None


@settings(max_examples=600, deadline=None)
@given(requests)
def test_what_the_fast_check_accepts_the_serializer_accepts_the_same(data: Any) -> None:
    fast = plain_claim_fields(data)
    if fast is not None:
        assert fast == _serializer(data)


def test_the_fast_check_takes_the_common_requests() -> None:
    plain = {"article": 3, "start": 10, "end": 30, "tags": ["statistic", "immigration"]}
    assert plain_claim_fields(plain) == _serializer(plain) == plain
    with_quote = {"article": 3, "revision": 2, "start": 0, "end": 5, "exact": "Hello", "note": ""}
    expected = {"article": 3, "revision_number": 2, "start": 0, "end": 5, "exact": "Hello", "note": ""}
    assert plain_claim_fields(with_quote) == _serializer(with_quote) == expected


def test_the_fast_check_leaves_everything_else_to_the_serializer() -> None:
    declined: list[Any] = [
        {"article": "3", "start": 1, "end": 2},  # a number as text: the serializer decides
        {"article": 3, "exact": "x", "prefix": "a"},  # a quote with context
        {"article": 3, "target": {"selector": {"type": "TextQuoteSelector", "exact": "x"}}},
        {"article": 3, "version": 4},  # a field a client may not set: the serializer says so
        {"article": 0},
        {"article": True},
        {"article": 3, "tags": ["Not a slug"]},
        {"article": 3, "exact": ""},
        [],
    ]
    for data in declined:
        assert plain_claim_fields(data) is None
