"""Pickers for the HTML lists' filter forms, over the shared FilterSets of `annotations/filters.py`.

The article list ranks what it finds; the claim list needs narrower pickers.
"""

from __future__ import annotations

import django_filters
from django import forms

from annotations.filters import ArticleFilter, ClaimFilter
from annotations.models import Claim, Tag

ANY_YES_NO = [("", "Any"), ("true", "Yes"), ("false", "No")]


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
    # "Any" rather than the default select's "Unknown".
    in_cluster = django_filters.BooleanFilter(
        method="filter_in_cluster", label="In a cluster", widget=forms.Select(choices=ANY_YES_NO)
    )
    has_fact_check = django_filters.BooleanFilter(
        method="filter_has_fact_check", label="Has a fact-check", widget=forms.Select(choices=ANY_YES_NO)
    )


class ArticlePageFilter(ArticleFilter):
    """The API's article filters; a search here is ranked, best first (the API pages by id instead)."""

    ranked = True
