"""Time the suggestions on a ~20,000-character article: sentence split + ranking, and figure spotting.

Run from the project root: ``.venv/bin/python benchmarks/bench_suggestions.py``. No Django, no network.
The article is the demo story (benchmarks/ice-nyc-sanctuary-talks.txt) repeated to 20,000 characters.
"""

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from annotations.suggestions import load_ranker, score_article, spot_figures

ARTICLE_CHARS = 20_000
RUNS = 10


def article() -> str:
    base = (Path(__file__).resolve().parent / "ice-nyc-sanctuary-talks.txt").read_text(encoding="utf-8")
    text = ""
    while len(text) < ARTICLE_CHARS:
        text += base.rstrip("\n") + "\n\n"
    return text[:ARTICLE_CHARS]


def timed(fn: object, text: str) -> list[float]:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn(text)  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    text = article()
    start = time.perf_counter()
    load_ranker()
    load_s = time.perf_counter() - start
    sentences = len(score_article(text))
    figures = len(spot_figures(text))
    print(f"article: {len(text)} characters, {sentences} sentences, {figures} figures; {RUNS} runs")
    print(f"model load (once per process): {load_s * 1000:.0f} ms")
    for name, fn in (("score_article", score_article), ("spot_figures", spot_figures)):
        t = timed(fn, text)
        print(f"{name}: median {statistics.median(t) * 1000:.1f} ms, max {max(t) * 1000:.1f} ms")
    both = timed(lambda s: (score_article(s), spot_figures(s)), text)
    print(f"both: median {statistics.median(both) * 1000:.1f} ms, max {max(both) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
