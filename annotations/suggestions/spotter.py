"""Spot numeric claims: spans that state a quantity, money, rate, proportion or change.

Offsets are code-point offsets (Python ``str`` indices), so ``text[f.start:f.end] == f.text``.

How it works, in three passes over the text:
1. *Blocked* ranges are found first: times of day, phone numbers, ZIP codes, calendar dates, footnote
   markers, multi-level section numbers, ordinals. A figure that overlaps one is not a claim.
2. Candidate figures are matched (numbers with their currency/scale/unit, "one in five", "half of all",
   "doubled"), rejected if they are references ("page 12", "Section 3"), bare years or bare small
   numbers, then extended by one bounded qualifier on each side: "around", "more than", "rose by" before;
   the counted noun ("asylum seekers"), a rate denominator ("a year") and a time bound
   ("since April 2022") after.
3. Overlapping candidates are merged, so each claim is one clickable span.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

FigureKind = Literal["quantity", "money", "rate", "proportion", "change"]

# Merge priority: the most specific description of a merged span wins.
_PRIORITY: dict[str, int] = {"quantity": 1, "proportion": 2, "rate": 3, "money": 4, "change": 5}


class Figure(NamedTuple):
    start: int
    end: int
    text: str
    kind: FigureKind
    time_bound: bool = False  # the span includes a time qualifier such as "since April 2022"


# Full month names take no dot, so "in March." does not swallow the full stop.
_MONTH = (
    r"(?:Jan(?:uary|\.)?|Feb(?:ruary|\.)?|Mar(?:ch|\.)?|Apr(?:il|\.)?|May|June?|July?|Aug(?:ust|\.)?|"
    r"Sep(?:t(?:ember|\.)?|\.)?|Oct(?:ober|\.)?|Nov(?:ember|\.)?|Dec(?:ember|\.)?)"
)
_YEAR = r"(?:1[5-9]\d\d|20\d\d)"
_SMALL = (
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)"
)
_NUMWORD = rf"(?:{_SMALL}(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?)"
_SCALE = r"(?:hundred|thousand|million|billion|trillion)"
_DIGITS = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_CURRENCY_SYMBOL = r"(?:US\$|A\$|C\$|[$€£¥₹])"
_CURRENCY_WORD = r"(?:dollars?|euros?|pounds?(?:\s+sterling)?|yen|yuan|rupees?|pesos?|francs?|cents?)"

_FLAGS = re.IGNORECASE

# --- pass 1: ranges that are never claims ----------------------------------------------------------

_BLOCKED_RES = [
    # Times of day: 3:30, 3:30 p.m., 10am, 10 a.m., 7 o'clock.
    re.compile(r"\b\d{1,2}(?::\d{2}){1,2}(?:\s?[ap]\.?\s?m\b\.?)?"),
    re.compile(r"\b\d{1,2}\s?(?:[ap]\.m\.|[ap]m\b|o['’]clock\b)", _FLAGS),
    # Phone numbers: (212) 555-1234, 212-555-1234, 212.555.1234, +44 20 7946 0958.
    re.compile(r"(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)\s?|\b\d{2,4}[\s.-])\d{3,4}[\s.-]\d{3,4}\b"),
    # ZIP codes: NY 10001, ZIP code 10001, 10001-1234.
    re.compile(r"\b[A-Z]{2}\s+\d{5}(?:-\d{4})?\b"),
    re.compile(r"\bzip(?:\s+code)?:?\s*\d{5}(?:-\d{4})?\b", _FLAGS),
    re.compile(r"\b\d{5}-\d{4}\b"),
    # Calendar dates: March 3, March 3rd, 2024; 3 March 2024; 3/3/2024; 2024-03-03.
    re.compile(rf"\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+{_YEAR}\b)?"),
    re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR}\b)?"),
    re.compile(r"\b\d{1,4}[/.-]\d{1,2}[/.-]\d{2,4}\b"),
    # Footnote markers: [3], or a number glued to the end of a word or sentence ("claims.3").
    re.compile(r"\[\d{1,3}\]"),
    re.compile(r"(?<=[^\W\d_][.,;:”\"’)])\d{1,3}\b"),
    # Section numbers like 3.2.1 and ordinals like 21st.
    re.compile(r"\b\d+(?:\.\d+){2,}\b"),
    re.compile(r"\b\d+(?:st|nd|rd|th)\b", _FLAGS),
    # Ages and model names: a 35-year-old, COVID-19, F-35, G7, Title 42 handled below.
    re.compile(r"\b\d+-(?:year|month|week|day)-old\b", _FLAGS),
    re.compile(r"(?<=[^\W\d_])-?\d+\b"),
]

# A number right after one of these words is a reference, not a figure.
_REFERENCE_BEFORE_RE = re.compile(
    r"\b(?:page|pages|p|pp|pg|section|sections|sec|§|chapter|chapters|ch|article|art|paragraph|para|"
    r"figure|fig|table|no|nos|number|footnote|footnotes|note|notes|vol|volume|issue|episode|season|"
    r"room|flight|route|highway|interstate|suite|apt|apartment|unit|line|lines|exhibit|appendix|rule|"
    r"title|amendment|grade|level|step|phase|version|model|item|question|q|district|precinct|ward|"
    r"box|block|exit|gate|platform|channel|ext|extension|code|verse|psalm|part|clause|annex|tab)"
    r"\.?\s*#?\s*$|[#§№]\s*$",
    _FLAGS,
)

# --- pass 2: candidate figures -------------------------------------------------------------------

_NUMBER = (
    rf"(?P<cur>{_CURRENCY_SYMBOL}\s?)?"
    rf"(?P<num>{_DIGITS}(?:\s?(?:-|–|to)\s?{_DIGITS})?|{_NUMWORD}|(?:a|an)(?=\s+{_SCALE}))"
    rf"(?:(?P<glued>bn|mn|m|k|b|tn)|\s+(?P<scale>{_SCALE}(?:\s+{_SCALE})?))?"
    rf"(?P<pct>\s?%|\s+(?:percent|per\s?cent|percentage\s+points?)\b)?"
    rf"(?P<curword>\s+{_CURRENCY_WORD}\b)?"
)
_NUMBER_RE = re.compile(rf"(?<![\w.,/:#$€£¥-]){_NUMBER}(?![\w%])(?!,\d)(?!\.\d)", _FLAGS)

_MAGNITUDE_RE = re.compile(
    r"\b(?:dozens|scores|tens|hundreds|thousands|millions|billions|trillions)"
    r"(?:\s+of\s+(?:thousands|millions|billions))*\s+of\b",
    _FLAGS,
)
_PROPORTION_RES = [
    re.compile(
        rf"\b(?:one|two|three|four|\d+)\s+(?:in|out\s+of)\s+(?:every\s+)?"
        rf"(?:{_NUMWORD}|\d+|a\s+(?:hundred|thousand))\b",
        _FLAGS,
    ),
    re.compile(
        r"\b(?:half|a\s+(?:third|quarter|fifth|tenth)|one[- ](?:half|third|quarter|fifth|tenth)|"
        r"two[- ]thirds|three[- ](?:quarters|fourths|fifths))\s+of\b(?:\s+(?:all|the))?",
        _FLAGS,
    ),
]
_CHANGE_WORD_RE = re.compile(
    rf"\b(?:doubled|tripled|trebled|quadrupled|halved|(?:{_NUMWORD}|\d+)[- ]?fold)\b(?!\s+down\b)",
    _FLAGS,
)
_CHANGE_BEFORE_RE = re.compile(
    r"\b(?:rose|risen|rise|rises|rising|increased?|increases|increasing|grew|grown|grow|jumped|climbed|"
    r"soared|surged|spiked|fell|fallen|falls?|falling|dropped|drops?|declined?|declines|decreased?|"
    r"decreases|plunged|plummeted|slipped|shrank|shrunk|cut|slashed|up|down)"
    r"(?:\s+(?:by|to|from))?\s+$",
    _FLAGS,
)
_QUALIFIER_BEFORE_RE = re.compile(
    r"\b(?:about|around|approximately|roughly|nearly|almost|over|under|some|only|just|"
    r"more\s+than|less\s+than|fewer\s+than|at\s+least|at\s+most|up\s+to|as\s+many\s+as|as\s+much\s+as|"
    r"as\s+few\s+as|as\s+little\s+as|close\s+to|upwards\s+of|well\s+over|just\s+over|just\s+under|"
    r"an\s+estimated|estimated|a\s+record|record|a\s+total\s+of|an\s+additional|a\s+further|another|"
    r"a\s+whopping|a\s+mere)\s+$",
    _FLAGS,
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that end a counted-noun phrase ("160,000 asylum seekers | since ...").
_STOP_WORDS = _words(
    """a an the and or but nor of in on at to for from by with without since over under between during
    than as that which who whom whose this these those is are was were be been being has have had will
    would can could should may might must do does did not no it its they them their he she his her we
    our you your i me my per each every last next ago more less most least so if then there here when
    while where after before into onto out up down off about around than because what how why all
    said says say told according"""
)
_IRREGULAR_PLURALS = _words("people children men women police staff personnel cattle feet teeth")
# A count of these is a duration or an age ("11 hours", "two weeks", "45 years old"): in news copy it says
# when or how long, and underlining every one buried the statistics among them.
_TIME_UNITS = _words(
    """second seconds minute minutes hour hours day days night nights week weeks weekend weekends fortnight
    fortnights month months year years decade decades century centuries"""
)
_NOUN_WORD_RE = re.compile(r"\s+([^\W\d_][\w'’-]*)")
_DENOMINATOR_RE = re.compile(
    r"\s+(?:(?:a|an|per|each|every)\s+(?:year|month|week|day|hour|person|capita|head|household)|annually|"
    rf"per\s+(?:\d{{1,3}}(?:,\d{{3}})*|{_SCALE}|a\s+{_SCALE})(?:\s+(?:people|residents|inhabitants|births))?)\b",
    _FLAGS,
)
_TIME_BOUND_RE = re.compile(
    r"\s+(?:"
    rf"(?:since|in|by|between|from|through|until|till|during|as\s+of|before|after)\s+"
    rf"(?:(?:the\s+)?(?:beginning|start|end|middle)\s+of\s+)?(?:(?:early|late|mid-?)\s*)?"
    rf"(?:{_MONTH}\s+)?{_YEAR}s?(?:\s*(?:-|–|to|and)\s*{_YEAR})?\b"
    r"|(?:(?:in|over|during|within|for)\s+)?(?:the\s+)?(?:last|past|previous|next|coming)\s+"
    rf"(?:(?:\d+|{_NUMWORD}|few|several)\s+)?(?:years?|decades?|months?|weeks?|days?|quarters?)\b"
    r"|(?:last|this|next)\s+(?:year|month|week|decade|quarter)\b"
    rf"|(?:since|in)\s+{_MONTH}(?!\s*\d)"
    r")",
    _FLAGS,
)


def _blocked_ranges(text: str) -> list[tuple[int, int]]:
    ranges = [(m.start(), m.end()) for rx in _BLOCKED_RES for m in rx.finditer(text)]
    return sorted(ranges)


def _overlaps(ranges: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s < end and start < e for s, e in ranges)


def _extend_left(text: str, start: int) -> tuple[int, bool]:
    """Include one qualifier ("around") and one change verb ("rose by") before the figure."""
    window_start = max(0, start - 40)
    changed = False
    for rx in (_QUALIFIER_BEFORE_RE, _CHANGE_BEFORE_RE):
        m = rx.search(text, window_start, start)
        if m is not None:
            start = m.start()
            changed = changed or rx is _CHANGE_BEFORE_RE
    return start, changed


def _noun_phrase_end(text: str, end: int, max_words: int = 3) -> int:
    """End of the counted noun after a figure: up to three words, stopping at function words."""
    pos = end
    for i in range(max_words):
        m = _NOUN_WORD_RE.match(text, pos)
        if m is None:
            break
        word = m.group(1).lower().rstrip("'’-")
        if word in _STOP_WORDS or word.endswith("ly") or (i > 0 and word.endswith("ed")):
            break
        pos = m.end()
        # English noun phrases end in their head noun; a plural is almost always that head, so stop
        # there rather than run on into the verb ("one in five children | live").
        if (word.endswith("s") and not word.endswith("ss")) or word in _IRREGULAR_PLURALS:
            break
    return pos


def _counts_time(text: str, end: int, noun_end: int) -> bool:
    """Whether the counted noun between `end` and `noun_end` is a unit of time."""
    words = text[end:noun_end].split()
    return bool(words) and words[-1].lower() in _TIME_UNITS


def _extend_right(text: str, end: int) -> tuple[int, bool, bool]:
    """Include a rate denominator ("a year") and a time bound ("since April 2022").

    Returns (end, has_denominator, has_time_bound).
    """
    m = _DENOMINATOR_RE.match(text, end)
    per = m is not None
    if m is not None:
        end = m.end()
    m = _TIME_BOUND_RE.match(text, end)
    if m is not None:
        return m.end(), per, True
    return end, per, False


def _number_candidate(text: str, m: re.Match[str], blocked: list[tuple[int, int]]) -> Figure | None:
    start, end = m.start(), m.end()
    num = m.group("num")
    if _overlaps(blocked, m.start("num"), m.end("num")):
        return None
    if _REFERENCE_BEFORE_RE.search(text, max(0, start - 20), start):
        return None
    money = bool(m.group("cur") or m.group("curword"))
    rate = bool(m.group("pct"))
    scaled = bool(m.group("scale") or m.group("glued"))
    if m.group("glued") and not money:
        return None  # "5m" may be metres; "10k" a race: only trust suffixes on money
    if re.fullmatch(rf"{_YEAR}s?", num) and not (money or rate or scaled):
        return None  # a bare year is a date, not a figure
    if num.lower() in ("one", "a", "an") and not (money or rate or scaled):
        return None  # "one another", "one of the": too ambiguous to be a figure on its own
    kind: FigureKind = "money" if money else "rate" if rate else "quantity"
    noun_end = end if (money and not rate) else _noun_phrase_end(text, end)
    if kind == "rate":
        of = re.match(r"\s+of\b(?:\s+(?:all|the))?", text[end:])
        if of is not None:
            after_of = _noun_phrase_end(text, end + of.end())
            noun_end = after_of if after_of > end + of.end() else end
    new_start, is_change = _extend_left(text, start)
    # A bare number ("he got 45") is only a figure when a qualifier or change verb frames it.
    if kind == "quantity" and noun_end == end and not scaled and (new_start == start or not num[0].isdigit()):
        return None
    # A change of a duration is a statistic ("life expectancy rose by 3 years"); the duration alone is not.
    if kind == "quantity" and not scaled and not is_change and _counts_time(text, end, noun_end):
        return None
    final_end, per, bound = _extend_right(text, noun_end)
    if per and kind == "quantity":
        kind = "rate"  # "12 deaths per 100,000 people"
    return Figure(new_start, final_end, text[new_start:final_end], "change" if is_change else kind, bound)


def _phrase_candidate(text: str, start: int, end: int, kind: FigureKind, noun: bool) -> Figure:
    if noun:
        end = _noun_phrase_end(text, end)
    new_start, is_change = _extend_left(text, start)
    final_end, _per, bound = _extend_right(text, end)
    return Figure(new_start, final_end, text[new_start:final_end], "change" if is_change else kind, bound)


def _merge(candidates: list[Figure], text: str) -> list[Figure]:
    merged: list[Figure] = []
    for fig in sorted(candidates, key=lambda f: (f.start, -f.end)):
        if merged and fig.start < merged[-1].end:
            last = merged[-1]
            end = max(last.end, fig.end)
            kind = last.kind if _PRIORITY[last.kind] >= _PRIORITY[fig.kind] else fig.kind
            merged[-1] = Figure(
                last.start, end, text[last.start : end], kind, last.time_bound or fig.time_bound
            )
        else:
            merged.append(fig)
    return merged


def spot_figures(text: str) -> list[Figure]:
    """Numeric claims in ``text``, in order, non-overlapping, with code-point offsets."""
    blocked = _blocked_ranges(text)
    candidates: list[Figure] = []
    for m in _NUMBER_RE.finditer(text):
        fig = _number_candidate(text, m, blocked)
        if fig is not None:
            candidates.append(fig)
    for m in _MAGNITUDE_RE.finditer(text):
        if not _counts_time(text, m.end(), _noun_phrase_end(text, m.end())):  # "hundreds of years"
            candidates.append(_phrase_candidate(text, m.start(), m.end(), "quantity", noun=True))
    for rx in _PROPORTION_RES:
        for m in rx.finditer(text):
            if not _overlaps(blocked, m.start(), m.end()):
                candidates.append(_phrase_candidate(text, m.start(), m.end(), "proportion", noun=True))
    for m in _CHANGE_WORD_RE.finditer(text):
        candidates.append(_phrase_candidate(text, m.start(), m.end(), "change", noun=False))
    return _merge(candidates, text)
