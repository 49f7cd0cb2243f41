"""What to suggest in a text: check-worthy sentences and figures on one scale, and how many to show.

One score for both kinds, so a list ranked by it interleaves them: a figure scores from the check-worthiness
of the sentence it stands in, raised by what kind of figure it is. A figure in a dull sentence ("tickets
cost $5") stays below a strong sentence without one.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from annotations.suggestions.claim_types import ClaimType, claim_type
from annotations.suggestions.ranker import Ranker, load_ranker
from annotations.suggestions.spotter import Figure, FigureKind, spot_figures

# Sentences scoring below this are not suggested: the ranker's scores are probabilities, and about 3 % of
# sentences in the training transcripts are check-worthy; 0.12 keeps roughly the top third of a news story.
# Figures have no threshold: the spotter already keeps only statistics, and the cap ranks them.
SENTENCE_THRESHOLD = 0.12

# How likely a figure is worth checking on its own, whatever its sentence. Ordered as in the training
# transcripts, where the sentences holding a change were check-worthy 38 % of the time, money and rates
# 17-18 %, counts 8 % and proportions 4 % (1.9 % without a figure); damped, because the sentence's score
# already counts its numbers.
_KIND_PRIOR: dict[FigureKind, float] = {
    "change": 0.10,
    "money": 0.08,
    "rate": 0.08,
    "quantity": 0.04,
    "proportion": 0.04,
}
# A figure tied to a period ("160,000 asylum seekers since April 2022") is a statistic someone can look up.
_TIME_BOUND_PRIOR = 0.06
MINIMUM_SHOWN = 3


@dataclass(frozen=True)
class Suggested:
    kind: Literal["sentence", "figure"]
    start: int
    end: int
    text: str
    score: float
    figure_kind: FigureKind | Literal[""] = ""
    # What kind of claim: a figure is a quantity; a sentence's kind is read from its words.
    claim_type: ClaimType = "other"


def figure_score(sentence_score: float, figure: Figure) -> float:
    """Check-worthiness of `figure` on the sentences' scale: worth checking if its sentence is, or if
    the figure is on its own (a noisy OR), so it ranks just above a sentence of the same strength."""
    prior = _KIND_PRIOR[figure.kind] + (_TIME_BOUND_PRIOR if figure.time_bound else 0.0)
    return 1.0 - (1.0 - sentence_score) * (1.0 - prior)


def suggest(text: str, ranker: Ranker | None = None) -> list[Suggested]:
    """Sentences and figures of `text` worth suggesting, best first (ties in text order)."""
    sentences = (ranker or load_ranker()).score_article(text)
    starts = [s.start for s in sentences]
    found = [
        Suggested("sentence", s.start, s.end, s.text, s.score, claim_type=claim_type(s.text))
        for s in sentences
        if s.score >= SENTENCE_THRESHOLD
    ]
    for figure in spot_figures(text):
        at = bisect.bisect_right(starts, figure.start) - 1
        inside = at >= 0 and figure.start < sentences[at].end
        score = figure_score(sentences[at].score if inside else 0.0, figure)
        found.append(
            Suggested("figure", figure.start, figure.end, figure.text, score, figure.kind, "quantity")
        )
    return sorted(found, key=lambda s: (-s.score, s.start, s.end))


def word_count(text: str) -> int:
    return len(text.split())


def shown_count(text: str, per_1000_words: float) -> int | None:
    """How many suggestions a reader of `text` is shown: `per_1000_words` per thousand words, rounded up,
    and at least MINIMUM_SHOWN, so that a brief still gets its best few; None (all) when `per_1000_words`
    is 0 or less."""
    if per_1000_words <= 0:
        return None
    return max(MINIMUM_SHOWN, math.ceil(word_count(text) * per_1000_words / 1000))


def covered_by(claims: list[tuple[int, int]]) -> Callable[[int, int], bool]:
    """Whether a span lies inside one of `claims` (start, end spans): words someone claimed, or inside a
    longer claim, are not suggested again. Sorted once with the furthest end reached so far, so a check is
    a binary search: on a 1,500-claim article the same test in SQL compared every suggestion with every
    claim (150-300 ms for each save)."""
    spans = sorted(claims)
    starts = [start for start, _ in spans]
    furthest = list(itertools.accumulate((end for _, end in spans), max))

    def covered(start: int, end: int) -> bool:
        before = bisect.bisect_right(starts, start)  # the claims starting at or before `start`
        return before > 0 and furthest[before - 1] >= end

    return covered
