"""The figure guard: two claims may be the *same* claim only if their figures and units agree.

"160,000 asylum seekers" and "around 160,000 people seeking asylum" may be the same claim; "160,000 pounds",
"180,000 asylum seekers" and "160,000 asylum seekers and 3 deaths" are at most *related*; so are "doubled" and
"tripled". Figures are read as quantities: a value (separators and scale words resolved, "1.5 million" =
"1,500,000", "70 per cent" = "70%") and a unit class: a currency, percent, a measure (km, kg, years...), a
multiplier (doubled = twice = 2 times), or none, a count of whatever follows. Counts of different nouns
("160,000 asylum seekers" / "160,000 people") agree: that the nouns mean the same is the similarity's job;
the guard only refuses what the numbers rule out. Numbers are found with the anchoring module's pattern.

The rule is strict: the two claims' quantities must be equal as multisets. A figure in one claim that the
other lacks makes the pair related, not the same ("highlighting the wrong text is worse than none").
"""

import re
from collections import Counter
from enum import StrEnum

from annotations.anchoring.figures import NUMBER
from annotations.matching.text import URL


class Relation(StrEnum):
    SAME = "same"  # the figures allow it to be the same claim (the similarity decides whether it is)
    RELATED = "related"  # different figures or units: never the same claim


SCALES = {
    "hundred": 100,
    "thousand": 1_000,
    "k": 1_000,
    "million": 1_000_000,
    "millions": 1_000_000,
    "m": 1_000_000,
    "mn": 1_000_000,
    "billion": 1_000_000_000,
    "billions": 1_000_000_000,
    "bn": 1_000_000_000,
    "b": 1_000_000_000,
    "trillion": 1_000_000_000_000,
    "tn": 1_000_000_000_000,
}
WORD_NUMBERS = {
    w: i
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
} | {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
WORD_NUMBERS |= {"dozen": 12, "a dozen": 12}
# Words that say "times N" on their own.
MULTIPLIERS = {
    "doubled": 2,
    "double": 2,
    "doubles": 2,
    "doubling": 2,
    "twice": 2,
    "twofold": 2,
    "tripled": 3,
    "triple": 3,
    "triples": 3,
    "tripling": 3,
    "threefold": 3,
    "quadrupled": 4,
    "quadruple": 4,
    "fourfold": 4,
    "halved": 0.5,
    "halves": 0.5,
    "halving": 0.5,
}
# The unit a number is followed (or, for symbols, preceded) by, as a class name.
UNITS = {
    "%": "percent",
    "percent": "percent",
    "per cent": "percent",
    "pc": "percent",
    "percentage points": "points",
    "points": "points",
    "times": "times",
    "fold": "times",
    "$": "dollar",
    "usd": "dollar",
    "dollar": "dollar",
    "dollars": "dollar",
    "£": "pound",
    "gbp": "pound",
    "pound": "pound",
    "pounds": "pound",
    "quid": "pound",
    "lbs": "pound",
    "€": "euro",
    "eur": "euro",
    "euro": "euro",
    "euros": "euro",
    "¥": "yen",
    "yen": "yen",
    "yuan": "yuan",
    "rupees": "rupee",
    "km": "km",
    "kilometres": "km",
    "kilometers": "km",
    "miles": "mile",
    "mile": "mile",
    "metres": "metre",
    "meters": "metre",
    "m2": "area",
    "acres": "area",
    "hectares": "area",
    "kg": "kg",
    "kilograms": "kg",
    "kilos": "kg",
    "tonnes": "tonne",
    "tons": "tonne",
    "years": "year",
    "year": "year",
    "months": "month",
    "month": "month",
    "weeks": "week",
    "week": "week",
    "days": "day",
    "day": "day",
    "hours": "hour",
    "hour": "hour",
    "minutes": "minute",
    "degrees": "degree",
    "°c": "degree",
    "°f": "degree_f",
    "mph": "speed",
    "gallons": "volume",
    "litres": "volume",
    "liters": "volume",
}
TOKEN = re.compile(r"\d+(?:[.,'\u00a0\u2009\u202f]\d+)*|[^\W\d_]+|[%$£€¥°]|\S", re.UNICODE)
Quantity = tuple[float, str]


def _value(figure: str) -> float:
    """ "160,000" -> 160000, "3.5" -> 3.5, "1,5" -> 1.5, "160 000" -> 160000."""
    groups = re.split(r"[.,'\u00a0\u2009\u202f]", figure)
    seps = re.findall(r"[.,'\u00a0\u2009\u202f]", figure)
    if not seps:
        return float(figure)
    # A last group of exactly three digits after a thousands-like separator is a thousands group.
    if len(groups[-1]) == 3 and (len(seps) > 1 or seps[0] != "."):
        return float("".join(groups))
    return float("".join(groups[:-1]) + "." + groups[-1])


def quantities(text: str) -> Counter[Quantity]:
    """The quantities a claim states, as a multiset of (value, unit class)."""
    tokens = [t.lower() for t in TOKEN.findall(URL.sub(" ", text))]
    found: Counter[Quantity] = Counter()
    i = 0
    while i < len(tokens):
        token = tokens[i]
        value: float | None = None
        if NUMBER.fullmatch(token):
            value = _value(token)
        elif token in WORD_NUMBERS and token not in {"one", "zero"}:
            value = float(WORD_NUMBERS[token])
        elif token in MULTIPLIERS:
            found[(float(MULTIPLIERS[token]), "times")] += 1
            i += 1
            continue
        if value is None:
            i += 1
            continue
        before = tokens[i - 1] if i else ""
        j = i + 1
        if j < len(tokens) and tokens[j] in SCALES:
            value *= SCALES[tokens[j]]
            j += 1
        unit = UNITS.get(before, "") if before in {"$", "£", "€", "¥", "usd", "gbp", "eur"} else ""
        if not unit and j < len(tokens):
            two = " ".join(tokens[j : j + 2])
            if two in UNITS:
                unit, j = UNITS[two], j + 2
            elif tokens[j] in UNITS:
                unit, j = UNITS[tokens[j]], j + 1
        found[(round(value, 6), unit)] += 1
        i = j
    return found


def relation(a: str, b: str) -> Relation:
    """SAME when the two claims' figures and units agree exactly (or neither has any), else RELATED."""
    return Relation.SAME if quantities(a) == quantities(b) else Relation.RELATED


def _shown(quantity: Quantity) -> str:
    value, unit = quantity
    number = f"{value:,.0f}" if value == int(value) else f"{value:,g}"
    symbol = {"dollar": "$", "pound": "£", "euro": "€", "yen": "¥"}.get(unit)
    if symbol:
        return f"{symbol}{number}"
    return {"percent": f"{number}%", "times": f"×{number}", "": number}.get(unit, f"{number} {unit}")


def difference(a: str, b: str) -> str:
    """Why two claims are only related, for an editor: "160,000 here, 180,000 there" ('' when SAME)."""
    ours, theirs = quantities(a), quantities(b)
    if ours == theirs:
        return ""
    here = ", ".join(_shown(q) for q in sorted((ours - theirs).elements())) or "no figure"
    there = ", ".join(_shown(q) for q in sorted((theirs - ours).elements())) or "no figure"
    return f"figures differ: {here} here, {there} there"
