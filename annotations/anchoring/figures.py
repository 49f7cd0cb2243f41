"""The numbers rule's raw material: the figures of a text and which of them a span touches (pure Python).

A claim whose figures change between revisions ("160,000" -> "180,000") is flagged `needs_recheck`, never
carried silently; `cascade` asks this module which figures touch a span in the old and the new text.
"""

import bisect
import re

# A figure: digits, with thousands or decimal separators only between digits ("160,000", "3.5", "160 000"
# with a narrow no-break space). Plain spaces are not separators: "in 2014 30 people" is two figures.
NUMBER = re.compile(r"\d+(?:[.,'\u00a0\u2009\u202f]\d+)*")


class Figures:
    """The numbers of a text, found once, so that each span asks in O(log n) which figures it touches."""

    def __init__(self, text: str) -> None:
        self.spans = [(m.start(), m.end(), m.group()) for m in NUMBER.finditer(text)]
        self.ends = [e for _, e, _ in self.spans]

    def touching(self, start: int, end: int) -> list[tuple[int, int, str]]:
        # Figures are disjoint and sorted, so those overlapping [start, end) are consecutive.
        i = bisect.bisect_right(self.ends, start)
        found = []
        while i < len(self.spans) and self.spans[i][0] < end:
            found.append(self.spans[i])
            i += 1
        return found

    def values(self, start: int, end: int) -> list[str]:
        return [value for _, _, value in self.touching(start, end)]

    def widen(self, start: int, end: int) -> tuple[int, int]:
        """The span grown to cover whole figures at its edges, so a changed figure is shown entire."""
        touching = self.touching(start, end)
        if not touching:
            return start, end
        return min(start, touching[0][0]), max(end, touching[-1][1])
