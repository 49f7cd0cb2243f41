"""The figure guard on near-misses: the same words with another figure, the same figure with another unit."""

import pytest

from annotations.matching.figures import Relation, quantities, relation

SAME, RELATED = Relation.SAME, Relation.RELATED

TABLE = [
    # identical claims
    (
        "around 160,000 asylum seekers since April 2022",
        "around 160,000 asylum seekers since April 2022",
        SAME,
    ),
    ("Crime doubled in the city.", "Crime doubled in the city.", SAME),
    ("No figure at all here.", "Nor here.", SAME),
    # paraphrases with the same figures
    ("around 160,000 asylum seekers", "about 160,000 people seeking asylum", SAME),
    ("1.5 million people", "1,500,000 people", SAME),
    ("70 per cent of those arrested", "70% of those arrested", SAME),
    ("70 percent of those arrested", "70 % of those arrested", SAME),
    ("an $80 million bounty", "a bounty of $80M", SAME),
    ("The deficit doubled", "The deficit rose twice over", SAME),
    ("The deficit doubled", "The deficit grew 2 times", SAME),
    ("160\u202f000 asylum seekers", "160,000 asylum seekers", SAME),  # narrow no-break space
    ("in 2014 30 people", "in 2014, 30 people", SAME),  # a plain space separates two figures
    ("three people died", "3 people died", SAME),
    # same words, other figure
    ("around 160,000 asylum seekers", "around 180,000 asylum seekers", RELATED),
    ("unemployment fell to 3.5%", "unemployment fell to 4.5%", RELATED),
    ("in 2019 the tax rose", "in 2020 the tax rose", RELATED),
    ("1.5 million people", "15 million people", RELATED),
    # same figure, other unit
    ("160,000 asylum seekers", "160,000 pounds", RELATED),
    ("160,000 asylum seekers", "£160,000", RELATED),
    ("$80 million bounty", "€80 million bounty", RELATED),
    ("70 per cent of voters", "70 voters", RELATED),
    ("a 20 km queue", "a 20 mile queue", RELATED),
    ("160,000 asylum seekers", "160 asylum seekers", RELATED),
    ("160,000 asylum seekers", "160 thousand asylum seekers", SAME),
    ("1 billion dollars", "1 million dollars", RELATED),
    # multipliers
    ("prices doubled", "prices tripled", RELATED),
    ("prices halved", "prices doubled", RELATED),
    ("prices tripled", "prices rose three times", SAME),
    # a figure in one claim and not the other
    ("160,000 asylum seekers arrived", "asylum seekers arrived", RELATED),
    ("160,000 asylum seekers and 3 deaths", "160,000 asylum seekers", RELATED),
]


@pytest.mark.parametrize(("a", "b", "expected"), TABLE)
def test_guard(a, b, expected):
    assert relation(a, b) is expected
    assert relation(b, a) is expected  # symmetric


def test_figures_inside_urls_are_not_claims():
    assert quantities("see https://example.org/2024/160000 for details") == quantities("see it")


def test_decimal_comma_and_thousands():
    assert quantities("1,5 million") == quantities("1.5 million")
    assert dict(quantities("10,375 claims")) == {(10375.0, ""): 1}
