"""Suggestions for claims worth checking: sentence splitting, check-worthiness ranking, figure spotting,
and one ranking of both with the number to show (`suggest`).

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
from annotations.suggestions.suggest import Suggested, covered_by, shown_count, suggest

__all__ = [
    "DEFAULT_MODEL_PATH",
    "Figure",
    "FigureKind",
    "Ranker",
    "ScoredSentence",
    "Span",
    "Suggested",
    "covered_by",
    "load_ranker",
    "score_article",
    "shown_count",
    "split_sentences",
    "spot_figures",
    "suggest",
]
