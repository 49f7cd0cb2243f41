"""The app's "has this been checked before?" lookup (`matches.find_matches`) on a database of N claims.

    .venv/bin/python benchmarks/bench_matches_app.py [--size 100000]
    .venv/bin/python benchmarks/bench_matches_app.py --quick     # or BENCH_QUICK=1: 10,000 (make bench)

The database is bench_scale.py's (`bench_scale_<size>`, loaded once and reused; real English claims of
articles, tags, sources, history). In one process, as the app's first lookup would: the index built from
the database (every quote embedded and stored, then BM25), built again as a second process would (the
vectors read back, nothing embedded), then the lookup of 50 stored claims (the catch-up query, the index,
the visibility and hydration queries, the figure guard), then a claim made after the index was built and
its first lookup. Prints the figures; BENCHMARKS.md has them.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _serve import quick, server_url

PROBES = 50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000, help="claims in the database")
    parser.add_argument("--quick", action="store_true", help="10,000 claims (also BENCH_QUICK=1)")
    args = parser.parse_args()
    size = 10_000 if args.quick or quick() else args.size

    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    import bench_scale
    import django

    server_url("postgres")  # the embedded server, without a DATABASE_URL: before settings
    django.setup()
    from django.conf import settings
    from django.db import connections

    from newsroom.database import connection_settings

    url, load_info = bench_scale.ensure_database(size, reload=False)
    database: Any = settings.DATABASES["default"]  # updated in place: the connections hold it
    database.update(connection_settings(url))
    connections.close_all()
    from annotations import matches, services
    from annotations.matching import dense
    from annotations.models import Article, Claim, TextEmbedding, User

    reused = "reused" if "reused" in load_info else f"loaded in {load_info.get('total_seconds')} s"
    print(f"database bench_scale_{size}: {Claim.objects.count():,} claims ({reused})")
    matches.INLINE_BUILD = 10**9  # built inside the timed call, not in a thread
    dense.load_model()
    editor = User.objects.filter(role="editor").first()
    assert editor is not None
    stored_before = TextEmbedding.objects.count()

    start = time.perf_counter()
    first = Claim.objects.order_by("pk").first()
    assert first is not None
    matches.find_matches(first, editor)
    built = time.perf_counter() - start
    embedded = TextEmbedding.objects.count() - stored_before
    print(f"  first lookup, index built ({embedded:,} texts embedded and stored): {built:.1f} s")

    matches.reset()
    start = time.perf_counter()
    matches.find_matches(first, editor)
    print(f"  first lookup of a second process (vectors read back): {time.perf_counter() - start:.1f} s")

    rng = random.Random(13)
    top = Claim.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    probes = list(Claim.objects.filter(pk__in=rng.sample(range(1, top + 1), PROBES * 2))[:PROBES])
    times, found = [], 0
    for claim in probes:
        start = time.perf_counter()
        result = matches.find_matches(claim, editor)
        times.append(time.perf_counter() - start)
        found += bool(result.claims)
    print(
        f"  lookup of one claim against {size:,} ({len(probes)} claims): median "
        f"{statistics.median(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms "
        f"({found} with a match elsewhere)"
    )

    article = Article.objects.filter(claims__isnull=False).order_by("pk").first()
    assert article is not None and article.current_revision is not None
    text = article.current_revision.text
    taken = set(article.claims.values_list("start", flat=True))
    begin = next(
        i for i in range(0, len(text) - 30) if i not in taken and text[i].isalpha() and text[i - 1] == " "
    )
    new = services.create_claim(article=article, by=editor, start=begin, end=begin + 25)
    try:
        start = time.perf_counter()
        matches.find_matches(new, editor)
        fresh = time.perf_counter() - start
        index = matches.CLAIMS.index
        in_delta = index is not None and str(new.pk) in index.delta
        print(
            f"  a claim made after the build, its first lookup (catch-up, embedding): {fresh * 1000:.1f} ms "
            f"(in the index's delta at once: {in_delta})"
        )
    finally:
        services.delete_claim(claim=new, by=editor, expected_version=new.version)


if __name__ == "__main__":
    main()
