"""Suggestions for claims worth checking: sentence splitting, check-worthiness ranking, figure spotting.

Pure Python (no Django); the model is a JSON file next to this package.
"""

from annotations.suggestions.ranker import (
    DEFAULT_MODEL_PATH,
    Ranker,
    ScoredSentence,
    load_ranker,
    score_article,
)
from annotations.suggestions.sentences import Span, split_sentences
from annotations.suggestions.spotter import Figure, FigureKind, spot_figures

__all__ = [
    "DEFAULT_MODEL_PATH",
    "Figure",
    "FigureKind",
    "Ranker",
    "ScoredSentence",
    "Span",
    "load_ranker",
    "score_article",
    "split_sentences",
    "spot_figures",
]
