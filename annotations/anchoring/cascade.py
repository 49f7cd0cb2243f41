"""Carry claim spans from one revision of an article to the next, and find quotes in a text.

Offsets are Python ``str`` indices (Unicode code points), end-exclusive, as in the W3C TextPositionSelector.
This module imports nothing from Django on purpose: it is a pure algorithm, property-tested and benchmarked
on its own (``tests/test_anchoring.py``, ``benchmarks/bench_anchoring.py``).

The cascade of DESIGN.md ("Anchoring across revisions"), tried in order for every span:

1. + 2. The span lies inside a stretch that the diff of the two revisions leaves unchanged, and no edit glues
   new letters onto its edges ("lawful" -> "unlawful"): the same text at the mapped offsets,
   ``anchored`` when the offsets are unchanged, otherwise ``moved``.
3. The quote occurs in the new text with the same kind of edges, and its old context (32 characters each
   side) is found entire on at least one side: identical, or at least 8 characters all agreeing. The single
   best such occurrence wins (most context agreeing, then nearest to where the diff maps the span); a tie is
   no match -> ``moved``.
4. A window near the diff-mapped position, or between the old prefix and suffix found again, whose text
   (figures masked) is at least 85 % similar to the quote and whose context is similar -> ``fuzzy``.
5. Otherwise ``orphaned``, with the OLD offsets: the caller keeps the old quote and shows it to editors.

Numbers rule: if the figures that touch the span differ between the old quote and the new candidate
("160,000" -> "180,000", "2014" -> "2015", "3.5%" -> "4%", and "160,000" -> "160,000,000" by an edit just
outside it), the result is ``needs_recheck`` with the candidate's offsets widened to whole numbers. A claim
is never reported anchored, moved or fuzzy on a different figure.

Invariant: when the state is ``anchored`` or ``moved``, ``new_text[a.start:a.end]`` is the old quote exactly.
"""

import bisect
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

from annotations.anchoring.diff import Op, common_prefix_len, diff
from annotations.anchoring.figures import NUMBER, Figures

AnchorState = Literal["anchored", "moved", "fuzzy", "orphaned", "needs_recheck"]

CONTEXT_WIDTH = 32  # the prefix/suffix length the claim model stores
FUZZY_THRESHOLD = 0.85  # similarity of quote and candidate, figures masked
CONTEXT_THRESHOLD = 0.5  # mean similarity of the old and new prefix/suffix around a fuzzy candidate
MIN_FUZZY_LOCATE = 8  # shorter quotes are too common to look for approximately in a whole text

_ZWJ = "\u200d"
_REGIONAL_INDICATORS = range(0x1F1E6, 0x1F200)
_SKIN_TONES = range(0x1F3FB, 0x1F400)


@dataclass(frozen=True, slots=True)
class Anchor:
    """Where a span lies in a text and how it got there. For ``orphaned`` the offsets are the old ones."""

    start: int
    end: int
    state: AnchorState


def context_for(text: str, start: int, end: int, width: int = CONTEXT_WIDTH) -> tuple[str, str]:
    """The (prefix, suffix) of up to ``width`` characters around ``text[start:end]``."""
    return text[max(0, start - width) : start], text[end : end + width]


def carry(
    old_text: str,
    new_text: str,
    start: int,
    end: int,
    *,
    exact: str | None = None,
    prefix: str = "",
    suffix: str = "",
) -> Anchor:
    """Carry the span ``old_text[start:end]`` to ``new_text`` (see the module docstring for the cascade).

    ``exact``, ``prefix`` and ``suffix`` are the claim's stored quote and context, if the caller has them;
    they must agree with ``old_text``, so a claim whose offsets belong to another revision raises
    ``ValueError`` instead of being carried to the wrong words. For ``orphaned`` the old offsets are
    returned unchanged.
    """
    _check_span(old_text, start, end)
    if exact is not None and old_text[start:end] != exact:
        raise ValueError("exact does not match old_text[start:end]")
    if not old_text[:start].endswith(prefix) or not old_text[end:].startswith(suffix):
        raise ValueError("prefix/suffix do not match the context of the span in old_text")
    return _Carrier(old_text, new_text).carry(start, end)


def carry_many(old_text: str, new_text: str, spans: Sequence[tuple[int, int]]) -> list[Anchor]:
    """Carry many spans at once: the revisions are diffed once, then each span costs little."""
    for start, end in spans:
        _check_span(old_text, start, end)
    carrier = _Carrier(old_text, new_text)
    return [carrier.carry(start, end) for start, end in spans]


def find_candidates(text: str, exact: str, prefix: str = "", suffix: str = "") -> list[int]:
    """Start offsets of the occurrences of ``exact`` whose context agrees best with ``prefix``/``suffix``.

    Agreement is the number of characters of ``prefix`` matching just before the occurrence plus those of
    ``suffix`` matching just after. An empty list means the quote is missing; several mean it is ambiguous
    and the caller should ask for more context.
    """
    best_score, best = -1, list[int]()
    if not exact:
        return best
    for pos in _occurrences(text, exact):
        after = pos + len(exact)
        score = _common_suffix_len(prefix, text[max(0, pos - len(prefix)) : pos]) + common_prefix_len(
            suffix, text[after : after + len(suffix)]
        )
        if score > best_score:
            best_score, best = score, [pos]
        elif score == best_score:
            best.append(pos)
    return best


def locate(
    text: str, exact: str, prefix: str = "", suffix: str = "", hint: int | None = None
) -> Anchor | None:
    """Find a W3C TextQuoteSelector (exact, prefix, suffix) in ``text``.

    Exact occurrences are ranked by context (``find_candidates``), then by distance to ``hint``. A single
    winner is returned as ``anchored``; a tie returns ``None`` (ambiguous). Context ranks occurrences but does
    not veto a unique one. When the quote does not occur exactly and has at least ``MIN_FUZZY_LOCATE``
    characters, a bounded approximate search may return a ``fuzzy`` anchor, never one on a different figure.
    ``None`` means missing or ambiguous; ``find_candidates`` tells which.
    """
    if not exact:
        return None
    starts = find_candidates(text, exact, prefix, suffix)
    if len(starts) > 1:
        if hint is None:
            return None
        starts.sort(key=lambda pos: abs(pos - hint))
        if abs(starts[0] - hint) == abs(starts[1] - hint):
            return None
    if starts:
        return Anchor(starts[0], starts[0] + len(exact), "anchored")
    if len(exact) < MIN_FUZZY_LOCATE:
        return None
    return _locate_fuzzy(text, exact, prefix, suffix)


# --- carrying --------------------------------------------------------------------------------------------


class _Carrier:
    """One diff of two revisions, and the figures of each, shared by every span carried between them."""

    def __init__(self, old: str, new: str) -> None:
        self.old, self.new = old, new
        self.alignment = _Alignment(diff(old, new))
        self.old_figures, self.new_figures = Figures(old), Figures(new)

    def carry(self, start: int, end: int) -> Anchor:
        old, new = self.old, self.new
        figures = self.old_figures.values(start, end)
        image = self.alignment.equal_image(start, end)
        if image is not None and _same_edges(old, start, end, new, *image):
            return self._settle(start, end, *image, figures)
        hint = self.alignment.map_start(start)
        found = self._find_quote(start, end, hint)
        if found is not None:
            return self._settle(start, end, *found, figures)
        return self._find_similar(start, end, figures) or Anchor(start, end, "orphaned")

    def _settle(self, start: int, end: int, s: int, e: int, figures: list[str]) -> Anchor:
        """Name the state of an exact match of the quote at new offsets s:e."""
        if self.new_figures.values(s, e) != figures:
            return Anchor(*self.new_figures.widen(s, e), "needs_recheck")
        return Anchor(s, e, "anchored" if (s, e) == (start, end) else "moved")

    def _find_quote(self, start: int, end: int, hint: int) -> tuple[int, int] | None:
        """Step 3: the quote with one side of its old context intact, unambiguous."""
        old, new = self.old, self.new
        quote = old[start:end]
        left, right = context_for(old, start, end)
        ranked: list[tuple[tuple[int, int, int], int]] = []
        for s in _occurrences(new, quote):
            e = s + len(quote)
            if not _same_edges(old, start, end, new, s, e):
                continue  # a changed figure around the quote is kept: _settle flags it needs_recheck
            new_left, new_right = context_for(new, s, e)
            agree_left, agree_right = _common_suffix_len(left, new_left), common_prefix_len(right, new_right)
            whole_sides = _whole(left, new_left, agree_left) + _whole(right, new_right, agree_right)
            if whole_sides:
                ranked.append(((whole_sides, agree_left + agree_right, -abs(s - hint)), s))
        ranked.sort(reverse=True)
        if not ranked or (len(ranked) > 1 and ranked[0][0] == ranked[1][0]):
            return None
        s = ranked[0][1]
        return s, s + len(quote)

    def _find_similar(self, start: int, end: int, figures: list[str]) -> Anchor | None:
        """Step 4: a bounded fuzzy match near the diff-mapped position, or between the old context."""
        old, new = self.old, self.new
        quote = old[start:end]
        left, right = context_for(old, start, end)
        glued = (_glued(old, start), _glued(old, end))
        mapped = _snap(new, self.alignment.map_start(start), self.alignment.map_end(end), *glued)
        if _masked(new[mapped[0] : mapped[1]]) == _masked(quote) and _best_similar(
            new, quote, left, right, [mapped]
        ):
            return self._settle_similar(*mapped, figures)  # the usual case, a figure changed in place: done
        candidates = [mapped]
        if mapped[1] - mapped[0] > len(quote) * 3 // 2 + 8:
            # The diff could not narrow the change down (a rewritten paragraph): look for the quote inside.
            window = _align(new, mapped[0], mapped[1], quote)
            if window is not None:
                candidates.append(window)
        between = _between(new, left, right, len(quote))
        if between is not None:
            candidates.append(between)
        best = _best_similar(new, quote, left, right, [_snap(new, s, e, *glued) for s, e in candidates])
        return None if best is None else self._settle_similar(*best, figures)

    def _settle_similar(self, s: int, e: int, figures: list[str]) -> Anchor:
        if self.new_figures.values(s, e) != figures:
            return Anchor(*self.new_figures.widen(s, e), "needs_recheck")
        return Anchor(s, e, "fuzzy")


class _Alignment:
    """Maps old offsets to new ones through the diff opcodes."""

    def __init__(self, ops: list[Op]) -> None:
        # Pure insertions occupy no old offset; dropping them leaves blocks that tile the old text, so bisect
        # finds the block of any offset. An insertion inside a span then splits it across two blocks.
        self.blocks = [op for op in ops if op[2] > op[1]]
        self.starts = [op[1] for op in self.blocks]
        self.ends = [op[2] for op in self.blocks]

    def equal_image(self, start: int, end: int) -> tuple[int, int] | None:
        """New offsets of old[start:end] if it lies within one unchanged block, else None."""
        tag, i1, i2, j1, _ = self.blocks[bisect.bisect_right(self.starts, start) - 1]
        if tag == "equal" and end <= i2:
            return j1 + start - i1, j1 + end - i1
        return None

    def map_start(self, pos: int) -> int:
        """Where a span starting at old ``pos`` starts in the new text; a changed block maps to its start."""
        if not self.blocks:
            return 0
        tag, i1, i2, j1, _ = self.blocks[max(0, bisect.bisect_right(self.starts, pos) - 1)]
        return j1 + min(pos, i2) - i1 if tag == "equal" else j1

    def map_end(self, pos: int) -> int:
        """Where a span ending at old ``pos`` ends in the new text; a changed block maps to its end."""
        if not self.blocks:
            return 0
        tag, i1, _, j1, j2 = self.blocks[min(len(self.blocks) - 1, bisect.bisect_left(self.ends, pos))]
        return j1 + max(pos, i1) - i1 if tag == "equal" else j2


# --- matching helpers ------------------------------------------------------------------------------------


def _check_span(text: str, start: int, end: int) -> None:
    if not 0 <= start < end <= len(text):
        raise ValueError(f"span {start}:{end} is not within a text of {len(text)} characters")


def _occurrences(text: str, needle: str) -> Iterator[int]:
    """Every start offset of needle in text, overlapping ones included."""
    pos = text.find(needle)
    while pos != -1:
        yield pos
        pos = text.find(needle, pos + 1)


def _common_suffix_len(a: str, b: str) -> int:
    return common_prefix_len(a[::-1], b[::-1])


def _whole(old_side: str, new_side: str, agreeing: int) -> bool:
    """Whether one side of the old context is found entire: identical (which also places the span as near the
    start or end of the text), or at least 8 characters all agreeing (a claim near the top of an article keeps
    its short prefix when a line is added above it)."""
    return old_side == new_side or agreeing == len(old_side) >= 8


def _glued(text: str, i: int) -> bool:
    """True when offset i cuts through a word, a number or a grapheme, rather than falling between them."""
    if i <= 0 or i >= len(text):
        return False
    a, b = text[i - 1], text[i]
    if unicodedata.category(b).startswith("M") or _ZWJ in (a, b) or ord(b) in _SKIN_TONES:
        return True
    if ord(a) in _REGIONAL_INDICATORS and ord(b) in _REGIONAL_INDICATORS:
        return True  # flags are pairs; close enough without a full grapheme segmenter
    return _wordish(a) and _wordish(b)


def _wordish(c: str) -> bool:
    return c.isalnum() or unicodedata.category(c).startswith("M")


def _same_edges(old: str, start: int, end: int, new: str, s: int, e: int) -> bool:
    """Whether the new span cuts through words exactly where the old one did ("lawful" in "unlawful" does not
    keep the edges of "lawful" between spaces)."""
    return _glued(old, start) == _glued(new, s) and _glued(old, end) == _glued(new, e)


def _snap(text: str, s: int, e: int, start_glued: bool, end_glued: bool) -> tuple[int, int]:
    """Grow s:e outwards to word edges on the sides where the old span had word edges. Scripts written
    without spaces (Chinese, Japanese) have no near word edge: past CONTEXT_WIDTH an edge is left as it is."""
    if not start_glued:
        edge = s
        while _glued(text, edge) and s - edge < CONTEXT_WIDTH:
            edge -= 1
        s = s if _glued(text, edge) else edge
    if not end_glued:
        edge = e
        while _glued(text, edge) and edge - e < CONTEXT_WIDTH:
            edge += 1
        e = e if _glued(text, edge) else edge
    return s, e


def _similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def _masked(text: str) -> str:
    """Figures replaced by '#', so that a changed number still looks like the same sentence."""
    return NUMBER.sub("#", text)


def _align(text: str, lo: int, hi: int, quote: str) -> tuple[int, int] | None:
    """The stretch of text[lo:hi] that best lines up with quote, seeded by their longest common run."""
    lo, hi = max(0, lo), min(len(text), hi)
    if hi <= lo:
        return None
    seed = SequenceMatcher(None, text, quote, autojunk=False).find_longest_match(lo, hi, 0, len(quote))
    if seed.size == 0:
        return None
    slack = len(quote) // 4 + 1
    wlo = max(lo, seed.a - seed.b - slack)
    whi = min(hi, seed.a + len(quote) - seed.b + slack)
    blocks = [
        b for b in SequenceMatcher(None, text[wlo:whi], quote, autojunk=False).get_matching_blocks() if b.size
    ]
    return wlo + blocks[0].a, wlo + blocks[-1].a + blocks[-1].size


def _between(text: str, left: str, right: str, quote_len: int) -> tuple[int, int] | None:
    """The stretch between the old prefix and suffix: the prefix found once, the suffix soon after it."""
    if len(left) < 8 or len(right) < 8:
        return None
    pos = text.find(left)
    if pos == -1 or text.find(left, pos + 1) != -1:
        return None
    s = pos + len(left)
    e = text.find(right, s, s + 2 * quote_len + len(right))
    return (s, e) if e > s else None


def _best_similar(
    text: str, quote: str, left: str, right: str, candidates: list[tuple[int, int]]
) -> tuple[int, int] | None:
    """The candidate most similar to quote (figures masked) whose context is similar enough, if any."""
    masked_quote = _masked(quote)
    best: tuple[tuple[float, float], tuple[int, int]] | None = None
    for s, e in dict.fromkeys(candidates):  # the same window often comes from several places
        if e <= s:
            continue
        matcher = SequenceMatcher(None, masked_quote, _masked(text[s:e]), autojunk=False)
        # the quick ratios are upper bounds of ratio(), far cheaper, and rule out most candidates
        if matcher.real_quick_ratio() < FUZZY_THRESHOLD or matcher.quick_ratio() < FUZZY_THRESHOLD:
            continue
        likeness = matcher.ratio()
        if likeness < FUZZY_THRESHOLD:
            continue
        new_left, new_right = context_for(text, s, e, max(len(left), len(right)))
        new_left, new_right = new_left[len(new_left) - len(left) :], new_right[: len(right)]
        context = (_similarity(left, new_left) + _similarity(right, new_right)) / 2
        if context >= CONTEXT_THRESHOLD and (best is None or (likeness, context) > best[0]):
            best = ((likeness, context), (s, e))
    return None if best is None else best[1]


def _locate_fuzzy(text: str, exact: str, prefix: str, suffix: str) -> Anchor | None:
    """Approximate search for locate(): seeded by the longest run shared with the quote, which must occur
    once in the text, or by the context found again; never onto different figures."""
    candidates = []
    seed = SequenceMatcher(None, text, exact, autojunk=False).find_longest_match(0, len(text), 0, len(exact))
    if seed.size and text.count(text[seed.a : seed.a + seed.size]) == 1:
        window = _align(text, seed.a - seed.b - len(exact), seed.a + len(exact) - seed.b + len(exact), exact)
        if window is not None:
            candidates.append(window)
    between = _between(text, prefix[-CONTEXT_WIDTH:], suffix[:CONTEXT_WIDTH], len(exact))
    if between is not None:
        candidates.append(between)
    figures, text_figures = NUMBER.findall(exact), Figures(text)
    candidates = [(s, e) for s, e in candidates if text_figures.values(s, e) == figures]
    best = _best_similar(text, exact, prefix[-CONTEXT_WIDTH:], suffix[:CONTEXT_WIDTH], candidates)
    return None if best is None else Anchor(*best, "fuzzy")
