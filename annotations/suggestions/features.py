"""Text analysers and hand-made features shared by training and inference.

Pure Python. The two analysers reproduce scikit-learn's ``TfidfVectorizer`` tokenisation exactly
(``analyzer="word"`` with the default token pattern, and ``analyzer="char_wb"``), so the exported
model scores the same as the pipeline it was trained as, without sklearn at run time.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

# sklearn's default ``token_pattern``.
_TOKEN_RE = re.compile(r"(?u)\b\w\w+\b")
# sklearn collapses runs of whitespace before char n-grams.
_WHITE_SPACES = re.compile(r"\s\s+")


def word_ngrams(text: str, min_n: int, max_n: int) -> list[str]:
    """Same output as ``TfidfVectorizer(analyzer="word", lowercase=True)`` analyser."""
    tokens = _TOKEN_RE.findall(text.lower())
    if max_n == 1:
        return tokens
    grams: list[str] = list(tokens) if min_n == 1 else []
    start = 2 if min_n == 1 else min_n
    n_tokens = len(tokens)
    for n in range(start, min(max_n + 1, n_tokens + 1)):
        for i in range(n_tokens - n + 1):
            grams.append(" ".join(tokens[i : i + n]))
    return grams


def char_wb_ngrams(text: str, min_n: int, max_n: int) -> list[str]:
    """Same output as ``TfidfVectorizer(analyzer="char_wb", lowercase=True)`` analyser."""
    text = _WHITE_SPACES.sub(" ", text.lower())
    grams: list[str] = []
    for word in text.split():
        padded = " " + word + " "
        length = len(padded)
        for n in range(min_n, max_n + 1):
            offset = 0
            grams.append(padded[offset : offset + n])
            while offset + n < length:
                offset += 1
                grams.append(padded[offset : offset + n])
            if offset == 0:  # a word shorter than n is counted once, as sklearn does
                break
    return grams


# --- hand features -------------------------------------------------------------------------------

_NUMBER_RE = re.compile(r"\d")
_NUMBER_TOKEN_RE = re.compile(r"\d[\d,.]*")
_PERCENT_RE = re.compile(r"%|\bper ?cent\b|\bpercentage\b", re.I)
_MONEY_RE = re.compile(r"[$€£¥]|\b(?:dollars?|euros?|pounds?|budget|tax(?:es)?|deficit|debt)\b", re.I)
_MAGNITUDE_RE = re.compile(r"\b(?:hundreds?|thousands?|millions?|billions?|trillions?)\b", re.I)
_NUMBER_WORD_RE = re.compile(
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"sixty|seventy|eighty|ninety|hundred|dozens?|half|third|quarter|twice|double[ds]?|triple[ds]?)\b",
    re.I,
)
_YEAR_RE = re.compile(r"\b(?:1[89]\d\d|20\d\d)\b|'\d0s\b")
_COMPARATIVE_RE = re.compile(
    r"\b(?:more|less|fewer|most|least|highest|lowest|largest|biggest|smallest|worst|best|record|"
    r"increased?|decreased?|increasing|rose|risen|fell|fallen|dropped|grew|grown|cut|up|down|"
    r"than|only|every|all|never|ever|always|nobody|everybody)\b",
    re.I,
)
_SUPERLATIVE_RE = re.compile(r"\b\w{3,}est\b", re.I)
_FIRST_PERSON_RE = re.compile(r"\b(?:i|i'm|i've|me|my)\b", re.I)
_SECOND_PERSON_RE = re.compile(r"\b(?:you|your|you're)\b", re.I)
_CLAIM_VERB_RE = re.compile(
    r"\b(?:voted|vote[sd]?|supported|opposed|passed|signed|said|says|created|lost|killed|spent|"
    r"raised|paid|pays|cost|costs|gave|increase|law|laws|percent|jobs|country|countries|"
    r"has|have|had|was|were|is|are)\b",
    re.I,
)
_NEGATION_RE = re.compile(r"\b(?:not|no|never|didn't|doesn't|don't|isn't|wasn't|won't|can't)\b", re.I)
_HEDGE_RE = re.compile(r"\b(?:think|believe|hope|want|will|going to|gonna|should|would|could|must)\b", re.I)
_STAGE_RE = re.compile(r"^\s*[(\[][^)\]]*[)\]]\s*$")
_PROPER_RE = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+")

SENTENCE_FEATURES: tuple[str, ...] = (
    "log_tokens",
    "has_digit",
    "n_numbers",
    "percent",
    "money",
    "magnitude",
    "number_word",
    "year",
    "comparative",
    "superlative",
    "first_person",
    "second_person",
    "claim_verb",
    "negation",
    "hedge",
    "question",
    "exclamation",
    "stage_direction",
    "proper_nouns",
)


def sentence_features(text: str) -> list[float]:
    """Features of one sentence on its own; order as in SENTENCE_FEATURES."""
    n_tokens = len(_TOKEN_RE.findall(text))
    stripped = text.strip()
    return [
        math.log1p(n_tokens),
        1.0 if _NUMBER_RE.search(text) else 0.0,
        math.log1p(len(_NUMBER_TOKEN_RE.findall(text))),
        1.0 if _PERCENT_RE.search(text) else 0.0,
        1.0 if _MONEY_RE.search(text) else 0.0,
        1.0 if _MAGNITUDE_RE.search(text) else 0.0,
        math.log1p(len(_NUMBER_WORD_RE.findall(text))),
        1.0 if _YEAR_RE.search(text) else 0.0,
        math.log1p(len(_COMPARATIVE_RE.findall(text))),
        math.log1p(len(_SUPERLATIVE_RE.findall(text))),
        math.log1p(len(_FIRST_PERSON_RE.findall(text))),
        math.log1p(len(_SECOND_PERSON_RE.findall(text))),
        math.log1p(len(_CLAIM_VERB_RE.findall(text))),
        math.log1p(len(_NEGATION_RE.findall(text))),
        math.log1p(len(_HEDGE_RE.findall(text))),
        1.0 if stripped.endswith("?") else 0.0,
        1.0 if stripped.endswith("!") else 0.0,
        1.0 if _STAGE_RE.match(text) else 0.0,
        math.log1p(len(_PROPER_RE.findall(text))),
    ]


CONTEXT_FEATURES: tuple[str, ...] = (
    "speaker_share",
    "speaker_is_main",
    "same_speaker_prev",
    "same_speaker_next",
    "turn_length",
    "position_in_turn",
    "prev_has_digit",
    "next_has_digit",
    "prev_log_tokens",
    "next_log_tokens",
    "prev_question",
)

FEATURE_NAMES: tuple[str, ...] = SENTENCE_FEATURES + CONTEXT_FEATURES


def document_features(texts: Sequence[str], speakers: Sequence[str] | None = None) -> list[list[float]]:
    """Dense features of every sentence of one document (transcript or article), in order.

    Speaker features are what carries over from debates to articles: who talks most, and how long
    the current turn is. Without speakers (an article) the whole text is one speaker's turn, which is
    what a speech looks like in the training data.
    """
    n = len(texts)
    spk = [s.strip().upper() for s in speakers] if speakers is not None else ["AUTHOR"] * n
    if len(spk) != n:
        raise ValueError("speakers and texts differ in length")
    counts: dict[str, int] = {}
    for s in spk:
        counts[s] = counts.get(s, 0) + 1
    main = max(sorted(counts), key=lambda s: counts[s]) if counts else ""
    # Turns: maximal runs of the same speaker.
    turn_len = [0] * n
    turn_pos = [0] * n
    i = 0
    while i < n:
        j = i
        while j < n and spk[j] == spk[i]:
            j += 1
        for k in range(i, j):
            turn_len[k] = j - i
            turn_pos[k] = k - i
        i = j
    own = [sentence_features(t) for t in texts]
    rows: list[list[float]] = []
    for k in range(n):
        prev_f = own[k - 1] if k > 0 else None
        next_f = own[k + 1] if k + 1 < n else None
        context = [
            counts[spk[k]] / n,
            1.0 if spk[k] == main else 0.0,
            1.0 if k > 0 and spk[k - 1] == spk[k] else 0.0,
            1.0 if k + 1 < n and spk[k + 1] == spk[k] else 0.0,
            math.log1p(turn_len[k]),
            math.log1p(turn_pos[k]),
            prev_f[1] if prev_f else 0.0,
            next_f[1] if next_f else 0.0,
            prev_f[0] if prev_f else 0.0,
            next_f[0] if next_f else 0.0,
            prev_f[15] if prev_f else 0.0,
        ]
        rows.append(own[k] + context)
    return rows
