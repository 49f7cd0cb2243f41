"""Claim matching on CLEF-2020 CheckThat! Task 2: quality on the development tweets, and speed.

Run from the project root: ``.venv/bin/python benchmarks/bench_matching.py [--quick]``. No Django for the
quality and index timings; the last figure runs ``manage.py match_claims`` as a user would. The fusion
weight is chosen on the 800 TRAINING tweets (a sweep, printed); the 197 development tweets are only
measured. ``--quick`` matches against 20,000 synthetic claims instead of 100,000 and skips the command run.
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from annotations.matching import dense
from annotations.matching.combine import DEFAULT_WEIGHT, Fusion, top_k
from annotations.matching.index import MatchIndex
from annotations.matching.live import REBUILD_AFTER, REBUILD_SHARE, LiveIndex
from annotations.matching.measure import Quality, evaluate
from annotations.matching.tsv import Row, read_qrels, read_queries, read_verified

DATA = Path(__file__).resolve().parent.parent / "data" / "claim-matching"
MRR_DEPTH = 100  # MAP@5 reads the first 5; MRR the first 100 (a match at rank 40 counts 1/40)
WEIGHTS = [round(w * 0.05, 2) for w in range(21)]


def scores(index: MatchIndex, texts: list[str]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    vectors = dense.embed(texts)
    return [index.lexical.scores(t) for t in texts], [index.matrix @ v for v in vectors]


def quality(
    index: MatchIndex,
    lexical: list[np.ndarray],
    cosines: list[np.ndarray],
    queries: list[Row],
    qrels: dict[str, set[str]],
    weight: float,
) -> Quality:
    fusion = Fusion(weight)
    runs = {
        q.id: [index.ids[i] for i in top_k(fusion.fuse(lex, cos), MRR_DEPTH)]
        for q, lex, cos in zip(queries, lexical, cosines, strict=True)
    }
    return evaluate(runs, qrels)


def row(name: str, q: Quality) -> str:
    return f"| {name} | {q.map_at_5:.3f} | {q.mrr:.3f} | {q.p_at_1:.3f} |"


def perturbed(texts: list[str], n: int) -> list[str]:
    """n claims from the verified ones: each copy has one word dropped and two swapped, and a number."""
    rng = random.Random(13)
    out = list(texts)
    while len(out) < n:
        words = rng.choice(texts).split()
        if len(words) > 3:
            del words[rng.randrange(len(words))]
            i, j = rng.randrange(len(words)), rng.randrange(len(words))
            words[i], words[j] = words[j], words[i]
        out.append(" ".join(words) + f" {rng.randrange(1000)}")
    return out[:n]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    quick = parser.parse_args().quick

    verified = read_verified(DATA / "verified_claims.docs.tsv")
    texts = [f"{v.text} {v.title}".strip() for v in verified]
    start = time.perf_counter()
    dense.load_model()
    print(f"model load (once per process): {(time.perf_counter() - start) * 1000:.0f} ms")
    start = time.perf_counter()
    index = MatchIndex(zip((v.id for v in verified), texts, strict=True))
    print(f"index of {len(index):,} verified claims (claim + title): {time.perf_counter() - start:.1f} s")

    split = {}
    for name in ("train", "dev"):
        queries = read_queries(DATA / name / "tweets.queries.tsv")
        qrels = read_qrels(DATA / name / "tweet-vclaim-pairs.qrels")
        split[name] = (queries, qrels, *scores(index, [q.text for q in queries]))

    queries, qrels, lexical, cosines = split["train"]
    print(f"\nFusion weight (share of max-normalised BM25), swept on the {len(queries)} TRAINING tweets:")
    sweep = {w: quality(index, lexical, cosines, queries, qrels, w).map_at_5 for w in WEIGHTS}
    print("  " + "  ".join(f"{w:.2f}:{m:.3f}" for w, m in sweep.items()))
    best = max(sweep, key=lambda w: (round(sweep[w], 4), -abs(w - DEFAULT_WEIGHT)))
    print(
        f"  best on train: {best:.2f} (MAP@5 {sweep[best]:.3f}); the code's DEFAULT_WEIGHT: {DEFAULT_WEIGHT}"
    )

    queries, qrels, lexical, cosines = split["dev"]
    print(f"\nDevelopment tweets ({len(queries)}; weight fixed on train, never tuned on dev):")
    print(f"| method | MAP@5 | MRR@{MRR_DEPTH} | P@1 |\n|---|---:|---:|---:|")
    print(row("BM25 alone", quality(index, lexical, cosines, queries, qrels, 1.0)))
    print(row("WordLlama alone", quality(index, lexical, cosines, queries, qrels, 0.0)))
    print(
        row(
            f"combined (w={DEFAULT_WEIGHT})", quality(index, lexical, cosines, queries, qrels, DEFAULT_WEIGHT)
        )
    )

    print("\nSpeed:")
    sample = perturbed(texts, 10_000)
    start = time.perf_counter()
    dense.embed(sample)
    print(f"  embedding 10,000 claims: {time.perf_counter() - start:.2f} s")
    size = 20_000 if quick else 100_000
    many = perturbed(texts, size)
    start = time.perf_counter()
    big = MatchIndex((str(i), t) for i, t in enumerate(many))
    print(f"  building an index of {size:,} (embed + BM25): {time.perf_counter() - start:.1f} s")
    probes = [q.text for q in queries[:50]]
    times = []
    for text in probes:
        start = time.perf_counter()
        big.search(text, top=5)
        times.append(time.perf_counter() - start)
    print(
        f"  matching one claim against {size:,} stored ({len(probes)} queries, embedding included): "
        f"median {statistics.median(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms"
    )
    # The app's index (`LiveIndex`): the same base, plus claims added since it was built (scored beside
    # it with its statistics) and as many changed ones masked, just short of a rebuild.
    live = LiveIndex.around(big)
    pending = int(REBUILD_AFTER + REBUILD_SHARE * len(big)) // 2
    added = perturbed(texts, pending)
    start = time.perf_counter()
    live.upsert([(f"new{i}", t) for i, t in enumerate(added)], dense.embed(added))
    live.remove(big.ids[:pending])
    took = time.perf_counter() - start
    assert not live.stale
    times = []
    for text in probes:
        start = time.perf_counter()
        live.matches(text, top=5)
        times.append(time.perf_counter() - start)
    print(
        f"  the app's live index: {pending:,} new claims added and {pending:,} masked in {took:.2f} s; "
        f"matching one claim: median {statistics.median(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms"
    )
    if quick:
        return
    command = [
        sys.executable,
        "manage.py",
        "match_claims",
        "--verified",
        str(DATA / "verified_claims.docs.tsv"),
        str(DATA / "dev" / "tweets.queries.tsv"),
    ]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=os.environ | {"DEBUG": "true"})
    took = time.perf_counter() - start
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    print(
        f"  manage.py match_claims, 10,375 verified x {len(queries)} dev queries: {took:.1f} s "
        f"({len(lines)} TREC lines; process start and embedded PostgreSQL included)"
    )


if __name__ == "__main__":
    main()
