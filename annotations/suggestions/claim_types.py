"""What kind of claim a sentence makes, so that an editor can take the statistics first.

The categories are Full Fact's (quantity, prediction, personal experience, laws and rules, correlation or
causation; Konstantinovskiy et al. 2021, "Toward automated factchecking", Digital Threats 2(2)), with
ClaimBuster's comparisons kept apart from plain quantities. No labelled data for them is here, so this is
rules, written once and tested on examples, not a trained model: each rule is a pattern a sub-editor would
name, and a sentence gets the first kind, in the order below, whose rule it meets.
"""

from __future__ import annotations

import re
from typing import Literal

ClaimType = Literal["quantity", "comparison", "prediction", "law", "causation", "experience", "other"]

# (value, label), in the order the rules are tried: a sentence with a figure and a "will" is a quantity,
# because its figure is what can be looked up.
CLAIM_TYPES: tuple[tuple[ClaimType, str], ...] = (
    ("quantity", "Quantity"),
    ("comparison", "Comparison"),
    ("prediction", "Prediction"),
    ("law", "Law or rule"),
    ("causation", "Cause and effect"),
    ("experience", "Personal experience"),
    ("other", "Other"),
)
LABELS: dict[str, str] = dict(CLAIM_TYPES)

_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|sixty|"
    r"seventy|eighty|ninety|hundreds?|thousands?|millions?|billions?|trillions?|dozens?|half|a third|"
    r"a quarter|twice|double[ds]?|triple[ds]?"
)
# A figure: digits (not a bare year), a number word, a share or an amount of money.
_YEAR = re.compile(r"^(?:1[89]\d\d|20\d\d)$")
_DIGITS = re.compile(r"\d[\d,.]*")
_QUANTITY = re.compile(
    rf"%|\bper ?cent\b|[$€£¥]\s?\d|\b(?:{_NUMBER_WORDS})\b|\bmajority\b|\bmost of\b|\bnone of\b", re.I
)
_COMPARISON = re.compile(
    r"\b(?:more|less|fewer|higher|lower|larger|bigger|smaller|greater|faster|slower|better|worse)\s+than\b|"
    r"\b(?:highest|lowest|largest|biggest|smallest|fastest|worst|best|most|least)\b|"
    r"\b(?:record|increased?|decreased?|increasing|decreasing|rose|risen|fell|fallen|dropped|grew|grown|"
    r"doubled|halved|soared|plummeted|surged)\b|\bcompared (?:with|to)\b|\bas (?:many|much) as\b",
    re.I,
)
_PREDICTION = re.compile(
    r"\b(?:will|won't|going to|gonna|expected to|is set to|are set to|forecasts?|predicts?|projected|"
    r"by (?:the end of )?(?:next year|20\d\d))\b",
    re.I,
)
_LAW = re.compile(
    r"\b(?:laws?|legal|illegal|unlawful|lawful|legislation|bills?|acts?|statutes?|rules?|regulations?|"
    r"constitution(?:al)?|court|ruled|banned|bans?|prohibit(?:s|ed)?|required by|mandatory|treaty|"
    r"ordinances?|signed into|voted (?:for|against)|veto(?:ed)?|sanctuary)\b",
    re.I,
)
_CAUSATION = re.compile(
    r"\b(?:because of|caused?|causes|causing|led to|leads to|due to|result(?:s|ed)? in|as a result|"
    r"thanks to|blamed? (?:for|on)|responsible for)\b",
    re.I,
)
_EXPERIENCE = re.compile(
    r"\b(?:I|we)\s+(?:have\s+|had\s+)?(?:saw|seen|met|visited|went|lived|worked|grew up|was|were|"
    r"experienced|heard|knew|remember)\b|\bmy (?:family|father|mother|son|daughter|wife|husband|friend)\b",
    re.I,
)


def label(value: str) -> str:
    """The name an editor reads for a stored kind (an unknown value shows as itself)."""
    return LABELS.get(value, value)


def _has_figure(text: str) -> bool:
    if any(not _YEAR.match(token.rstrip(".,")) for token in _DIGITS.findall(text)):
        return True
    return bool(_QUANTITY.search(text))


_RULES: tuple[tuple[ClaimType, re.Pattern[str]], ...] = (
    ("comparison", _COMPARISON),
    ("prediction", _PREDICTION),
    ("law", _LAW),
    ("causation", _CAUSATION),
    ("experience", _EXPERIENCE),
)


def claim_type(text: str) -> ClaimType:
    """The kind of claim `text` makes: the first of CLAIM_TYPES whose rule it meets."""
    if _has_figure(text):
        return "quantity"
    for kind, pattern in _RULES:
        if pattern.search(text):
            return kind
    return "other"
