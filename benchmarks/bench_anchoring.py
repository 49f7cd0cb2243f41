"""Time carry_many: 1,000 claims carried across a revision of a ~20,000-character article.

Run from the project root: ``.venv/bin/python benchmarks/bench_anchoring.py``. Deterministic (seeded), no
Django. Timed: a typical revision (~50 scattered edits); a heavy one (every fifth paragraph rewritten), which
pushes many more claims down the cascade to the exact search and the fuzzy match; and the typical one again
with the article pasted as a single line, so the diff cannot start from paragraphs.
"""

import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from annotations.anchoring import Anchor, carry_many

SEED = 20240601
ARTICLE_CHARS = 20_000
CLAIMS = 1_000
EDITS = 50
RUNS = 5

# A small vocabulary on purpose: repeated words make the diff and the quote search work harder than news copy.
VOCABULARY = (
    "the city mayor said council budget asylum seekers migrants police federal immigration agency office "
    "report program shelter housing cost year month week people officials state law court judge plan vote "
    "New York Adams ICE sanctuary detainer release custody crime data record increase decline average"
)
WORDS = VOCABULARY.split()


def build_article(rng: random.Random) -> str:
    paragraphs, size = [], 0
    while size < ARTICLE_CHARS:
        sentences = []
        for _ in range(rng.randint(2, 5)):
            words = rng.choices(WORDS, k=rng.randint(8, 22))
            if rng.random() < 0.5:  # plenty of figures, as in news copy
                figure = rng.choice(
                    [f"{rng.randint(1, 999)},{rng.randint(0, 999):03d}", str(rng.randint(1990, 2025))]
                )
                words.insert(rng.randrange(len(words)), figure)
            sentences.append(" ".join(words).capitalize() + ".")
        paragraph = " ".join(sentences)
        paragraphs.append(paragraph)
        size += len(paragraph) + 2
    return "\n\n".join(paragraphs)[:ARTICLE_CHARS]


def pick_spans(rng: random.Random, text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    while len(spans) < CLAIMS:
        start = rng.randrange(len(text) - 80)
        start = text.rfind(" ", 0, start) + 1  # claims start and end on word edges
        end = text.find(" ", start + rng.randint(10, 70))
        if end > start:
            spans.append((start, end))
    return spans


def scattered_edits(rng: random.Random, text: str) -> str:
    chars = list(text)
    for _ in range(EDITS):
        pos = rng.randrange(len(chars) - 10)
        kind = rng.choice(["insert", "delete", "replace"])
        if kind == "insert":
            chars[pos:pos] = list(" " + rng.choice(WORDS))
        elif kind == "delete":
            del chars[pos : pos + rng.randint(1, 8)]
        else:
            chars[pos : pos + 4] = list(rng.choice(WORDS))
    new = "".join(chars)
    return new.replace("2014", "2015", 1)  # and a changed figure, which must come back as needs_recheck


def heavy_rewrite(rng: random.Random, text: str) -> str:
    paragraphs = text.split("\n\n")
    for i in range(0, len(paragraphs), 5):
        paragraphs[i] = " ".join(rng.choices(WORDS, k=len(paragraphs[i]) // 6)).capitalize() + "."
    return "\n\n".join(paragraphs)


def time_it(old: str, new: str, spans: list[tuple[int, int]]) -> tuple[list[float], list[Anchor]]:
    timings, anchors = [], []
    for _ in range(RUNS):
        began = time.perf_counter()
        anchors = carry_many(old, new, spans)
        timings.append(time.perf_counter() - began)
    return timings, anchors


def main() -> None:
    rng = random.Random(SEED)
    old = build_article(rng)
    spans = pick_spans(rng, old)
    python = sys.version.split()[0]
    print(f"python {python}; article {len(old):,} chars; {len(spans):,} claims; best/median of {RUNS}")
    typical, heavy = scattered_edits(rng, old), heavy_rewrite(rng, old)
    for name, before, after in [
        (f"typical revision (~{EDITS} scattered edits)", old, typical),
        ("heavy revision (every 5th paragraph rewritten)", old, heavy),
        # Same offsets with the paragraph breaks turned into spaces: the diff cannot start from lines.
        ("typical revision, article pasted as one line", old.replace("\n", " "), typical.replace("\n", " ")),
    ]:
        timings, anchors = time_it(before, after, spans)
        states = Counter(a.state for a in anchors)
        wrong = sum(
            a.state in ("anchored", "moved") and after[a.start : a.end] != before[s:e]
            for a, (s, e) in zip(anchors, spans, strict=True)
        )
        print(
            f"{name}: best {min(timings) * 1000:.1f} ms, median {statistics.median(timings) * 1000:.1f} ms; "
            f"{dict(sorted(states.items()))}; anchored/moved onto different text: {wrong}"
        )


if __name__ == "__main__":
    main()
