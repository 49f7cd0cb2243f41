"""`MatchIndex`: stored claims (id, text) searchable by a new claim, best first, with a fused score."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from annotations.matching import dense
from annotations.matching.combine import Fusion, top_k
from annotations.matching.lexical import Lexical


@dataclass(frozen=True)
class Match:
    id: str
    score: float  # fused
    cosine: float
    bm25: float


class MatchIndex:
    """Build once from (id, text) pairs (or with embeddings already stored); search many times."""

    def __init__(
        self,
        items: Iterable[tuple[str, str]],
        embeddings: dense.Matrix | None = None,
        fusion: Fusion | None = None,
    ) -> None:
        pairs = list(items)
        self.ids: list[str] = [str(i) for i, _ in pairs]
        self.texts: list[str] = [t for _, t in pairs]
        if embeddings is None:
            embeddings = dense.embed(self.texts)
        if embeddings.shape != (len(self.ids), dense.DIMENSIONS):
            raise ValueError(f"embeddings of shape {embeddings.shape} for {len(self.ids)} texts")
        self.matrix = np.ascontiguousarray(embeddings, dtype=np.float32)
        self.lexical = Lexical(self.texts)
        self.fusion = fusion or Fusion()

    def __len__(self) -> int:
        return len(self.ids)

    def matches(self, text: str, top: int = 5, vector: dense.Matrix | None = None) -> list[Match]:
        if not self.ids or top <= 0:
            return []
        query = dense.embed([text])[0] if vector is None else vector
        cos = dense.cosines(query, self.matrix)
        bm25 = self.lexical.scores(text)
        fused = self.fusion.fuse(bm25, cos)
        return [Match(self.ids[i], float(fused[i]), float(cos[i]), float(bm25[i])) for i in top_k(fused, top)]

    def search(self, text: str, top: int = 5) -> list[tuple[str, float]]:
        return [(m.id, m.score) for m in self.matches(text, top)]

    def search_many(self, texts: Sequence[str], top: int = 5) -> list[list[tuple[str, float]]]:
        """Several queries, embedded in one batch."""
        vectors = dense.embed(texts)
        return [
            [(m.id, m.score) for m in self.matches(t, top, vector=v)]
            for t, v in zip(texts, vectors, strict=True)
        ]
