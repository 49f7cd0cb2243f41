"""The shared FilterSets (`annotations/filters.py`): one ArticleFilter for the API and the article list, one
domain rule for claims and sources."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotations import services
from annotations.filters import ArticleFilter, ClaimFilter, SourceFilter
from annotations.models import Article, Claim, Source
from tests.api.helpers import client_for
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles(editor) -> tuple[Article, Article]:
    budget = ArticleFactory.create(
        title="Council passes the budget", outlet="City Desk", text="The council voted on housing money."
    )
    shelters = ArticleFactory.create(
        title="Shelters fill up", outlet="Metro", text="Asylum seekers arrived; the shelters are full."
    )
    services.create_claim(article=shelters, by=editor, exact="shelters are full")
    return budget, shelters


def _filtered(params: dict[str, str]) -> list[str]:
    found = ArticleFilter(params, queryset=Article.objects.all())
    assert found.is_valid(), found.errors
    return sorted(article.title for article in found.qs)


def test_one_article_filter_searches_the_text_and_filters_by_claims(articles):
    budget, shelters = articles
    assert _filtered({"q": "housing"}) == [budget.title]  # words of the text, not only the title
    assert _filtered({"q": "shelter"}) == [shelters.title]  # stemmed
    assert _filtered({"url": budget.url}) == [budget.title]
    assert _filtered({"outlet": "metro"}) == [shelters.title]
    assert _filtered({"status": "draft"}) == [shelters.title]
    assert _filtered({"attention": "yes"}) == []
    assert _filtered({"attention": "no"}) == sorted([budget.title, shelters.title])


def test_the_api_and_the_page_take_the_same_article_filters(articles, editor):
    budget, shelters = articles
    api = client_for(editor)

    def api_titles(params: dict[str, str]) -> list[str]:
        response = api.get("/api/v1/articles/", params)
        assert response.status_code == 200, response.json()
        return sorted(article["title"] for article in response.json()["results"])

    assert api_titles({"url": shelters.url}) == [shelters.title]
    assert api_titles({"outlet": "city desk"}) == [budget.title]
    assert api_titles({"q": "housing"}) == [budget.title]
    assert api_titles({"status": "draft"}) == [shelters.title]
    client = client_for(editor, token=False)
    page = client.get(reverse("article_list"), {"q": "housing"}).content.decode()
    assert budget.title in page and shelters.title not in page


def test_the_domain_rule_is_the_same_for_claims_and_sources(article, editor):
    claim = services.create_claim(article=article, by=editor, exact="160,000 asylum seekers")
    for url, title in (("https://www.nyc.gov/asylum", "City"), ("https://notnyc.gov/x", "Elsewhere")):
        source = services.find_or_create_source(url=url, title=title, by=editor)
        if title == "City":
            services.attach_source(
                claim=claim, source=source, relation="supports", by=editor, expected_version=1
            )

    def sources(domain: str) -> list[str]:
        return sorted(s.title for s in SourceFilter({"domain": domain}, queryset=Source.objects.all()).qs)

    def claims(domain: str) -> list[int]:
        return [c.pk for c in ClaimFilter({"source_domain": domain}, queryset=Claim.objects.all()).qs]

    assert sources("nyc.gov") == ["City"] and claims("nyc.gov") == [claim.pk]
    assert sources("NYC.gov.") == ["City"] and claims("NYC.gov.") == [claim.pk]
    assert sources("notnyc.gov") == ["Elsewhere"] and claims("notnyc.gov") == []
    assert sources("not a host") == [] and claims("not a host") == []
    assert sources("") == ["City", "Elsewhere"] and claims("") == [claim.pk]


def test_a_time_with_an_offset_postgresql_cannot_store_is_compared_in_utc(article, editor):
    claim = services.create_claim(article=article, by=editor, exact="160,000 asylum seekers")
    found = ClaimFilter({"created_since": "1780-05-09T20:13:15-17:48"}, queryset=Claim.objects.all())
    assert [c.pk for c in found.qs] == [claim.pk]
    later = ClaimFilter({"until": "1780-05-09T20:13:15+23:30"}, queryset=Claim.objects.all())
    assert list(later.qs) == []
