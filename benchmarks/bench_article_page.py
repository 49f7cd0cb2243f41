"""Server time to render the article page with 1,000 claims (target: under 200 ms).

    DEBUG=true .venv/bin/python benchmarks/bench_article_page.py

Builds a 20,000-character article with 1,000 claims (tags and a source on each, some overlapping) in a
database of its own, then times GET /articles/<id>/ through Django's full request stack.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _django

_django.setup("newsroom_bench_page")

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from annotations import services  # noqa: E402
from annotations.importing import ArticleInput  # noqa: E402
from annotations.models import Article, Claim, ClaimSource, ClaimTag, Source, Tag, User  # noqa: E402

CLAIMS = 1_000
URL = "https://bench.example/article-page"


def build() -> Article:
    rng = random.Random(7)
    words = ["city", "budget", "asylum", "seekers", "council", "federal", "law", "report", "since", "percent"]
    text = ""
    while len(text) < 20_000:
        sentence = " ".join(rng.choice(words) for _ in range(rng.randint(8, 20)))
        text += f"{sentence.capitalize()} {rng.randint(1, 99_999):,} people. "
        if rng.random() < 0.2:
            text += "\n\n"
    text = text[:20_000].rstrip()
    editor, _ = User.objects.get_or_create(username="bench-editor", defaults={"role": "editor"})
    Article.objects.filter(url=URL).delete()
    article = services.import_article(
        article_input=ArticleInput.build(title="Benchmark", text=text, url=URL), by=editor
    ).article
    revision = article.current_revision
    assert revision is not None
    claims = []
    for i in range(CLAIMS):
        start = rng.randrange(0, len(text) - 80)
        end = start + rng.randint(5, 80)
        claims.append(
            Claim(
                article=article,
                revision=revision,
                start=start,
                end=end,
                exact=text[start:end],
                prefix=text[max(0, start - 32) : start],
                suffix=text[end : end + 32],
                status=rng.choice(["draft", "in_review", "reviewed"]),
                created_by=editor,
                updated_by=editor,
                note=f"note {i}",
            )
        )
    claims = Claim.objects.bulk_create(claims)
    tags = list(Tag.objects.all()[:5])
    source, _ = Source.objects.get_or_create(url="https://bench.example/source", defaults={"title": "Source"})
    ClaimTag.objects.bulk_create([ClaimTag(claim=c, tag=tags[i % len(tags)]) for i, c in enumerate(claims)])
    ClaimSource.objects.bulk_create(
        [ClaimSource(claim=c, source=source, relation="supports") for c in claims]
    )
    return article


def main() -> None:
    article = build()
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username="bench-editor"))
    url = f"/articles/{article.pk}/"
    assert client.get(url).status_code == 200  # warm up: templates compiled, connections open
    timings = []
    for _ in range(20):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    size = len(response.content)
    characters = len(article.current_revision.text) if article.current_revision else 0
    print(
        f"article page, {CLAIMS} claims, {characters:,} characters "
        f"({size / 1024:.0f} KiB of HTML, {len(queries)} SQL queries)"
    )
    print(
        f"  median {statistics.median(timings):.1f} ms, best {min(timings):.1f} ms, "
        f"worst {max(timings):.1f} ms over {len(timings)} requests (target < 200 ms)"
    )


if __name__ == "__main__":
    main()
