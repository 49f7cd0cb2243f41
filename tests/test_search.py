"""Search answers from the current revision: after a revision changes a figure, the new figure is found
and the old one is not (issue 10, finding 2)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from annotations import services
from annotations.importing import ArticleInput
from annotations.models import Article, Claim
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

OLD = "The city has taken in around 160,000 asylum seekers since April 2022, the mayor said."
NEW = "The city has taken in around 180,000 asylum seekers since April 2022, the mayor said."


@pytest.fixture
def revised(editor) -> tuple[Article, Claim]:
    article = ArticleFactory.create(text=OLD, url="https://example.com/asylum", title="Asylum seekers")
    start = OLD.index("around")
    end = OLD.index(" since")
    claim = services.create_claim(article=article, by=editor, start=start, end=end, exact=OLD[start:end])
    services.add_revision(
        article=article,
        article_input=ArticleInput.build(title=article.title, text=NEW, url=article.url),
        by=editor,
    )
    claim.refresh_from_db()
    return article, claim


def test_claims_page_finds_the_new_figure_not_the_old(client, editor, revised):
    client.force_login(editor)
    _, claim = revised
    found_new = client.get(reverse("claim_list"), {"q": "180,000"})
    found_old = client.get(reverse("claim_list"), {"q": "160,000"})
    assert f"claim={claim.pk}" in found_new.text
    assert f"claim={claim.pk}" not in found_old.text


def test_article_search_finds_the_new_figure_not_the_old(client, editor, revised):
    client.force_login(editor)
    article, _ = revised
    found_new = client.get(reverse("article_list"), {"q": "180,000"})
    found_old = client.get(reverse("article_list"), {"q": "160,000"})
    assert reverse("article_detail", args=[article.pk]) in found_new.text
    assert reverse("article_detail", args=[article.pk]) not in found_old.text


def test_an_article_is_found_by_its_new_title(editor):
    article = ArticleFactory.create(text=OLD, title="Asylum seekers")
    article.title = "Shelter census"
    article.save()
    assert list(Article.objects.matching("census")) == [article]
    assert list(Article.objects.matching("asylum")) == [article]  # still in the text


def test_a_headline_word_ranks_above_a_word_in_the_text(editor):
    in_text = ArticleFactory.create(text="The shelter census counted everyone.", title="City report")
    in_title = ArticleFactory.create(text="Nothing to see.", title="Shelter census")
    assert list(Article.objects.matching("census")) == [in_title, in_text]


def _plan(queryset) -> str:
    with connection.cursor() as cursor:
        # The tables here are tiny: leave PostgreSQL only bitmap scans, where a text index is one.
        for scan in ("seqscan", "indexscan", "indexonlyscan"):
            cursor.execute(f"SET LOCAL enable_{scan} = off")
        sql, params = queryset.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_claim_search_reads_the_claims_text_index(editor, revised):
    # The index is on an expression: a query that spelled it differently would scan every claim.
    assert "claim_search_document" in _plan(Claim.objects.matching("asylum"))


def test_article_search_reads_the_stored_documents_index(revised):
    assert "article_search_document" in _plan(Article.objects.matching("asylum"))
