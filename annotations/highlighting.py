"""Turning a text and its claims' spans into segments to render, overlaps included (no Django import).

The article is shown with `white-space: pre-wrap`, so the page's text is exactly the revision's text and
offsets counted in the browser map straight back to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Segment:
    start: int
    end: int
    text: str
    claim_ids: tuple[int, ...]  # the claims covering this stretch, shortest (innermost) first

    @property
    def depth(self) -> int:
        return len(self.claim_ids)


def segments(text: str, spans: Iterable[tuple[int, int, int]]) -> list[Segment]:
    """Split `text` at every claim boundary; `spans` are (claim id, start, end) in code points.

    Runs in O((n + k) log k) for k spans, so a thousand claims cost little.
    """
    spans = [(claim_id, max(0, start), min(len(text), end)) for claim_id, start, end in spans]
    spans = [span for span in spans if span[1] < span[2]]
    length = {claim_id: end - start for claim_id, start, end in spans}
    cuts = sorted({0, len(text), *(s for _, s, _ in spans), *(e for _, _, e in spans)})
    opening: dict[int, list[int]] = {}
    closing: dict[int, list[int]] = {}
    for claim_id, start, end in spans:
        opening.setdefault(start, []).append(claim_id)
        closing.setdefault(end, []).append(claim_id)
    active: set[int] = set()
    result: list[Segment] = []
    for left, right in zip(cuts, cuts[1:], strict=False):
        active.difference_update(closing.get(left, ()))
        active.update(opening.get(left, ()))
        covering = tuple(sorted(active, key=lambda claim_id: (length[claim_id], claim_id)))
        result.append(Segment(left, right, text[left:right], covering))
    return result
