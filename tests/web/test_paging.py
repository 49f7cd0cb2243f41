"""The HTML lists count at most a bounded number of rows (issue 10: no COUNT(*) over a million claims)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations import services
from annotations.web import paging
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

TEXT = "The council approved a budget of $4.2 billion for shelters, the mayor said on Tuesday."


@pytest.fixture
def four_articles(editor):
    articles = [ArticleFactory.create(text=TEXT, title=f"Budget {n}") for n in range(4)]
    for article in articles:
        services.create_claim(article=article, by=editor, exact="$4.2 billion")
    return articles


def test_below_the_limit_the_lists_say_exactly_how_many(client, editor, four_articles):
    client.force_login(editor)
    assert "4 articles" in client.get(reverse("article_list")).text
    assert "4 claims" in client.get(reverse("claim_list")).text


@pytest.mark.parametrize("page", ["article_list", "claim_list"])
def test_above_the_limit_they_say_more_than_and_count_no_further(
    client, editor, four_articles, page, monkeypatch
):
    monkeypatch.setattr(paging.BoundedPaginator, "count_limit", 3)
    client.force_login(editor)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse(page)).text
    noun = "articles" if page == "article_list" else "claims"
    assert f"More than 3 {noun}" in html
    counts = [
        q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper() and "LIMIT 4" in q["sql"]
    ]
    unbounded = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].upper().startswith("SELECT COUNT(") and "LIMIT" not in q["sql"].upper()
    ]
    assert counts and not unbounded


def test_the_next_page_is_offered_past_the_limit(client, editor, four_articles, monkeypatch):
    monkeypatch.setattr(paging.BoundedPaginator, "count_limit", 3)
    monkeypatch.setattr("annotations.web.articles.PAGE_SIZE", 2)
    client.force_login(editor)
    html = client.get(reverse("article_list")).text
    assert "Page 1<" in html and "Page 1 of" not in html and 'rel="next"' in html
    assert (
        "Budget 1" in client.get(reverse("article_list"), {"page": "2"}).text
    )  # newest first: 3, 2, then 1, 0
