"""Claim types: what kind of claim a suggestion makes, so that an editor can take the statistics first."""

from __future__ import annotations

import pytest

from annotations.suggestions import suggest
from annotations.suggestions.claim_types import CLAIM_TYPES, claim_type, label


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("The city has received around 160,000 asylum seekers since April 2022.", "quantity"),
        ("Unemployment is at 4.2% this spring.", "quantity"),
        ("The programme cost $12 billion.", "quantity"),
        ("One in five children lives in poverty.", "quantity"),
        ("Crime is higher than it has ever been.", "comparison"),
        ("Rents rose in every borough last year.", "comparison"),
        ("This is the largest tax cut in history.", "comparison"),
        ("The deficit will disappear by 2030.", "prediction"),
        ("Prices are expected to fall next spring.", "prediction"),
        ("The sanctuary law forbids officers to hold anyone for ICE.", "law"),
        ("The court ruled the ban unconstitutional.", "law"),
        ("The shortage was caused by the strike.", "causation"),
        ("Cutting the buses led to longer commutes.", "causation"),
        ("When I was a boy I worked in the mills.", "experience"),
        ("My family came here with nothing.", "experience"),
        ("Thank you all for coming tonight.", "other"),
        ("He spoke in 2019 about the plan.", "other"),  # a year alone is not a figure
    ],
)
def test_each_sentence_gets_the_kind_an_editor_would_name(sentence: str, kind: str) -> None:
    assert claim_type(sentence) == kind


def test_every_kind_has_a_label_and_an_unknown_value_shows_as_itself() -> None:
    assert [value for value, _ in CLAIM_TYPES][0] == "quantity"  # the statistics first
    assert label("law") == "Law or rule" and label("nonsense") == "nonsense"


def test_suggestions_carry_their_kind_figures_are_quantities() -> None:
    text = (
        "The mayor said the city has taken in around 160,000 asylum seekers since April 2022. "
        "The council will vote on the new shelter rules next week, and the law could change."
    )
    found = suggest(text)
    assert found, "something to suggest"
    assert all(s.claim_type == "quantity" for s in found if s.kind == "figure")
    assert all(s.claim_type == claim_type(s.text) for s in found if s.kind == "sentence")
