"""Score fusion: BM25 and cosine on one scale, then a weighted sum.

BM25 scores have no fixed range, so each query's are divided by that query's best (the top lexical match
gets 1.0); cosines are already in [-1, 1]. The fused score is ``weight * bm25 / max(bm25) + (1 - weight) *
cosine``. The weight was chosen on the CLEF-2020 training tweets only (benchmarks/bench_matching.py sweeps
it and prints the sweep); the development tweets are only ever measured.
"""

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Scores = npt.NDArray[np.float32]

# Chosen on the 800 training tweets by benchmarks/bench_matching.py (MAP@5 sweep over 0.00..1.00).
DEFAULT_WEIGHT = 0.3


@dataclass(frozen=True)
class Fusion:
    weight: float = DEFAULT_WEIGHT  # share of the (normalised) BM25 score; 0 = dense only, 1 = BM25 only

    def fuse(self, lexical: Scores, dense: Scores) -> Scores:
        top = float(lexical.max()) if lexical.size else 0.0
        normalised = lexical / top if top > 0 else np.zeros_like(lexical)
        return np.asarray(self.weight * normalised + (1.0 - self.weight) * dense, dtype=np.float32)


def top_k(scores: Scores, k: int) -> npt.NDArray[np.intp]:
    """Indices of the k best scores, best first; ties go to the earlier stored item, whatever k is."""
    k = min(k, scores.size)
    if k <= 0:
        return np.zeros(0, dtype=np.intp)
    if k < scores.size:
        kth = np.partition(scores, scores.size - k)[scores.size - k]
        part = np.flatnonzero(scores >= kth)  # every tie at the k-th score, so the lowest indices win
    else:
        part = np.arange(scores.size)
    return part[np.lexsort((part, -scores[part]))][:k]
