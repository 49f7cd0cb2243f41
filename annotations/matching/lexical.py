"""BM25 over the stored claims (bm25s, numpy backend), with our own tokeniser.

bm25s does the scoring (sparse matrices, so one query against 100,000 claims costs a few milliseconds);
the tokeniser is ours, so that the same words come out at index and query time without bm25s's vocabulary
bookkeeping: lower case, letters and digits, English stop words out, a light suffix stripper (no stemmer
package is installed here, and PyStemmer would be a C extension for a small gain).
"""

import logging
import math
import re
from collections import Counter
from collections.abc import Sequence

import bm25s
import numpy as np
import numpy.typing as npt

from annotations.matching.text import clean

WORD = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:'[^\W\d_]+)*")
POSSESSIVE = re.compile(r"'s?$")
# bm25s sets its own logger to DEBUG at import ("Building index from tokens" on every index).
logging.getLogger("bm25s").setLevel(logging.WARNING)
STOP_WORDS = frozenset(bm25s.stopwords.STOPWORDS_EN) | {"rt", "amp", "via"}


def stem(word: str) -> str:
    """A very light English stemmer: possessives and plurals only (-ing/-ed stripping without a real
    stemmer mangles more words than it joins)."""
    word = POSSESSIVE.sub("", word)
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def tokenise(text: str) -> list[str]:
    words = (w.replace(",", "") for w in WORD.findall(clean(text).lower()))
    return [stem(w) for w in words if w not in STOP_WORDS]


class Lexical:
    """BM25 scores of a query against every stored text, as one float32 array in stored order."""

    def __init__(self, texts: Sequence[str], k1: float = 1.2, b: float = 0.75) -> None:
        self.size = len(texts)
        self.k1, self.b = k1, b
        self.model = bm25s.BM25(k1=k1, b=b)  # method "lucene": the idf and tf terms of `score_documents`
        corpus = [tokenise(t) or ["\u2205"] for t in texts]  # an empty text still takes its row
        self.average_length = sum(map(len, corpus)) / len(corpus) if corpus else 1.0
        if corpus:
            self.model.index(corpus, show_progress=False)

    def document_frequency(self, token: str) -> int:
        """In how many stored texts `token` occurs (a column's length in bm25s's sparse score matrix)."""
        column = self.model.vocab_dict.get(token) if self.size else None
        if column is None:
            return 0
        indptr = self.model.scores["indptr"]
        return int(indptr[column + 1] - indptr[column])

    def score_documents(self, text: str, documents: Sequence[Sequence[str]]) -> npt.NDArray[np.float32]:
        """BM25 of a query against tokenised texts that are not in the index, with the index's statistics
        (idf, average length): what bm25s would give them as extra rows, so that a claim added since the
        index was built is scored on the same scale as the stored ones (`live.LiveIndex`)."""
        tokens = tokenise(text)
        out = np.zeros(len(documents), dtype=np.float32)
        if not tokens or not documents:
            return out
        n = self.size
        idf = {
            t: math.log(1 + (n - df + 0.5) / (df + 0.5))
            for t in set(tokens)
            for df in [self.document_frequency(t)]
        }
        for row, document in enumerate(documents):
            counts = Counter(document)
            norm = self.k1 * ((1 - self.b) + self.b * len(document) / self.average_length)
            out[row] = sum(idf[t] * counts[t] / (norm + counts[t]) for t in tokens if counts[t])
        return out

    def scores(self, text: str) -> npt.NDArray[np.float32]:
        tokens = tokenise(text)
        if not self.size or not tokens:
            return np.zeros(self.size, dtype=np.float32)
        vocab = self.model.vocab_dict
        known = [t for t in tokens if t in vocab]
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.model.get_scores(known), dtype=np.float32)
