"""Anchoring claims across revisions (annotations/anchoring.py): examples on the demo article, then properties
over arbitrary Unicode text. Pure Python: no database, no Django."""

import re

import pytest
from hypothesis import assume, given, note, settings
from hypothesis import strategies as st

from annotations.anchoring import Anchor, carry, carry_many, context_for, find_candidates, locate
from annotations.anchoring.diff import diff as diff_revisions

# From the demo article (/work/shared/data/articles/ice-nyc-sanctuary-talks.txt).
DEMO = (
    "New York City, the most populous city in the country and a bastion of liberal politics, has long had "
    "sanctuary laws on the books.\n\n"
    "Former Mayor Bill de Blasio in 2014 signed into law a bill that largely prohibits the New York Police "
    "Department from working with federal immigration authorities, and he enacted legislation in 2018 that "
    "doubled down on this policy.\n\n"
    "New York City has accepted around 160,000 asylum seekers since April 2022, forcing leaders to make "
    "substantial budget cuts in order to deal with the burden. Last year, Adams announced sweeping cuts for "
    "government services in order to pay for the incoming illegal immigrants taking residence in the city.\n"
)
CLAIM = "160,000 asylum seekers"

# The documented meaning of a figure, written out again here so the tests do not trust the module's own.
FIGURE = re.compile(r"\d+(?:[.,'\u00a0\u2009\u202f]\d+)*")

PROPERTY = settings(max_examples=200, deadline=None)


def span_of(text: str, quote: str, occurrence: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(quote, start + 1)
    return start, start + len(quote)


def figures_touching(text: str, start: int, end: int) -> list[str]:
    return [m.group() for m in FIGURE.finditer(text) if m.start() < end and m.end() > start]


def carried(old: str, new: str, quote: str = CLAIM, occurrence: int = 0) -> tuple[Anchor, str]:
    anchor = carry(old, new, *span_of(old, quote, occurrence))
    return anchor, new[anchor.start : anchor.end]


# --- examples --------------------------------------------------------------------------------------------


def test_an_unchanged_revision_keeps_the_claim_anchored() -> None:
    assert carry(DEMO, DEMO, *span_of(DEMO, CLAIM)) == Anchor(*span_of(DEMO, CLAIM), "anchored")


def test_an_edit_after_the_claim_keeps_its_offsets() -> None:
    new = DEMO.replace("illegal immigrants", "migrants")
    assert carry(DEMO, new, *span_of(DEMO, CLAIM)) == Anchor(*span_of(DEMO, CLAIM), "anchored")


def test_an_insertion_before_the_claim_moves_it_by_the_inserted_length() -> None:
    new = "UPDATED: " + DEMO
    start, end = span_of(DEMO, CLAIM)
    assert carry(DEMO, new, start, end) == Anchor(start + 9, end + 9, "moved")


def test_a_reworded_sentence_around_the_claim_keeps_it() -> None:
    new = DEMO.replace("has accepted around", "took in nearly").replace("since April 2022", "in two years")
    anchor, text = carried(DEMO, new)
    assert (anchor.state, text) == ("moved", CLAIM)


def test_a_changed_figure_inside_the_quote_needs_recheck() -> None:
    anchor, text = carried(DEMO, DEMO.replace("160,000", "180,000"))
    assert (anchor.state, text) == ("needs_recheck", "180,000 asylum seekers")


def test_a_figure_lengthened_just_outside_the_quote_needs_recheck() -> None:
    # The quote "160,000" is still there, but it is now part of a different figure.
    anchor, text = carried(DEMO, DEMO.replace("160,000", "160,000,000"), quote="160,000")
    assert (anchor.state, text) == ("needs_recheck", "160,000,000")


def test_a_changed_year_needs_recheck() -> None:
    anchor, text = carried(DEMO, DEMO.replace("in 2014", "in 2015"), quote="de Blasio in 2014 signed")
    assert (anchor.state, text) == ("needs_recheck", "de Blasio in 2015 signed")


def test_a_changed_percentage_needs_recheck() -> None:
    old = "Rents rose 3.5% last year, the agency said."
    anchor, text = carried(old, old.replace("3.5%", "4%"), quote="rose 3.5% last year")
    assert (anchor.state, text) == ("needs_recheck", "rose 4% last year")


def test_a_slightly_reworded_quote_is_fuzzy() -> None:
    anchor, text = carried(DEMO, DEMO.replace("asylum seekers", "asylum-seekers"))
    assert (anchor.state, text) == ("fuzzy", "160,000 asylum-seekers")


def test_letters_glued_onto_the_quote_do_not_leave_it_anchored() -> None:
    old = "The court found the detention lawful under state law."
    anchor, text = carried(old, old.replace("lawful", "unlawful"), quote="lawful")
    assert (anchor.state, text) == ("fuzzy", "unlawful")


def test_a_rewritten_quote_is_orphaned_with_its_old_offsets() -> None:
    new = DEMO.replace("accepted around 160,000 asylum seekers", "struggled to house newcomers")
    start, end = span_of(DEMO, CLAIM)
    assert carry(DEMO, new, start, end) == Anchor(start, end, "orphaned")


def test_deleting_the_whole_paragraph_orphans_the_claim() -> None:
    paragraphs = DEMO.split("\n\n")
    new = "\n\n".join(paragraphs[:2]) + "\n"
    start, end = span_of(DEMO, CLAIM)
    assert carry(DEMO, new, start, end) == Anchor(start, end, "orphaned")


def test_a_moved_paragraph_takes_the_claim_with_it() -> None:
    first, second, third = DEMO.rstrip("\n").split("\n\n")
    new = "\n\n".join([third, first, second]) + "\n"
    anchor, text = carried(DEMO, new)
    assert (anchor.state, text) == ("moved", CLAIM)
    assert anchor.start == new.index(CLAIM)


def test_a_moved_and_reworded_paragraph_is_found_fuzzily() -> None:
    first, second, third = DEMO.rstrip("\n").split("\n\n")
    new = "\n\n".join([third.replace("asylum seekers", "asylum-seekers"), first, second]) + "\n"
    anchor, text = carried(DEMO, new)
    assert (anchor.state, text) == ("fuzzy", "160,000 asylum-seekers")


def test_a_repeated_quote_is_told_apart_by_its_context_when_carried() -> None:
    old = "The mayor said the city is full. Critics said the city is not. Later, the city is quiet."
    new = old.replace("Critics said", "Critics, unconvinced, said").replace("Later, the", "Later the")
    for occurrence in range(3):
        anchor, text = carried(old, new, quote="the city is", occurrence=occurrence)
        assert text == "the city is"
        assert anchor.start == span_of(new, "the city is", occurrence)[0]


def test_carry_many_carries_each_span_as_carry_does() -> None:
    new = "UPDATED: " + DEMO.replace("160,000", "180,000").replace("de Blasio", "DeBlasio")
    spans = [span_of(DEMO, quote) for quote in (CLAIM, "de Blasio in 2014", "bastion", "April 2022")]
    assert carry_many(DEMO, new, spans) == [carry(DEMO, new, *span) for span in spans]


@pytest.mark.parametrize("span", [(-1, 3), (3, 3), (5, 2), (0, len(DEMO) + 1)])
def test_carry_rejects_offsets_outside_the_text(span: tuple[int, int]) -> None:
    with pytest.raises(ValueError):
        carry(DEMO, DEMO, *span)
    with pytest.raises(ValueError):
        carry_many(DEMO, DEMO, [span])


def test_carry_rejects_a_stored_quote_or_context_from_another_revision() -> None:
    start, end = span_of(DEMO, CLAIM)
    prefix, suffix = context_for(DEMO, start, end)
    assert carry(DEMO, DEMO, start, end, exact=CLAIM, prefix=prefix, suffix=suffix).state == "anchored"
    with pytest.raises(ValueError):
        carry(DEMO, DEMO, start, end, exact="180,000 asylum seekers")
    with pytest.raises(ValueError):
        carry(DEMO, DEMO, start, end, prefix="accepted about ")


def test_context_for_returns_up_to_width_characters_each_side() -> None:
    assert context_for("abcdefgh", 3, 5, width=2) == ("bc", "fg")
    assert context_for("abcdefgh", 1, 7, width=4) == ("a", "h")


def test_locate_finds_a_unique_quote() -> None:
    assert locate(DEMO, CLAIM) == Anchor(*span_of(DEMO, CLAIM), "anchored")


def test_locate_tells_a_repeated_quote_apart_by_prefix_and_suffix() -> None:
    text = "the city is full. the city is not. the city is quiet."
    assert find_candidates(text, "the city is") == [0, 18, 35]
    assert locate(text, "the city is") is None  # ambiguous
    assert locate(text, "the city is", prefix="full. ") == Anchor(18, 29, "anchored")
    assert locate(text, "the city is", suffix=" quiet") == Anchor(35, 46, "anchored")
    assert find_candidates(text, "the city is", suffix=" no") == [18]


def test_locate_falls_back_on_the_hint_when_context_ties() -> None:
    text = "the city is full. the city is not. the city is quiet."
    assert locate(text, "the city is", hint=20) == Anchor(18, 29, "anchored")
    assert locate(text, "the city is", hint=9) is None  # as close to 0 as to 18


def test_locate_returns_none_for_a_missing_quote() -> None:
    assert locate(DEMO, "200,000 refugees") is None
    assert find_candidates(DEMO, "200,000 refugees") == []
    assert locate(DEMO, "") is None


def test_locate_finds_a_slightly_different_quote_fuzzily() -> None:
    anchor = locate(DEMO, "has accepted around 160,000 asylum-seekers since", prefix="New York City ")
    assert anchor is not None and anchor.state == "fuzzy"
    assert DEMO[anchor.start : anchor.end] == "has accepted around 160,000 asylum seekers since"


def test_locate_never_matches_a_different_figure_fuzzily() -> None:
    assert locate(DEMO, "has accepted around 180,000 asylum seekers since") is None


# --- properties over arbitrary Unicode text ------------------------------------------------------------

# Whole graphemes and words as well as single code points: flags, emoji, combining marks, right-to-left
# scripts, CJK, spaces and punctuation. Repeated pieces make the texts repetitive, as real articles are.
PIECES = [
    "the ", "city ", "a", "b", "e\u0301", "é", "😀", "🇫🇷", "\u200d", "שלום ", "مرحبا ", "中文", "字",
    " ", "  ", "\n", "\n\n", ".", ",", "-", "'", "İ", "ß",
]  # fmt: skip
DIGITS = list("0123456789") + [",", ".", "\u202f"]

any_but_digits = st.characters(codec="utf-8", exclude_categories=["Nd"])
# Tiny alphabets give periodic texts ("abab a"), where a diff may place an edit in several equally good spots.
periodic, periodic_with_figures = st.text("ab .\n", max_size=30), st.text("a0 ,.", max_size=30)
words = st.lists(st.sampled_from(PIECES) | any_but_digits, max_size=30).map("".join) | periodic
words_and_figures = (
    st.lists(st.sampled_from(PIECES + DIGITS), max_size=30).map("".join) | periodic_with_figures
)


@st.composite
def edits_outside_a_span(draw: st.DrawFn, alphabet: st.SearchStrategy[str]) -> tuple[str, str, int, int]:
    """A text, a span in it, and the text after one insertion, deletion or replacement that leaves at least
    one untouched character between itself and the span."""
    old = draw(alphabet.filter(lambda text: len(text) >= 4))
    start = draw(st.integers(0, len(old) - 1))
    end = draw(st.integers(start + 1, len(old)))
    before = start >= 2 and (end > len(old) - 2 or draw(st.booleans()))
    assume(before or end <= len(old) - 2)
    low, high = (0, start - 1) if before else (end + 1, len(old))
    p = draw(st.integers(low, high))
    q = draw(st.integers(p, high))
    inserted = draw(alphabet)
    assume(q > p or inserted)
    return old, old[:p] + inserted + old[q:], start, end


@st.composite
def edits_touching_a_span(draw: st.DrawFn, alphabet: st.SearchStrategy[str]) -> tuple[str, str, int, int]:
    """A text, a span in it, and the text after an edit that overlaps the span or touches its edges."""
    old = draw(alphabet.filter(lambda text: len(text) >= 1))
    start = draw(st.integers(0, len(old) - 1))
    end = draw(st.integers(start + 1, len(old)))
    p = draw(st.integers(start, end))
    q = draw(st.integers(p, len(old)))
    inserted = draw(alphabet)
    assume(q > p or inserted)
    return old, old[:p] + inserted + old[q:], start, end


def assert_well_formed(anchor: Anchor, old: str, new: str, start: int, end: int) -> None:
    if anchor.state == "orphaned":
        assert (anchor.start, anchor.end) == (start, end)
    else:
        assert 0 <= anchor.start < anchor.end <= len(new)
    if anchor.state in ("anchored", "moved"):
        assert new[anchor.start : anchor.end] == old[start:end]
    if anchor.state == "anchored":
        assert (anchor.start, anchor.end) == (start, end)
    if anchor.state in ("anchored", "moved", "fuzzy"):
        assert figures_touching(new, anchor.start, anchor.end) == figures_touching(old, start, end)


@PROPERTY
@given(edits_outside_a_span(words))
def test_an_edit_outside_the_span_keeps_the_quote(case: tuple[str, str, int, int]) -> None:
    old, new, start, end = case
    anchor = carry(old, new, start, end)
    note(f"{old=} {new=} {start=} {end=} {anchor=}")
    assert anchor.state in ("anchored", "moved")
    assert new[anchor.start : anchor.end] == old[start:end]


@PROPERTY
@given(edits_outside_a_span(words_and_figures))
def test_an_edit_outside_the_span_keeps_the_quote_or_flags_the_figure_it_changed(
    case: tuple[str, str, int, int],
) -> None:
    old, new, start, end = case
    anchor = carry(old, new, start, end)
    note(f"{old=} {new=} {start=} {end=} {anchor=}")
    assert_well_formed(anchor, old, new, start, end)
    if anchor.state == "needs_recheck":
        # Only a figure the span is part of can have changed, and the quote is inside the flagged span.
        assert figures_touching(old, start, end) != figures_touching(new, anchor.start, anchor.end)
        assert old[start:end] in new[anchor.start : anchor.end]
    else:
        assert anchor.state in ("anchored", "moved")


@PROPERTY
@given(edits_touching_a_span(words) | edits_touching_a_span(words_and_figures))
def test_an_edit_inside_the_span_never_yields_a_silently_wrong_span(case: tuple[str, str, int, int]) -> None:
    old, new, start, end = case
    assert_well_formed(carry(old, new, start, end), old, new, start, end)


@PROPERTY
@given(words, words, words_and_figures, words_and_figures)
def test_any_two_revisions_give_well_formed_anchors(before: str, after: str, old: str, new: str) -> None:
    old, new = before + old + after, new + after
    assume(len(old) >= 1)
    spans = [(start, min(len(old), start + 1 + start % 7)) for start in range(0, len(old), 3)]
    for (start, end), anchor in zip(spans, carry_many(old, new, spans), strict=True):
        assert_well_formed(anchor, old, new, start, end)


@PROPERTY
@given(words, words, st.integers(1, 999), st.integers(0, 999), st.integers(1, 999_999))
def test_a_changed_number_inside_the_quote_needs_recheck(
    before: str, after: str, thousands: int, units: int, replacement: int
) -> None:
    figure = f"{thousands},{units:03d}"
    assume(str(replacement) != figure.replace(",", ""))
    old = f"{before} The city took in {figure} asylum seekers last year. {after}"
    new = old.replace(f" {figure} ", f" {replacement:,} ")
    anchor, text = carried(old, new, quote=f"{figure} asylum seekers")
    assert anchor.state == "needs_recheck"
    assert text == f"{replacement:,} asylum seekers"


@PROPERTY
@given(words, words, words, st.sampled_from(PIECES), st.integers(0, 2))
def test_a_repeated_quote_is_told_apart_by_its_context_and_position(
    filler: str, edit: str, inserted: str, quote_piece: str, occurrence: int
) -> None:
    quote = f"the city {quote_piece}is full"
    old = f"Monday: {quote}. Tuesday, {filler}: {quote}! Wednesday? {quote}; end"
    start, end = span_of(old, quote, occurrence)
    # An edit elsewhere: a new opening sentence and a changed word in the middle.
    new = f"{inserted} Update. " + old.replace("Tuesday", f"Tues{edit}day")
    anchor = carry(old, new, start, end)
    note(repr((old, new, start, end, anchor)))
    assert anchor.state in ("anchored", "moved")
    assert anchor.start == span_of(new, quote, occurrence)[0]
    prefix, suffix = context_for(old, start, end)
    located = locate(new, quote, prefix, suffix)
    assert located is not None and located.start == anchor.start


@PROPERTY
@given(words_and_figures, words_and_figures)
def test_the_diff_turns_the_old_revision_into_the_new_one(old: str, new: str) -> None:
    rebuilt, at = [], 0
    for tag, i1, i2, j1, j2 in diff_revisions(old, new):
        assert i1 == at  # the blocks tile the old text in order
        if tag == "equal":
            assert old[i1:i2] == new[j1:j2]
        rebuilt.append(new[j1:j2])
        at = i2
    assert at == len(old)
    assert "".join(rebuilt) == new
