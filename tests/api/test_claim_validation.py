"""`ClaimCreateSerializer`, the one check of a create request, with its fields built once per class."""

from __future__ import annotations

from typing import Any

from annotations.api.serializers import ClaimCreateSerializer


def _check(data: Any) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    serializer = ClaimCreateSerializer(data=data)
    valid = serializer.is_valid()
    return (dict(serializer.validated_data) if valid else None), dict(serializer.errors)


def test_it_takes_offsets_a_quote_a_note_and_tags() -> None:
    plain = {"article": 3, "start": 10, "end": 30, "tags": ["statistic", "immigration"]}
    assert _check(plain) == (plain, {})
    with_quote = {"article": 3, "revision": 2, "start": 0, "end": 5, "exact": "Hello", "note": ""}
    expected = {"article": 3, "revision_number": 2, "start": 0, "end": 5, "exact": "Hello", "note": ""}
    assert _check(with_quote) == (expected, {})


def test_it_reads_a_w3c_selector_as_a_quote_with_its_context() -> None:
    data = {"article": 3, "target": {"selector": {"type": "TextQuoteSelector", "exact": "x", "prefix": "a "}}}
    assert _check(data) == ({"article": 3, "exact": "x", "prefix": "a ", "suffix": ""}, {})


def test_it_says_what_is_wrong() -> None:
    cases: list[tuple[Any, str]] = [
        ({"article": 3, "version": 4}, "version"),  # a field a client may not set
        ({"article": 0}, "article"),
        ({"article": True}, "article"),
        ({"article": 3, "start": -1}, "start"),
        ({"article": 3, "tags": ["Not a slug"]}, "tags"),
        ({"article": 3, "exact": ""}, "exact"),
        ({"article": 3, "note": "a\x00b"}, "note"),
        ({"article": 3, "tags": ["x"] * 51}, "tags"),
        (
            {"article": 3, "exact": "x", "target": {"selector": {"type": "TextQuoteSelector", "exact": "x"}}},
            "target",
        ),
    ]
    for data, field in cases:
        fields, errors = _check(data)
        assert fields is None and field in errors, data


def test_serializers_sharing_their_fields_share_nothing_else() -> None:
    first = ClaimCreateSerializer(data={"article": 0})
    second = ClaimCreateSerializer(data={"article": 4, "note": "n"})
    assert first.fields is second.fields  # built once
    assert not first.is_valid()
    assert second.is_valid() and second.validated_data == {"article": 4, "note": "n"}
    assert first.errors.keys() == {"article"} and not second.errors
