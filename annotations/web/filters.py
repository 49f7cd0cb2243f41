"""Filters of the HTML lists (articles, all claims), as django-filter FilterSets."""

from __future__ import annotations

from typing import Any

import django_filters
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db.models import Exists, OuterRef, QuerySet

from annotations.filters import ClaimFilter
from annotations.models import Article, Claim, Tag


class ArticleFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search titles and text")
    tag = django_filters.ModelChoiceFilter(
        queryset=Tag.objects.all(),
        to_field_name="slug",
        method="with_claims",
        label="Tag",
        empty_label="Any tag",
    )
    status = django_filters.ChoiceFilter(
        choices=Claim.Status.choices, method="with_claims", empty_label="Any status"
    )
    verdict = django_filters.ChoiceFilter(
        choices=Claim.Verdict.choices[1:], method="with_claims", empty_label="Any verdict"
    )
    attention = django_filters.ChoiceFilter(
        choices=[("yes", "Has orphaned or changed claims"), ("no", "Has none")],
        empty_label="Any",
        method="needing_attention",
        label="Attention",
    )

    class Meta:
        model = Article
        fields: list[str] = []

    def search(self, queryset: QuerySet[Article], name: str, value: str) -> QuerySet[Article]:
        query = SearchQuery(value, search_type="websearch", config="english")
        vector = SearchVector("title", weight="A", config="english") + SearchVector(
            "current_revision__text", weight="B", config="english"
        )
        # Match with @@ (ts_rank alone is never zero), then rank the matches: headline words weigh more.
        return (
            queryset.annotate(document=vector, rank=SearchRank(vector, query))
            .filter(document=query)
            .order_by("-rank", "-published_at", "-pk")
        )

    def with_claims(self, queryset: QuerySet[Article], name: str, value: Any) -> QuerySet[Article]:
        claims = Claim.objects.filter(article=OuterRef("pk"))
        claims = {
            "tag": lambda: claims.filter(tags=value),
            "status": lambda: claims.with_status(value),
            "verdict": lambda: claims.with_verdict(value),
        }[name]()
        return queryset.filter(Exists(claims))

    def needing_attention(
        self, queryset: QuerySet[Article], name: str, value: bool | None
    ) -> QuerySet[Article]:
        if value is None:
            return queryset
        flagged = Exists(Claim.objects.filter(article=OuterRef("pk")).needing_attention())
        return queryset.filter(flagged) if value else queryset.exclude(flagged)


class ClaimPageFilter(ClaimFilter):
    """The API's claim filters (source domain, text search, dates...) with pickers for the HTML form.

    The API takes comma-separated lists where the form picks one value, hence the narrower filters below.
    """

    tag = django_filters.ModelChoiceFilter(  # type: ignore[assignment]
        queryset=Tag.objects.all(),
        to_field_name="slug",
        field_name="tags",
        label="Tag",
        empty_label="Any tag",
    )
    status = django_filters.ChoiceFilter(  # type: ignore[assignment]
        choices=Claim.Status.choices, empty_label="Any status"
    )
    verdict = django_filters.ChoiceFilter(  # type: ignore[assignment]
        choices=Claim.Verdict.choices[1:], empty_label="Any verdict"
    )
    anchor_state = django_filters.ChoiceFilter(  # type: ignore[assignment]
        choices=Claim.AnchorState.choices, label="Anchor", empty_label="Any anchor"
    )
