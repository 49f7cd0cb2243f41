"""Check-worthiness scoring with the exported linear model, in plain Python.

The model file is JSON (see training.py for how it is built): loading it runs no code, unlike a pickle,
and scoring needs neither sklearn nor numpy. A sentence's score is the logistic regression probability
sigmoid(w . x + b), where x = [l2-normalised sublinear TF-IDF of word n-grams, standardised features].
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from annotations.suggestions.features import FEATURE_NAMES, document_features, word_ngrams
from annotations.suggestions.sentences import split_sentences

MODEL_FORMAT = "newsroom-checkworthiness-linear/1"
DEFAULT_MODEL_PATH = Path(__file__).resolve().parent / "model" / "checkworthiness.json"


@dataclass(frozen=True)
class ScoredSentence:
    start: int
    end: int
    text: str
    score: float


def _sigmoid(z: float) -> float:
    # Split by sign so exp never overflows.
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


class Ranker:
    def __init__(self, model: dict[str, Any]) -> None:
        if model.get("format") != MODEL_FORMAT:
            raise ValueError(f"unsupported model format {model.get('format')!r}")
        if list(model["feature_names"]) != list(FEATURE_NAMES):
            raise ValueError("model was trained with different hand features; rebuild it")
        lo, hi = model["word_ngram_range"]
        self._ngram_range: tuple[int, int] = (int(lo), int(hi))
        # term -> (idf, coefficient): one dict lookup per n-gram at scoring time.
        self._terms: dict[str, tuple[float, float]] = {
            term: (float(idf), float(coef))
            for term, idf, coef in zip(model["terms"], model["idf"], model["term_coef"], strict=True)
        }
        self._mean = [float(v) for v in model["feature_mean"]]
        # StandardScaler leaves constant features unscaled (scale 1), so scale is never 0 here.
        self._scale = [float(v) for v in model["feature_scale"]]
        self._feature_coef = [float(v) for v in model["feature_coef"]]
        self._intercept = float(model["intercept"])

    def _text_score(self, text: str) -> float:
        counts = Counter(word_ngrams(text, *self._ngram_range))
        dot = 0.0
        norm_sq = 0.0
        for term, tf in counts.items():
            entry = self._terms.get(term)
            if entry is None:
                continue
            weight = (1.0 + math.log(tf)) * entry[0]
            norm_sq += weight * weight
            dot += weight * entry[1]
        return dot / math.sqrt(norm_sq) if norm_sq > 0.0 else 0.0

    def decision_function(self, texts: Sequence[str], speakers: Sequence[str] | None = None) -> list[float]:
        rows = document_features(texts, speakers)
        out: list[float] = []
        for text, row in zip(texts, rows, strict=True):
            z = self._intercept + self._text_score(text)
            for value, mean, scale, coef in zip(
                row, self._mean, self._scale, self._feature_coef, strict=True
            ):
                z += (value - mean) / scale * coef
            out.append(z)
        return out

    def score_sentences(self, texts: Sequence[str], speakers: Sequence[str] | None = None) -> list[float]:
        """Probability in [0, 1] that each sentence is worth fact-checking.

        ``texts`` should be one whole document in order: neighbouring sentences and speaker turns are
        features. Without ``speakers`` the document is treated as a single speaker's (an article).
        """
        return [_sigmoid(z) for z in self.decision_function(texts, speakers)]

    def score_article(self, text: str) -> list[ScoredSentence]:
        spans = split_sentences(text)
        scores = self.score_sentences([s.text for s in spans])
        return [ScoredSentence(s.start, s.end, s.text, score) for s, score in zip(spans, scores, strict=True)]


def read_model(path: Path | str) -> dict[str, Any]:
    with Path(path).open(encoding="utf-8") as handle:
        model: dict[str, Any] = json.load(handle)
    return model


@lru_cache(maxsize=4)
def _load_cached(path: str) -> Ranker:
    return Ranker(read_model(path))


def load_ranker(path: Path | str = DEFAULT_MODEL_PATH) -> Ranker:
    """The ranker for a model file, loaded once per process (cached by resolved path)."""
    return _load_cached(str(Path(path).resolve()))


def score_article(text: str) -> list[ScoredSentence]:
    """Sentences of ``text`` with code-point offsets and check-worthiness, using the shipped model."""
    return load_ranker().score_article(text)
