"""`LiveIndex`: a `MatchIndex` that takes new, changed and deleted items without being rebuilt.

The app's stored claims change all day, and rebuilding the BM25 index costs about 50 s per million texts
(BENCHMARKS.md), so a change goes into a small *delta* beside the built *base*: a changed or deleted base row
is masked, the new text is scored as an extra row with the base's statistics (`Lexical.score_documents`:
the same idf and length normalisation bm25s gives its own rows), and its vector is one more row for the
cosine. Once the delta outgrows a few per cent of the base, `rebuilt()` folds it in; until then a query
costs the base's few milliseconds plus a few microseconds per delta item.
"""

from collections.abc import Iterable, Sequence

import numpy as np

from annotations.matching import dense
from annotations.matching.combine import Fusion, top_k
from annotations.matching.index import Match, MatchIndex
from annotations.matching.lexical import tokenise

# Rebuild once more than this many items (plus this share of the base) are in the delta or masked.
REBUILD_AFTER = 200
REBUILD_SHARE = 0.02


class LiveIndex:
    def __init__(
        self,
        items: Iterable[tuple[str, str]],
        embeddings: dense.Matrix | None = None,
        fusion: Fusion | None = None,
    ) -> None:
        self._start(MatchIndex(items, embeddings, fusion))

    @classmethod
    def around(cls, base: MatchIndex) -> "LiveIndex":
        """A live index on an index already built."""
        live = cls.__new__(cls)
        live._start(base)
        return live

    def _start(self, base: MatchIndex) -> None:
        self.base = base
        self.row = {item_id: i for i, item_id in enumerate(self.base.ids)}
        self.masked = np.zeros(len(self.base), dtype=bool)
        # id -> (text, vector, tokens), in insertion order: a delta row's position is its order here.
        self.delta: dict[str, tuple[str, dense.Matrix, list[str]]] = {}
        self._delta_matrix: dense.Matrix | None = None

    def __len__(self) -> int:
        return len(self.base) - int(self.masked.sum()) + len(self.delta)

    def text_of(self, item_id: str) -> str | None:
        if item_id in self.delta:
            return self.delta[item_id][0]
        row = self.row.get(item_id)
        return None if row is None or self.masked[row] else self.base.texts[row]

    def upsert(self, items: Sequence[tuple[str, str]], embeddings: dense.Matrix) -> int:
        """Add or replace items (with their unit vectors); how many were new or changed."""
        changed = 0
        for (item_id, text), vector in zip(items, embeddings, strict=True):
            item_id = str(item_id)
            if self.text_of(item_id) == text:
                continue
            row = self.row.get(item_id)
            if row is not None:
                self.masked[row] = True
            self.delta.pop(item_id, None)  # re-inserted at the end, with its new text
            self.delta[item_id] = (text, np.asarray(vector, dtype=np.float32), tokenise(text))
            changed += 1
        if changed:
            self._delta_matrix = None
        return changed

    def remove(self, item_ids: Iterable[str]) -> None:
        for item_id in map(str, item_ids):
            if self.delta.pop(item_id, None) is not None:
                self._delta_matrix = None
            row = self.row.get(item_id)
            if row is not None:
                self.masked[row] = True

    @property
    def stale(self) -> bool:
        """Whether the delta and the masked rows have grown enough to be worth a rebuild."""
        pending = len(self.delta) + int(self.masked.sum())
        return pending > REBUILD_AFTER + REBUILD_SHARE * len(self.base)

    def items(self) -> tuple[list[tuple[str, str]], dense.Matrix]:
        """Every live item and its vector: the base's unmasked rows, then the delta."""
        keep = np.flatnonzero(~self.masked)
        pairs = [(self.base.ids[i], self.base.texts[i]) for i in keep]
        pairs += [(item_id, text) for item_id, (text, _, _) in self.delta.items()]
        vectors = [self.base.matrix[keep], *(v.reshape(1, -1) for _, v, _ in self.delta.values())]
        return pairs, np.vstack(vectors).astype(np.float32)

    def rebuilt(self) -> "LiveIndex":
        pairs, vectors = self.items()
        return LiveIndex(pairs, vectors, self.base.fusion)

    def matches(self, text: str, top: int = 5, vector: dense.Matrix | None = None) -> list[Match]:
        if top <= 0 or not len(self):
            return []
        query = dense.embed([text])[0] if vector is None else vector
        base = self.base
        if len(base):
            cos = dense.cosines(query, base.matrix)
            bm25 = base.lexical.scores(text)
            bm25[self.masked] = 0.0  # a masked row neither matches nor sets the scale
        else:
            cos = bm25 = np.zeros(0, dtype=np.float32)
        if self.delta:
            if self._delta_matrix is None:
                self._delta_matrix = np.vstack([v for _, v, _ in self.delta.values()]).astype(np.float32)
            cos = np.concatenate([cos, dense.cosines(query, self._delta_matrix)])
            documents = [tokens for _, _, tokens in self.delta.values()]
            bm25 = np.concatenate([bm25, base.lexical.score_documents(text, documents)])
        fused = base.fusion.fuse(bm25, cos)
        fused[: len(base)][self.masked] = -np.inf
        delta_ids = list(self.delta)
        return [
            Match(
                base.ids[i] if i < len(base) else delta_ids[i - len(base)],
                float(fused[i]),
                float(cos[i]),
                float(bm25[i]),
            )
            for i in top_k(fused, top)
            if np.isfinite(fused[i])
        ]
