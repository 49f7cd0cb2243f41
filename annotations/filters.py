"""The filters of lists (django-filter), shared by the API and the HTML pages (which subclass them only to
add form pickers, `web/filters.py`). API lists take several values comma-separated: `?tag=statistic,crime`."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import django_filters as filters
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django_filters.fields import IsoDateTimeField

from annotations.models import (
    Article,
    ArticleQuerySet,
    Claim,
    ClaimFactCheck,
    ClaimQuerySet,
    ClaimSource,
    ClaimTag,
    LinkCheck,
    Source,
    Tag,
)


class CharInFilter(filters.BaseInFilter, filters.CharFilter):
    pass


class ChoiceInFilter(filters.BaseInFilter, filters.ChoiceFilter):
    pass


class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 time, in UTC: ISO allows offsets up to 24 hours, PostgreSQL only up to 16."""

    def to_python(self, value: Any) -> datetime | None:
        moment = super().to_python(value)
        try:
            return moment.astimezone(UTC) if moment is not None else None
        except OverflowError:  # 0001-01-01 with a positive offset is before year 1 in UTC
            raise forms.ValidationError("this time is outside the years 1 to 9999 in UTC") from None


class UtcDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


_DOMAIN = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")
NO_VERDICT = "none"
# `source_link`: a value, and the link-check states it stands for ("flagged": either).
SOURCE_LINKS: dict[str, tuple[str, ...]] = {
    "broken": (LinkCheck.State.BROKEN,),
    "changed": (LinkCheck.State.CHANGED,),
    "flagged": LinkCheck.FLAGGED_STATES,
}


def _on_domain(value: str, host_field: str) -> Q | None:
    """Sources whose URL's host (`Source.host_reversed`, reached by `host_field`) is the host `value` names
    or a subdomain of it, whatever the scheme, port and path; None when no host is given (no filter). A
    value that is no host name matches nothing."""
    domain = value.strip().lower().rstrip(".")
    if not domain:
        return None
    if not _DOMAIN.match(domain):
        return Q(pk__in=[])
    reversed_domain = domain[::-1]
    return Q(**{host_field: reversed_domain}) | Q(**{f"{host_field}__startswith": reversed_domain + "."})


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
    source_link = filters.ChoiceFilter(
        choices=[("broken", "Link broken"), ("changed", "Page changed"), ("flagged", "Broken or changed")],
        method="filter_source_link",
        label="Source link",
        empty_label="Any source link",
        help_text="Claims with a source whose link the last check found `broken`, whose page `changed` "
        "since it was first checked, or either (`flagged`).",
    )
    cluster = filters.NumberFilter(
        field_name="cluster_id",
        help_text="Claims in this cluster (its id): one claim in several articles.",
    )
    in_cluster = filters.BooleanFilter(
        method="filter_in_cluster",
        label="In a cluster",
        help_text="`true`: claims an editor confirmed as the same claim as one in another article.",
    )
    has_fact_check = filters.BooleanFilter(
        method="filter_has_fact_check",
        label="Has a fact-check",
        help_text="`true`: claims an editor confirmed a published fact-check for.",
    )
    creator = filters.CharFilter(field_name="created_by__username", help_text="Username of the creator.")
    created_since = UtcDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="Created at or after (ISO 8601)."
    )
    updated_since = UtcDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="Changed at or after (ISO 8601). Orders the list by (updated_at, id): use it to sync.",
    )
    until = UtcDateTimeFilter(
        field_name="updated_at", lookup_expr="lt", help_text="Changed before (ISO 8601)."
    )
    q = filters.CharFilter(
        method="filter_text",
        help_text="Words in the quote or the note: full-text search (English stemming, web-search syntax: "
        '`"exact phrase"`, `or`, `-word`); whole words, not parts of words.',
    )

    class Meta:
        model = Claim
        fields: list[str] = []

    def filter_nothing(self, queryset: QuerySet[Claim], name: str, value: Any) -> QuerySet[Claim]:
        return queryset  # read by filter_tags

    def filter_in_cluster(self, queryset: QuerySet[Claim], name: str, value: bool | None) -> QuerySet[Claim]:
        return queryset if value is None else queryset.filter(cluster__isnull=not value)

    def filter_has_fact_check(
        self, queryset: QuerySet[Claim], name: str, value: bool | None
    ) -> QuerySet[Claim]:
        if value is None:
            return queryset
        confirmed = Exists(ClaimFactCheck.objects.filter(claim=OuterRef("pk")))
        return queryset.filter(confirmed if value else ~confirmed)

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
        on_domain = _on_domain(value, "source__host_reversed")
        if on_domain is None:
            return queryset
        return queryset.filter(Exists(ClaimSource.objects.filter(on_domain, claim=OuterRef("pk"))))

    def filter_source_link(self, queryset: ClaimQuerySet, name: str, value: str) -> ClaimQuerySet:
        return queryset.with_source_link(*SOURCE_LINKS[value]) if value else queryset

    def filter_text(self, queryset: ClaimQuerySet, name: str, value: str) -> ClaimQuerySet:
        return queryset.matching(value) if value.strip() else queryset


class ArticleFilter(filters.FilterSet):
    url = filters.CharFilter(field_name="url", help_text="The article's canonical URL, exactly.")
    outlet = filters.CharFilter(field_name="outlet", lookup_expr="iexact", help_text="The outlet's name.")
    q = filters.CharFilter(
        method="search",
        label="Search titles and text",
        help_text='Full-text search (English stemming, web-search syntax: `"exact phrase"`, `or`, `-word`) '
        "in the title and the current revision's text; whole words, not parts of words.",
    )
    tag = filters.ModelChoiceFilter(
        queryset=Tag.objects.all(),
        to_field_name="slug",
        method="with_claims",
        label="Tag",
        empty_label="Any tag",
        help_text="Articles with a claim carrying this tag (its slug).",
    )
    status = filters.ChoiceFilter(
        choices=Claim.Status.choices,
        method="with_claims",
        empty_label="Any status",
        help_text="Articles with a claim in this status.",
    )
    verdict = filters.ChoiceFilter(
        choices=Claim.Verdict.choices[1:],
        method="with_claims",
        empty_label="Any verdict",
        help_text="Articles with a claim given this verdict.",
    )
    attention = filters.ChoiceFilter(
        choices=[("yes", "Has orphaned or changed claims"), ("no", "Has none")],
        empty_label="Any",
        method="needing_attention",
        label="Attention",
        help_text="`yes`: articles with an orphaned or changed claim no editor has dismissed; `no`: without.",
    )

    class Meta:
        model = Article
        fields: list[str] = []

    ranked = False  # the API pages by id; the article page ranks (web/filters.py)

    def search(self, queryset: ArticleQuerySet, name: str, value: str) -> ArticleQuerySet:
        return queryset.matching(value, ranked=self.ranked) if value.strip() else queryset

    def with_claims(self, queryset: QuerySet[Article], name: str, value: Any) -> QuerySet[Article]:
        claims = Claim.objects.filter(article=OuterRef("pk"))
        claims = {
            "tag": lambda: claims.filter(tags=value),
            "status": lambda: claims.with_status(value),
            "verdict": lambda: claims.with_verdict(value),
        }[name]()
        return queryset.filter(Exists(claims))

    def needing_attention(self, queryset: QuerySet[Article], name: str, value: str) -> QuerySet[Article]:
        if not value:
            return queryset
        flagged = Exists(Claim.objects.filter(article=OuterRef("pk")).needing_attention())
        return queryset.filter(flagged) if value == "yes" else queryset.exclude(flagged)


class SourceFilter(filters.FilterSet):
    domain = filters.CharFilter(method="filter_domain", help_text="Sources on this host or its subdomains.")
    kind = ChoiceInFilter(choices=Source.Kind.choices, help_text="Kinds, comma-separated.")
    q = filters.CharFilter(method="filter_text", help_text="Words in the title or publisher.")

    class Meta:
        model = Source
        fields: list[str] = []

    def filter_domain(self, queryset: QuerySet[Source], name: str, value: str) -> QuerySet[Source]:
        on_domain = _on_domain(value, "host_reversed")
        return queryset if on_domain is None else queryset.filter(on_domain)

    def filter_text(self, queryset: QuerySet[Source], name: str, value: str) -> QuerySet[Source]:
        for word in value.split():
            queryset = queryset.filter(Q(title__icontains=word) | Q(publisher__icontains=word))
        return queryset
