"""The article text in parts (what a save re-sends when highlights move): pure, property-tested."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from annotations.web.fragments import ClaimRow, text_parts
from annotations.web.segments import parts, parts_touching, segments


@given(st.text(alphabet=st.sampled_from("ab \n"), max_size=400), st.integers(5, 60))
def test_parts_cover_the_text_in_order_and_stay_short_where_they_can(text, length):
    bounds = parts(text, length)
    assert "".join(text[start:end] for start, end in bounds) == text
    assert all(start < end for start, end in bounds) or text == ""
    for start, end in bounds:
        piece = text[start:end]
        assert "\n" not in piece.rstrip("\n")  # a part ends at the end of its paragraph at the latest
        assert len(piece.rstrip("\n")) <= length or " " not in piece[1:length]


def test_a_highlight_is_re_sent_with_the_parts_it_touches():
    text = "One two.\n\nThree four five.\n\nSix."
    bounds = parts(text)
    assert bounds == [(0, 10), (10, 28), (28, 32)]
    assert parts_touching(bounds, [(4, 15)]) == [0, 1]
    assert parts_touching(bounds, [(28, 31)]) == [2]
    row = ClaimRow(
        pk=3, start=4, end=15, exact=text[4:15], status="draft", verdict="", anchor_state="anchored"
    )
    html = text_parts(
        segments(text, [(("claim", 3), 4, 15)], cuts=[start for start, _ in bounds]),
        bounds,
        [1],
        7,
        {3: row},
        None,
        oob=True,
    )
    assert html.startswith('<span id="text-r7-p1" class="text-part" hx-swap-oob="true"><mark ')
    assert ">Three<" in html and "One" not in html and "Six" not in html
