"""The workspace on a long article: a save answers only what changed, in bytes (sizes are deterministic).

`long_article` builds the issue's case, 15,000 words with 1,500 claims. The tests print the server time of
each request they make (run with `-s` to read them); nothing asserts a time.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from annotations import anchoring
from annotations.models import Article, Claim, ClaimSource, ClaimTag, Suggestion, Tag, User
from tests.factories import ArticleFactory, SourceFactory

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
WORDS = 15_000
CLAIMS = 1_500
SAVE_BYTES = 50_000

SENTENCES = [
    "The council said {n} residents had applied for the scheme since {year}.",
    "Officials expect the budget to rise by {n} percent over the next {k} years.",
    "According to the mayor's office, about {n} families were housed in shelters last winter.",
    "Critics of the plan pointed to a report that found {n} cases of delay in the courts.",
    "The agency, which employs {n} people, declined to comment on the figures.",
    "In {year}, the state legislature passed a law limiting the use of detainers.",
    "Advocates said the change would affect more than {n} workers across the region.",
    "A spokesperson said the numbers were preliminary and could change before {year}.",
]


def long_text(words: int = WORDS, seed: int = 10) -> str:
    """A news-like text of about `words` words in paragraphs of five to nine sentences, full of figures."""
    rng = random.Random(seed)
    paragraphs: list[str] = []
    count = 0
    while count < words:
        sentences = [
            rng.choice(SENTENCES).format(
                n=f"{rng.randint(2, 900):,}{rng.choice(['', ',000'])}",
                year=rng.randint(1990, 2024),
                k=rng.randint(2, 12),
            )
            for _ in range(rng.randint(5, 9))
        ]
        paragraph = " ".join(sentences)
        count += len(paragraph.split())
        paragraphs.append(paragraph)
    return "\n\n".join(paragraphs)


def long_article(by: User, *, claims: int = CLAIMS) -> Article:
    """The issue's long article: one claim on each of `claims` sentences spread through the text, a third
    tagged, a fifth with a source, some overlapping (a figure inside a claimed sentence)."""
    article = ArticleFactory.create(title="A very long article", text=long_text())
    revision = article.current_revision
    assert revision is not None
    text = revision.text
    sentence_starts = [0] + [i + 2 for i in range(len(text)) if text.startswith(". ", i)]
    step = len(sentence_starts) / claims
    rows: list[Claim] = []
    for n in range(claims):
        start = sentence_starts[int(n * step)]
        end = text.index(".", start)
        if n % 10 == 9:  # an overlap: the sentence's first figure, inside the previous claim's sentence
            start = sentence_starts[int((n - 1) * step)]
            end = start + text[start:].index(" ")
        prefix, suffix = anchoring.context_for(text, start, end)
        rows.append(
            Claim(
                article=article,
                revision=revision,
                start=start,
                end=end,
                exact=text[start:end],
                prefix=prefix,
                suffix=suffix,
                created_by=by,
                updated_by=by,
                status=["draft", "in_review", "reviewed"][n % 3],
            )
        )
    made = Claim.objects.bulk_create(rows)
    tag = Tag.objects.get(slug="statistic")
    ClaimTag.objects.bulk_create([ClaimTag(claim=c, tag=tag, added_by=by) for c in made[::3]])
    source = SourceFactory.create()
    ClaimSource.objects.bulk_create(
        [ClaimSource(claim=c, source=source, relation="supports") for c in made[::5]]
    )
    return article


def timed(label: str, request: Callable[[], Any]) -> Any:
    began = time.perf_counter()
    response = request()
    print(f"{label}: {(time.perf_counter() - began) * 1000:.0f} ms")
    return response


@pytest.fixture
def long(editor) -> Article:
    return long_article(editor)


@pytest.fixture
def editor_client(client: Client, editor) -> Client:
    client.force_login(editor)
    return client


def test_a_note_save_on_a_long_article_answers_the_panel_not_the_article(editor_client, long):
    claim = Claim.objects.filter(article=long).order_by("start")[700]
    page = timed("page", lambda: editor_client.get(reverse("article_detail", args=[long.pk])))
    timed("page again", lambda: editor_client.get(reverse("article_detail", args=[long.pk])))
    print(f"page: {len(page.content):,} bytes")
    response = timed(
        "note save",
        lambda: editor_client.post(
            reverse("claim_update", args=[claim.pk]),
            {"version": claim.version, "note": "Check this", "status": claim.status},
            **HX,
        ),
    )
    html = response.content.decode()
    print(f"note save: {len(response.content):,} bytes")
    assert response.status_code == 200 and "Saved." in html
    assert len(response.content) < SAVE_BYTES
    assert 'id="article-text"' not in html and 'id="claims"' not in html


def test_every_change_on_a_long_article_answers_a_few_kilobytes(editor_client, long):
    """Note, tag, status, source, create, delete: each answer stays under SAVE_BYTES."""
    claims = list(Claim.objects.filter(article=long).order_by("start"))
    claim = next(c for c in claims[900:] if c.status == "draft")
    revision = long.current_revision
    assert revision is not None

    def post(label: str, name: str, args: list[int], data: dict[str, object]) -> str:
        response = timed(label, lambda: editor_client.post(reverse(name, args=args), data, **HX))
        print(f"{label}: {len(response.content):,} bytes")
        assert response.status_code in (200, 201), (label, response.content[:300])
        assert len(response.content) < SAVE_BYTES, label
        return str(response.content.decode())

    for n in range(3):  # the first request of a kind warms the process: read the later times
        claim.refresh_from_db()
        post(
            "note save",
            "claim_update",
            [claim.pk],
            {"version": claim.version, "note": f"n{n}", "status": claim.status, "tags": ["statistic"]},
        )
    claim.refresh_from_db()
    html = post(
        "status save",
        "claim_update",
        [claim.pk],
        {
            "version": claim.version,
            "note": claim.note,
            "status": "in_review",
        },
    )
    # Its highlights change colour, not place: the list item says how they look, no text is re-sent.
    assert 'data-mark-look="status-in_review anchor-anchored"' in html
    assert f"text-r{revision.number}-p" not in html
    claim.refresh_from_db()
    post("tag toggle", "claim_toggle_tag", [claim.pk], {"version": claim.version, "tag": "quote"})
    claim.refresh_from_db()
    post(
        "attach source",
        "claim_attach_source",
        [claim.pk],
        {"version": claim.version, "url": "https://s.example/a", "title": "A", "relation": "supports"},
    )
    text = revision.text
    start = text.index("declined to comment", claims[1200].end)
    created = post(
        "create",
        "claim_create",
        [long.pk],
        {"start": start, "end": start + 19, "exact": "declined to comment", "revision": revision.number},
    )
    new = Claim.objects.get(article=long, start=start)
    assert f'id="claim-item-{new.pk}"' in created and "afterend:#claim-item-" in created
    post("delete", "claim_delete", [new.pk], {"version": new.version})


def test_claiming_a_suggestion_of_a_capped_list_brings_in_the_next_best(editor_client, long):
    revision = long.current_revision
    assert revision is not None
    before = [s.pk for s in Suggestion.objects.shown_on(revision)]
    page = editor_client.get(reverse("article_detail", args=[long.pk])).content.decode()
    response = timed(
        "accept", lambda: editor_client.post(reverse("suggestion_accept", args=[before[0]]), **HX)
    )
    html = response.content.decode()
    print(f"accept: {len(response.content):,} bytes")  # read with -s
    assert response.status_code == 201 and len(response.content) < SAVE_BYTES
    after = [s.pk for s in Suggestion.objects.shown_on(revision)]
    (newcomer,) = set(after) - set(before)
    assert f'id="suggestion-item-{newcomer}"' not in page
    assert f'hx-swap-oob="afterend:#suggestion-item-{after[after.index(newcomer) - 1]}"' in html
    assert f'id="suggestion-item-{newcomer}"' in html and f'data-suggestions="{newcomer}"' in html
    assert f'<li id="suggestion-item-{before[0]}" hx-swap-oob="delete"></li>' in html
