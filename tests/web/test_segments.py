"""Segments for overlapping highlights, and the escaping of the HTML built from them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from annotations.web.fragments import ClaimRow, article_text, claim_items
from annotations.web.segments import segments


def test_overlapping_spans_split_the_text_with_the_innermost_claim_first():
    parts = segments("abcdefghij", [(1, 0, 6), (2, 3, 5), (3, 8, 10)])
    assert [(s.text, s.keys) for s in parts] == [
        ("abc", (1,)),
        ("de", (2, 1)),
        ("f", (1,)),
        ("gh", ()),
        ("ij", (3,)),
    ]


@given(st.text(min_size=1), st.lists(st.tuples(st.integers(0, 50), st.integers(1, 30)), max_size=8))
def test_segments_cover_the_text_exactly_once(text, raw_spans):
    spans = [(i, start, start + width) for i, (start, width) in enumerate(raw_spans)]
    parts = segments(text, spans)
    assert "".join(s.text for s in parts) == text
    for part in parts:
        for claim_id, start, end in spans:
            assert (claim_id in part.keys) == (start <= part.start and part.end <= end and start < len(text))


def test_the_rendered_text_and_list_escape_everything():
    hostile = '<img src=x onerror=alert(1)>"'
    row = ClaimRow(
        pk=7,
        start=0,
        end=len(hostile),
        exact=hostile,
        status="draft",
        verdict="false",
        anchor_state="fuzzy",
        tags=[(hostile, "topic")],
        source_count=2,
    )
    html = article_text(segments(hostile + " tail", [(("claim", 7), 0, len(hostile))]), {7: row}, selected=7)
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;&quot;" in html
    assert 'class="hl depth-1 status-draft anchor-fuzzy selected"' in html
    items = claim_items([row], selected=None, panel_url="/claims/0/")
    assert "<img" not in items and 'hx-get="/claims/7/"' in items and "2 sources" in items
    assert "Fuzzy: check the highlight" in items and "False" in items
