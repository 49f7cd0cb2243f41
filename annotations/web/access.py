"""The one place that decides which objects a user may reach from a URL: 404 for the rest, never 403,
so that nobody learns what exists behind an id they may not see."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from annotations.models import Article, Claim, Suggestion


def get_article_for_user(request: HttpRequest, pk: int) -> Article:
    return get_object_or_404(
        Article.objects.visible_to(request.user).select_related("current_revision"), pk=pk
    )


def get_claim_for_user(request: HttpRequest, pk: int) -> Claim:
    claims = Claim.objects.visible_to(request.user).select_related("article__current_revision", "revision")
    return get_object_or_404(claims, pk=pk)


def get_suggestion_for_user(request: HttpRequest, pk: int) -> Suggestion:
    visible = Article.objects.visible_to(request.user)
    return get_object_or_404(Suggestion.objects.filter(article__in=visible).select_related("article"), pk=pk)
