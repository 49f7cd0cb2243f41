"""MAP@k, MRR and precision@1 of ranked ids against qrels (the CLEF-2020 Task 2 measures)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Quality:
    map_at_5: float
    mrr: float
    p_at_1: float
    queries: int


def average_precision(ranked: Sequence[str], relevant: set[str], k: int = 5) -> float:
    hits, total = 0, 0.0
    for rank, ident in enumerate(ranked[:k], 1):
        if ident in relevant:
            hits += 1
            total += hits / rank
    return total / min(len(relevant), k) if relevant else 0.0


def evaluate(runs: Mapping[str, Sequence[str]], qrels: Mapping[str, set[str]], k: int = 5) -> Quality:
    """Over the queries of `qrels`; a query with no run counts as zero."""
    aps, rrs, p1s = [], [], []
    for query, relevant in qrels.items():
        ranked = list(runs.get(query, ()))
        aps.append(average_precision(ranked, relevant, k))
        rank = next((r for r, ident in enumerate(ranked, 1) if ident in relevant), None)
        rrs.append(1.0 / rank if rank else 0.0)
        p1s.append(1.0 if ranked and ranked[0] in relevant else 0.0)
    n = len(aps) or 1
    return Quality(sum(aps) / n, sum(rrs) / n, sum(p1s) / n, len(aps))
