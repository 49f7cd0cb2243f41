"""The one place that decides which objects a user may reach from a URL: 404 for the rest, never 403,
so that nobody learns what exists behind an id they may not see.

The messages are for the workspace, which shows them in place of a failed save (`claims._htmx_errors`);
they read the same whether the object was deleted or was never visible.
"""

from __future__ import annotations

from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest

from annotations.models import Article, Claim, Suggestion, UrlImport


def _get[T: Model](objects: QuerySet[T], pk: int, message: str) -> T:
    found = objects.filter(pk=pk).first()
    if found is None:
        raise Http404(message)
    return found


def get_article_for_user(request: HttpRequest, pk: int) -> Article:
    return _get(
        Article.objects.visible_to(request.user).select_related("current_revision"),
        pk,
        "This article is no longer here (it may have been removed).",
    )


def get_claim_for_user(request: HttpRequest, pk: int) -> Claim:
    claims = Claim.objects.visible_to(request.user).select_related("article__current_revision", "revision")
    return _get(
        claims,
        pk,
        "This claim is no longer here; someone may have deleted it. Reload the article to see where "
        "things stand.",
    )


def get_suggestion_for_user(request: HttpRequest, pk: int) -> Suggestion:
    visible = Article.objects.visible_to(request.user)
    return _get(
        Suggestion.objects.filter(article__in=visible).select_related("article"),
        pk,
        "This suggestion is no longer here. Reload the article to see the current ones.",
    )


def get_url_import_for_user(request: HttpRequest, pk: int) -> UrlImport:
    """An import from a URL, for whoever asked for it and for admins (as in the API)."""
    return _get(
        UrlImport.objects.visible_to(request.user).select_related("article"), pk, "This import is not here."
    )
