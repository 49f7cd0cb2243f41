"""Carrying claim spans across revisions of an article, and finding quotes in a text (pure Python, no Django).

`cascade` holds the anchoring cascade of DESIGN.md, `diff` the revision diff it starts from, `figures` the
numbers rule (a changed figure is flagged, never silently carried).
"""

from annotations.anchoring.cascade import (
    CONTEXT_WIDTH,
    Anchor,
    AnchorState,
    carry,
    carry_many,
    context_for,
    find_candidates,
    locate,
)

__all__ = [
    "CONTEXT_WIDTH",
    "Anchor",
    "AnchorState",
    "carry",
    "carry_many",
    "context_for",
    "find_candidates",
    "locate",
]
