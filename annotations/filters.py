"""The API's filters (django-filter). Lists take several values comma-separated: `?tag=statistic,crime`."""

from __future__ import annotations

import re
from typing import Any

import django_filters as filters
from django.db.models import Exists, OuterRef, Q, QuerySet

from annotations.models import Article, Claim, ClaimSource, ClaimTag, Source


class CharInFilter(filters.BaseInFilter, filters.CharFilter):
    pass


class ChoiceInFilter(filters.BaseInFilter, filters.ChoiceFilter):
    pass


_DOMAIN = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")
NO_VERDICT = "none"


def _domain_regex(domain: str) -> str:
    # The host itself or any subdomain of it, whatever the scheme, port and path.
    return r"^https?://([^/?#]*\.)?" + re.escape(domain) + r"(:[0-9]+)?([/?#]|$)"


class ClaimFilter(filters.FilterSet):
    article = filters.NumberFilter(field_name="article_id", help_text="Claims in this article (its id).")
    tag = CharInFilter(
        method="filter_tags", help_text="Tag slugs, comma-separated; see `tag_match` for any or all."
    )
    tag_match = filters.ChoiceFilter(
        choices=[("any", "any"), ("all", "all")],
        method="filter_nothing",
        help_text="`any` (default): claims with at least one of the tags; `all`: with every one.",
    )
    status = ChoiceInFilter(choices=Claim.Status.choices, help_text="Statuses, comma-separated.")
    verdict = ChoiceInFilter(
        choices=[*[(v, label) for v, label in Claim.Verdict.choices if v], (NO_VERDICT, "No verdict")],
        method="filter_verdict",
        help_text=f"Verdicts, comma-separated; `{NO_VERDICT}` for claims without one.",
    )
    anchor_state = ChoiceInFilter(
        choices=Claim.AnchorState.choices, help_text="Anchor states, comma-separated."
    )
    source_domain = filters.CharFilter(
        method="filter_source_domain",
        help_text="Claims with a source on this host or a subdomain of it, e.g. `nyc.gov`.",
    )
    creator = filters.CharFilter(field_name="created_by__username", help_text="Username of the creator.")
    created_since = filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="Created at or after (ISO 8601)."
    )
    updated_since = filters.IsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="Changed at or after (ISO 8601). Orders the list by (updated_at, id): use it to sync.",
    )
    until = filters.IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="lt", help_text="Changed before (ISO 8601)."
    )
    q = filters.CharFilter(method="filter_text", help_text="Words in the quote or the note.")

    class Meta:
        model = Claim
        fields: list[str] = []

    def filter_nothing(self, queryset: QuerySet[Claim], name: str, value: Any) -> QuerySet[Claim]:
        return queryset  # read by filter_tags

    def filter_tags(self, queryset: QuerySet[Claim], name: str, value: list[str]) -> QuerySet[Claim]:
        slugs = sorted({slug.strip() for slug in value if slug.strip()})
        if not slugs:
            return queryset
        # EXISTS rather than a join: a claim with two matching tags must not come back twice.
        if self.form.cleaned_data.get("tag_match") == "all":
            for slug in slugs:
                queryset = queryset.filter(
                    Exists(ClaimTag.objects.filter(claim=OuterRef("pk"), tag__slug=slug))
                )
            return queryset
        return queryset.filter(Exists(ClaimTag.objects.filter(claim=OuterRef("pk"), tag__slug__in=slugs)))

    def filter_verdict(self, queryset: QuerySet[Claim], name: str, value: list[str]) -> QuerySet[Claim]:
        if not value:
            return queryset
        return queryset.filter(verdict__in=["" if v == NO_VERDICT else v for v in value])

    def filter_source_domain(self, queryset: QuerySet[Claim], name: str, value: str) -> QuerySet[Claim]:
        domain = value.strip().lower().rstrip(".")
        if not domain:
            return queryset
        if not _DOMAIN.match(domain):
            return queryset.none()
        links = ClaimSource.objects.filter(claim=OuterRef("pk"), source__url__iregex=_domain_regex(domain))
        return queryset.filter(Exists(links))

    def filter_text(self, queryset: QuerySet[Claim], name: str, value: str) -> QuerySet[Claim]:
        words = value.split()
        for word in words:
            queryset = queryset.filter(Q(exact__icontains=word) | Q(note__icontains=word))
        return queryset


class ArticleFilter(filters.FilterSet):
    url = filters.CharFilter(field_name="url", help_text="The article's canonical URL, exactly.")
    outlet = filters.CharFilter(field_name="outlet", lookup_expr="iexact", help_text="The outlet's name.")
    q = filters.CharFilter(field_name="title", lookup_expr="icontains", help_text="Words in the title.")

    class Meta:
        model = Article
        fields: list[str] = []


class SourceFilter(filters.FilterSet):
    domain = filters.CharFilter(method="filter_domain", help_text="Sources on this host or its subdomains.")
    kind = ChoiceInFilter(choices=Source.Kind.choices, help_text="Kinds, comma-separated.")
    q = filters.CharFilter(method="filter_text", help_text="Words in the title or publisher.")

    class Meta:
        model = Source
        fields: list[str] = []

    def filter_domain(self, queryset: QuerySet[Source], name: str, value: str) -> QuerySet[Source]:
        domain = value.strip().lower().rstrip(".")
        if not domain:
            return queryset
        if not _DOMAIN.match(domain):
            return queryset.none()
        return queryset.filter(url__iregex=_domain_regex(domain))

    def filter_text(self, queryset: QuerySet[Source], name: str, value: str) -> QuerySet[Source]:
        for word in value.split():
            queryset = queryset.filter(Q(title__icontains=word) | Q(publisher__icontains=word))
        return queryset
