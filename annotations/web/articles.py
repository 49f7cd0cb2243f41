"""HTML views for articles and the lists. Thin: access through one helper per object, work in services.

Claim editing views are in `claim_views.py`.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.middleware import HtmxDetails

from annotations import db, failures, services, tasks
from annotations.importing import ArticleInput, BadArticle, read_uploaded
from annotations.models import Article, Claim, PageWatch, Source, UrlImport, User, visibility
from annotations.outbound import FetchRefused
from annotations.roles import Action
from annotations.text import unstorable
from annotations.web.access import get_article_for_user, get_url_import_for_user
from annotations.web.filters import ArticlePageFilter, ClaimPageFilter
from annotations.web.forms import ArticleForm
from annotations.web.paging import page_of
from annotations.web.workspace import panel_context, workspace_context

PAGE_SIZE = 25


class HtmxRequest(HttpRequest):
    """A request that went through django-htmx's middleware (typed, as its docs recommend)."""

    htmx: HtmxDetails


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and docker-compose: the app answers, its database does too, and how the task
    queue stands (jobs waiting for a worker, the oldest one's wait, and the workers alive: none alive and
    a growing wait means background work is stuck). 503 with what is down when the database is."""
    try:
        waiting, oldest = db.queue_waiting()
        workers = db.workers_alive(settings.TASK_STALLED_AFTER_SECONDS)
    except DatabaseError as error:
        if not failures.database_down(error):
            raise
        response = JsonResponse(
            {"status": "down", "database": "down", "queue": None, "message": failures.UNAVAILABLE}, status=503
        )
        response["Retry-After"] = str(failures.RETRY_AFTER_SECONDS)
        return response
    return JsonResponse(
        {
            "status": "ok",
            "database": "ok",
            "queue": {"waiting": waiting, "oldest_waiting_seconds": oldest, "workers": workers},
        }
    )


def _partial(request: HtmxRequest, template: str, name: str) -> str:
    # htmx asks for the region that changes; a plain request gets the whole page.
    return f"{template}#{name}" if request.htmx else template


@require_GET
@login_required
def article_list(request: HtmxRequest) -> HttpResponse:
    articles = Article.objects.visible_to(request.user).with_claim_counts().order_by("-published_at", "-pk")
    found = ArticlePageFilter(request.GET, queryset=articles)
    page = page_of(found.qs, PAGE_SIZE, request.GET.get("page"))
    response = TemplateResponse(
        request,
        _partial(request, "annotations/article_list.html", "results"),
        {
            "filter": found,
            "page": page,
            "query": _query_without_page(request),
            "can_import": isinstance(request.user, User) and request.user.may(Action.IMPORT_ARTICLE),
        },
    )
    response["Vary"] = "HX-Request"
    return response


@require_http_methods(["GET", "POST"])
@login_required
def article_new(request: HttpRequest) -> HttpResponse:
    if not isinstance(request.user, User):  # login_required ran first
        raise TypeError("article_new reached without a logged-in user")
    if not request.user.may(Action.IMPORT_ARTICLE):
        raise PermissionDenied("Your role may not add articles.")
    form = ArticleForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid() and form.from_url:
        try:
            url_import = tasks.queue_url_import(url=form.cleaned_data["url"], by=request.user)
        except FetchRefused as refused:
            form.add_error("url", f"This link cannot be fetched: {refused.reason}.")
        else:
            return redirect("url_import_detail", pk=url_import.pk)
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data.get("file"):
                article_input = read_uploaded(data["file"].name, data["file"].read(), overrides=data)
            else:
                article_input = ArticleInput.build(
                    title=data["title"],
                    text=data["text"],
                    url=data["url"],
                    outlet=data["outlet"],
                    byline=data["byline"],
                    published_at=data["published_at"] or None,
                )
            result = services.import_article(article_input=article_input, by=request.user)
        except BadArticle as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            form.add_error(None, "; ".join(error.messages))
        else:
            messages.success(
                request,
                {
                    "created": "Article added.",
                    "revised": "This URL was already here: its text is now a new revision, "
                    "and its claims were carried.",
                    "unchanged": "This article is already here with the same text; nothing was added.",
                }[result.outcome],
            )
            return redirect("article_detail", pk=result.article.pk)
    return TemplateResponse(
        request, "annotations/article_new.html", {"form": form}, status=400 if form.errors else 200
    )


@require_GET
@login_required
def url_import_detail(request: HtmxRequest, pk: int) -> HttpResponse:
    """How an import from a URL stands; the page asks again every second until it is done (htmx)."""
    url_import = get_url_import_for_user(request, pk)
    return TemplateResponse(
        request,
        _partial(request, "annotations/url_import.html", "status"),
        {"url_import": url_import, "done": url_import.state in UrlImport.FINAL_STATES},
    )


@require_GET
@login_required
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_article_for_user(request, pk)
    selected = request.GET.get("claim", "")
    claim = (
        Claim.objects.visible_to(request.user).for_article(article).filter(pk=int(selected)).first()
        if selected.isdigit()
        else None
    )
    context = workspace_context(request, article, selected_id=claim.pk if claim else None)
    context["page_watch"] = PageWatch.objects.filter(article=article).select_related("last_revision").first()
    context["can_import"] = isinstance(request.user, User) and request.user.may(Action.IMPORT_ARTICLE)
    if claim is not None:
        context |= panel_context(request, claim)
    return TemplateResponse(request, "annotations/article_detail.html", context)


@require_GET
@login_required
def claim_list(request: HtmxRequest) -> HttpResponse:
    claims = (
        Claim.objects.visible_to(request.user)
        .select_related("article")
        .prefetch_related("tags")
        .order_by("-updated_at", "-pk")
    )
    found = ClaimPageFilter(request.GET, queryset=claims)
    page = page_of(found.qs, 50, request.GET.get("page"))
    response = TemplateResponse(
        request,
        _partial(request, "annotations/claim_list.html", "results"),
        {"filter": found, "page": page, "query": _query_without_page(request)},
    )
    response["Vary"] = "HX-Request"
    return response


@require_GET
@login_required
def source_search(request: HttpRequest) -> HttpResponse:
    """Existing sources matching what the editor types, to attach one without retyping it."""
    query = request.GET.get("q", "").strip()
    if reason := unstorable(query):
        return HttpResponse(f"The search {reason}.", status=400, content_type="text/plain")
    visible = Source.objects.filter(visibility(request.user))
    found = (
        (visible.filter(title__icontains=query) | visible.filter(url__icontains=query))
        if query
        else Source.objects.none()
    )
    return TemplateResponse(
        request,
        "annotations/claim_panel.html#source-results",
        {"sources": found.order_by("title")[:10], "query": query, "claim_id": request.GET.get("claim", "")},
    )


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()
