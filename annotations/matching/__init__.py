"""Claim matching: has this claim been made, or checked, before? (pure Python: no Django, no database).

`MatchIndex` ranks stored claims (earlier claims, fact-checks) for a new claim by a fused BM25 + WordLlama
score; `figures.relation` is the guard that decides whether a close match may be the *same* claim or is at
most a *related* one. Nothing here downloads anything: the only model is the one inside the wordllama wheel.
"""

from annotations.matching.combine import Fusion
from annotations.matching.figures import Relation, quantities, relation
from annotations.matching.index import MatchIndex

__all__ = ["Fusion", "MatchIndex", "Relation", "quantities", "relation"]
