"""A fast character diff of two revisions of an article, for carrying claims (no Django import).

Diffing 20,000 characters one by one with difflib takes seconds, so the work is narrowed step by step:
common ends trimmed, then lines (paragraphs), then sentences, then words within changed stretches, then
characters within small changed stretches of words.
"""

import re
from collections.abc import Callable, Iterator
from difflib import SequenceMatcher

Op = tuple[str, int, int, int, int]  # difflib's (tag, i1, i2, j1, j2), in characters

_REFINE_LIMIT = 200  # word-level changes up to this size are re-diffed by character
# Words with their trailing spaces, or single other characters: any string splits into these tokens,
# and diffing them is far faster than diffing characters while keeping edits local.
_TOKEN = re.compile(r"\w+\s*|[^\w\s]\s*|\s+")
_SENTENCE = re.compile(r"[^.!?\u3002\uff01\uff1f\n]*(?:[.!?\u3002\uff01\uff1f]+|\n|\Z)\s*")


def common_prefix_len(a: str, b: str) -> int:
    # Binary search on slice equality runs in C: fast for the long shared heads of two revisions.
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def diff(old: str, new: str) -> list[Op]:
    """Character opcodes turning old into new, adjacent equal blocks merged.

    Diffing 20,000 characters one by one with difflib takes seconds, so the work is narrowed step by step:
    common ends trimmed, then lines (paragraphs), then words within changed paragraphs, then characters
    within small changed stretches of words.
    """
    head = common_prefix_len(old, new)
    tail = common_prefix_len(old[head:][::-1], new[head:][::-1])
    ops: list[Op] = [("equal", 0, head, 0, head)]
    for tag, i1, i2, j1, j2 in _diff_lines(old[head : len(old) - tail], new[head : len(new) - tail]):
        ops.append((tag, i1 + head, i2 + head, j1 + head, j2 + head))
    ops.append(("equal", len(old) - tail, len(old), len(new) - tail, len(new)))
    merged: list[Op] = []
    for op in ops:
        if op[1] == op[2] and op[3] == op[4]:
            continue
        if merged and op[0] == merged[-1][0] == "equal":
            merged[-1] = ("equal", merged[-1][1], op[2], merged[-1][3], op[4])
        else:
            merged.append(op)
    return merged


def _diff_lines(a: str, b: str) -> Iterator[Op]:
    yield from _diff_units(a, b, a.splitlines(keepends=True), b.splitlines(keepends=True), _diff_sentences)


def _diff_sentences(a: str, b: str) -> Iterator[Op]:
    # Articles pasted as one long line still have sentences, which are nearly all distinct: cheap to match.
    yield from _diff_units(a, b, _sentences(a), _sentences(b), _diff_words)


def _diff_words(a: str, b: str) -> Iterator[Op]:
    yield from _diff_units(a, b, _TOKEN.findall(a), _TOKEN.findall(b), _diff_chars)


def _diff_chars(a: str, b: str) -> Iterator[Op]:
    if len(a) > _REFINE_LIMIT or len(b) > _REFINE_LIMIT:
        yield ("replace", 0, len(a), 0, len(b))  # a rewrite: character matches in it would be coincidences
        return
    # "160,000 " -> "180,000 " is one changed word; by character it is one changed digit.
    yield from SequenceMatcher(None, a, b, autojunk=False).get_opcodes()


def _diff_units(
    a: str, b: str, units_a: list[str], units_b: list[str], refine: Callable[[str, str], Iterator[Op]]
) -> Iterator[Op]:
    """Diff a and b as sequences of units that concatenate to them; changed runs go to ``refine``."""
    if not a or not b:
        yield ("replace", 0, len(a), 0, len(b))
        return
    at_a, at_b = _unit_offsets(units_a), _unit_offsets(units_b)
    # Blank lines and bare spaces are everywhere: letting them anchor a match misaligns whole paragraphs.
    # As difflib "junk" they cannot start a match but still join the matches next to them.
    matcher = SequenceMatcher(str.isspace, units_a, units_b, autojunk=False)
    for tag, t1, t2, u1, u2 in matcher.get_opcodes():
        i1, i2, j1, j2 = at_a[t1], at_a[t2], at_b[u1], at_b[u2]
        if tag == "equal":
            yield (tag, i1, i2, j1, j2)
        else:
            for rtag, r1, r2, s1, s2 in refine(a[i1:i2], b[j1:j2]):
                yield (rtag, i1 + r1, i1 + r2, j1 + s1, j1 + s2)


def _sentences(text: str) -> list[str]:
    return [sentence for sentence in _SENTENCE.findall(text) if sentence]


def _unit_offsets(units: list[str]) -> list[int]:
    offsets = [0]
    for unit in units:
        offsets.append(offsets[-1] + len(unit))
    return offsets
