"""Sentence segmentation with code-point offsets (Python ``str`` indices), pure Python.

Rule based, tuned for news copy: a line break always ends a sentence (paragraphs, headlines, captions);
inside a line, a sentence ends at ``.``, ``!``, ``?`` or ``…`` (plus any closing quotes and brackets)
followed by whitespace and something that can start a sentence. Titles ("Mr.", "Dr.", "Sen."), initials
("J. Smith"), and dotted abbreviations ("U.S.", "a.m.", "etc.") do not end a sentence unless the next word
is a typical sentence opener ("in the U.S. The ...").
"""

from __future__ import annotations

import re
from typing import NamedTuple


class Span(NamedTuple):
    start: int
    end: int
    text: str


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Never sentence-final: a name or number always follows.
_TITLES = _words(
    "mr mrs ms mx dr prof sr jr st mt ft sen rep gov gen lt col maj sgt capt cmdr adm pres supt insp "
    "rev hon messrs mme mlle det cpl pvt fr"
)
# Usually mid-sentence, but may end one ("... and Co. The company").
_ABBREVIATIONS = _words(
    "etc vs v inc ltd co corp bros dept univ assn est approx fig figs vol vols ch sec pp p no nos "
    "jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun "
    "e.g i.e a.m p.m cf al ave blvd rd hwy"
)
_SENTENCE_OPENERS = _words(
    "the a an it its he she they we i you this that these those there but and or so yet in on at for "
    "after before when while if as his her their our my mr mrs ms dr some many most no not one two "
    "however meanwhile still also then now"
)

_BOUNDARY_RE = re.compile(r"[.!?…]+[\"'”’)\]»]*(?=\s)")
_WORD_BEFORE_RE = re.compile(r"([\w.'’-]+)$")
_OPENING = "\"'“‘([«¿¡"


def _is_boundary(line: str, end_punct: int, after: int) -> bool:
    """Whether the candidate at line[end_punct-1 .. after) ends a sentence.

    ``end_punct`` is the index just past the punctuation run (before closing quotes), ``after`` the
    index of the next non-space character.
    """
    if after >= len(line):
        return True
    nxt = line[after]
    # Skip opening quotes/brackets to look at the first letter of the next sentence.
    j = after
    while j < len(line) and line[j] in _OPENING:
        j += 1
    first = line[j] if j < len(line) else nxt
    if first.islower():
        return False  # "e.g. this", "Mr. de Blasio … there was"
    punct_run = line[:end_punct]
    if not punct_run.endswith("."):
        return True  # ! ? … end a sentence before a capital, digit or quote
    match = _WORD_BEFORE_RE.search(punct_run[:-1])
    if match is None:
        return True
    word = match.group(1).lower().lstrip("'’-")
    bare = word.rstrip(".")
    next_word_match = re.match(r"[\w’']+", line[j:])
    next_word = next_word_match.group(0).lower() if next_word_match else ""
    if bare in _TITLES:
        return False
    if len(bare) == 1 and bare.isalpha():
        return False  # an initial: "J. Smith", "George W. Bush"
    if bare == "no" and first.isdigit():
        return False  # "No. 5"
    # Dotted abbreviations ("u.s", "d.c", "a.m") and the list above end a sentence only before a
    # word that typically opens one.
    if "." in bare or bare in _ABBREVIATIONS:
        return next_word in _SENTENCE_OPENERS
    return True


def _split_line(text: str, start: int, end: int) -> list[Span]:
    line = text[start:end]
    spans: list[Span] = []
    sent_start = 0
    for match in _BOUNDARY_RE.finditer(line):
        punct_end = match.start() + len(match.group(0).rstrip("\"'”’)]»"))
        after = match.end()
        while after < len(line) and line[after].isspace():
            after += 1
        if _is_boundary(line, punct_end, after):
            spans.append(Span(start + sent_start, start + match.end(), line[sent_start : match.end()]))
            sent_start = after
    if sent_start < len(line):
        spans.append(Span(start + sent_start, end, line[sent_start:]))
    return spans


_LINE_RE = re.compile(r"[^\r\n\u2028\u2029\x0b\x0c\x1c\x1d\x1e\x85]+")


def split_sentences(text: str) -> list[Span]:
    """Sentences of ``text`` in order; ``text[s.start:s.end] == s.text`` and no span has outer spaces."""
    spans: list[Span] = []
    for line in _LINE_RE.finditer(text):
        start, end = line.start(), line.end()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            for span in _split_line(text, start, end):
                # Strip again: a boundary may leave trailing spaces inside the line.
                s, e = span.start, span.end
                while e > s and text[e - 1].isspace():
                    e -= 1
                if s < e:
                    spans.append(Span(s, e, text[s:e]))
    return spans
