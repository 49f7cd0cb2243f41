"""Turning a text and the spans on it (claims, suggestions) into segments to render, overlaps included.

Pure Python, no Django. The article is shown with `white-space: pre-wrap`, so the page's text is exactly
the revision's text and offsets counted in the browser map straight back to it.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any

PART_LENGTH = 1_500  # characters: a save re-sends the parts its highlights touch, so keep them small
_PARAGRAPH_END = re.compile(r"\n+")


@dataclass(frozen=True, slots=True)
class Segment:
    start: int
    end: int
    text: str
    keys: tuple[Any, ...]  # the spans covering this stretch, shortest (innermost) first

    @property
    def depth(self) -> int:
        return len(self.keys)


def segments(
    text: str, spans: Iterable[tuple[Hashable, int, int]], cuts: Iterable[int] = ()
) -> list[Segment]:
    """Split `text` at every span boundary and at `cuts`; `spans` are (key, start, end) in code points,
    keys unique.

    Runs in O((n + k) log k) for k spans, so a thousand claims cost little.
    """
    clipped = [(key, max(0, start), min(len(text), end)) for key, start, end in spans]
    clipped = [span for span in clipped if span[1] < span[2]]
    order = {key: (end - start, index) for index, (key, start, end) in enumerate(clipped)}
    cuts = sorted(
        {0, len(text), *(c for c in cuts if 0 < c < len(text))}
        | {s for _, s, _ in clipped}
        | {e for _, _, e in clipped}
    )
    opening: dict[int, list[Hashable]] = {}
    closing: dict[int, list[Hashable]] = {}
    for key, start, end in clipped:
        opening.setdefault(start, []).append(key)
        closing.setdefault(end, []).append(key)
    active: set[Hashable] = set()
    result: list[Segment] = []
    for left, right in zip(cuts, cuts[1:], strict=False):
        active.difference_update(closing.get(left, ()))
        active.update(opening.get(left, ()))
        result.append(Segment(left, right, text[left:right], tuple(sorted(active, key=order.__getitem__))))
    return result


def parts(text: str, length: int = PART_LENGTH) -> list[tuple[int, int]]:
    """The text cut into consecutive (start, end) parts, each ending after a run of line breaks, or, in a
    paragraph longer than `length`, after a space: the pieces a save re-renders when highlights change.

    The parts are inline and the text is pre-wrapped, so where they fall never shows.
    """
    bounds: list[tuple[int, int]] = []
    start = 0
    paragraph_ends = [m.end() for m in _PARAGRAPH_END.finditer(text)] + [len(text)]
    for paragraph_end in paragraph_ends:
        while paragraph_end - start > length:
            space = text.rfind(" ", start + 1, start + length)
            cut = space + 1 if space > start else start + length
            bounds.append((start, cut))
            start = cut
        if paragraph_end > start:
            bounds.append((start, paragraph_end))
            start = paragraph_end
    return bounds or [(0, 0)]


def parts_touching(bounds: list[tuple[int, int]], ranges: Iterable[tuple[int, int]]) -> list[int]:
    """The indexes of the parts that a highlight over any of `ranges` (start, end) appears in."""
    touched: set[int] = set()
    for low, high in ranges:
        touched.update(i for i, (start, end) in enumerate(bounds) if start < max(high, low + 1) and low < end)
    return sorted(touched)
