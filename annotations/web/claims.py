"""HTML views that change claims. Every one: POST with CSRF, the claim through `access`, the work in services.

Responses are the claim panel (and, when highlights change, the article text and claim list out of band),
so the page updates without a reload; without htmx, each view redirects back to the article.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from annotations import services
from annotations.history import changes_since, history_entries
from annotations.models import Claim, Tag, User
from annotations.roles import Action
from annotations.web.access import get_article_for_user, get_claim_for_user, get_suggestion_for_user
from annotations.web.articles import HtmxRequest
from annotations.web.forms import ClaimEditForm, SourceAttachForm, SpanForm
from annotations.web.workspace import SHOW_SUGGESTIONS, panel_context, suggestions_shown, workspace_context

PANEL = "annotations/claim_panel.html#panel"
REFUSALS = (services.StaleEdit, ValidationError)  # what a service raises to refuse a change: see `_refused`
WORKSPACE = "annotations/article_workspace_update.html"


def _user(request: HtmxRequest) -> User:
    if not isinstance(request.user, User):  # login_required ran first
        raise TypeError("a claim view reached without a logged-in user")
    return request.user


def _panel(request: HtmxRequest, claim: Claim, status: int = 200, **extra: Any) -> HttpResponse:
    if not request.htmx:
        return redirect(
            f"{reverse('article_detail', args=[claim.article_id])}?claim={claim.pk}#claim-{claim.pk}"
        )
    return TemplateResponse(request, PANEL, panel_context(request, claim, **extra), status=status)


def _workspace(
    request: HtmxRequest, claim: Claim | None, article_id: int, status: int = 200, **extra: Any
) -> HttpResponse:
    """The panel plus the article text and claim list, swapped out of band: highlights changed."""
    if not request.htmx:
        anchor = f"?claim={claim.pk}#claim-{claim.pk}" if claim else ""
        return redirect(reverse("article_detail", args=[article_id]) + anchor)
    article = get_article_for_user(request, article_id)
    context = workspace_context(request, article, oob=True, selected_id=claim.pk if claim else None)
    if claim is not None:
        context |= panel_context(request, claim, **extra)
    else:
        context |= extra
    return TemplateResponse(request, WORKSPACE, context, status=status)


@require_GET
@login_required
def claim_panel(request: HtmxRequest, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request, pk)
    return _panel(request, claim)


@require_POST
@login_required
def claim_create(request: HtmxRequest, article_pk: int) -> HttpResponse:
    article = get_article_for_user(request, article_pk)
    form = SpanForm(request.POST)
    if not form.is_valid():
        return HttpResponse(
            "The selection was not sent correctly: "
            + "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in form.errors.items()),
            status=400,
            content_type="text/plain",
        )
    span = form.cleaned_data
    try:
        claim = services.create_claim(
            article=article,
            by=_user(request),
            start=span["start"],
            end=span["end"],
            exact=span["exact"],
            revision_number=span.get("revision"),
        )
    except ValidationError as error:
        return HttpResponse(" ".join(error.messages), status=400, content_type="text/plain")
    return _workspace(request, claim, article.pk, status=201)


@require_POST
@login_required
def claim_update(request: HtmxRequest, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request, pk)
    user = _user(request)
    form = ClaimEditForm(request.POST)
    if not form.is_valid():
        return _panel(request, claim, status=422, form_errors=form.errors)
    data = form.cleaned_data
    changes: dict[str, Any] = {}
    if user.may(Action.EDIT_CLAIM) or user.may(Action.REVIEW_CLAIM):
        changes["note"] = data["note"]
    if user.may(Action.SUBMIT_FOR_REVIEW):
        changes["status"] = data["status"]
    if user.may(Action.REVIEW_CLAIM) and "verdict" in request.POST:
        changes["verdict"] = data["verdict"]
    if user.may(Action.EDIT_CLAIM):
        changes["tags"] = list(data["tags"])
    try:
        claim = services.update_claim(claim=claim, by=user, expected_version=data["version"], **changes)
    except REFUSALS as refusal:
        return _refused(request, claim, refusal, attempted=changes)
    return _workspace(request, claim, claim.article_id, saved=True)


def _refused(
    request: HtmxRequest,
    claim: Claim,
    refusal: services.StaleEdit | ValidationError,
    *,
    attempted: dict[str, Any] | None = None,
    error_key: str = "error",
) -> HttpResponse:
    """The panel for a change the service refused: 409 with what a colleague changed meanwhile (and what of
    `attempted` is unsaved), or 422 with the message, shown in the panel's `error_key` slot."""
    if isinstance(refusal, services.StaleEdit):
        return _conflict(request, refusal, attempted=attempted or {})
    return _panel(request, claim, status=422, **{error_key: " ".join(refusal.messages)})


def _conflict(request: HtmxRequest, stale: services.StaleEdit, attempted: dict[str, Any]) -> HttpResponse:
    """Refuse a stale save and show what the colleague changed; nothing is overwritten."""
    current = stale.claim
    mine = []
    for field, value in attempted.items():
        if field == "tags":
            if {t.pk for t in value} != set(current.tags.values_list("pk", flat=True)):
                mine.append("tags: " + (", ".join(t.name for t in value) or "(none)"))
        elif value != getattr(current, field):
            mine.append(f"{field}: {value or '(empty)'}")
    return _panel(
        request, current, status=409, conflict=changes_since(current, stale.expected_version), unsaved=mine
    )


@require_POST
@login_required
def claim_toggle_tag(request: HtmxRequest, pk: int) -> HttpResponse:
    """The `1`–`9` shortcuts: add the tag if the claim lacks it, remove it otherwise."""
    claim = get_claim_for_user(request, pk)
    tag = Tag.objects.filter(slug=request.POST.get("tag", "")).first()
    if tag is None:
        return HttpResponse("No such tag.", status=400, content_type="text/plain")
    tags = list(claim.tags.all())
    tags = [t for t in tags if t.pk != tag.pk] if tag in tags else [*tags, tag]
    try:
        claim = services.update_claim(
            claim=claim, by=_user(request), expected_version=_version(request), tags=tags
        )
    except REFUSALS as refusal:
        return _refused(request, claim, refusal, attempted={"tags": tags})
    return _workspace(request, claim, claim.article_id)


@require_POST
@login_required
def claim_attach_source(request: HtmxRequest, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request, pk)
    user = _user(request)
    form = SourceAttachForm(request.POST)
    if not form.is_valid():
        return _panel(request, claim, status=422, source_form_errors=form.errors)
    data = form.cleaned_data
    try:
        source = data["source"] or services.find_or_create_source(
            url=data["url"], title=data["title"], by=user
        )
        claim = services.attach_source(
            claim=claim,
            source=source,
            relation=data["relation"],
            quote=data["quote"],
            by=user,
            expected_version=data["version"],
        )
    except REFUSALS as refusal:
        return _refused(request, claim, refusal, error_key="source_error")
    return _workspace(request, claim, claim.article_id)


@require_POST
@login_required
def claim_detach_source(request: HtmxRequest, pk: int, source_pk: int) -> HttpResponse:
    claim = get_claim_for_user(request, pk)
    link = claim.claim_sources.filter(source_id=source_pk).select_related("source").first()
    if link is None:
        return _panel(request, claim, status=422, error="That source is not attached to this claim.")
    try:
        claim = services.detach_source(
            claim=claim, source=link.source, by=_user(request), expected_version=_version(request)
        )
    except REFUSALS as refusal:
        return _refused(request, claim, refusal)
    return _workspace(request, claim, claim.article_id)


@require_POST
@login_required
def claim_delete(request: HtmxRequest, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request, pk)
    article_id = claim.article_id
    try:
        services.delete_claim(claim=claim, by=_user(request), expected_version=_version(request))
    except REFUSALS as refusal:
        return _refused(request, claim, refusal)
    return _workspace(request, None, article_id)


@require_POST
@login_required
def claim_reattach(request: HtmxRequest, pk: int) -> HttpResponse:
    """Re-attach an orphaned or changed claim to the text the editor selected in the current revision."""
    claim = get_claim_for_user(request, pk)
    form = SpanForm(request.POST)
    if not form.is_valid():
        return _panel(request, claim, status=422, error="Select the new text first, then re-attach.")
    span = form.cleaned_data
    try:
        claim = services.reattach_claim(
            claim=claim,
            by=_user(request),
            expected_version=_version(request),
            start=span["start"],
            end=span["end"],
            exact=span["exact"],
        )
    except REFUSALS as refusal:
        return _refused(request, claim, refusal)
    return _workspace(request, claim, claim.article_id)


@require_POST
@login_required
def claim_dismiss(request: HtmxRequest, pk: int) -> HttpResponse:
    """Take an orphaned or changed claim off the article's attention list (it is kept, not deleted)."""
    claim = get_claim_for_user(request, pk)
    try:
        claim = services.dismiss_attention(claim=claim, by=_user(request), expected_version=_version(request))
    except REFUSALS as refusal:
        return _refused(request, claim, refusal)
    return _workspace(request, claim, claim.article_id)


@require_GET
@login_required
def claim_history(request: HtmxRequest, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request, pk)
    template = "annotations/claim_history.html#history" if request.htmx else "annotations/claim_history.html"
    return TemplateResponse(request, template, {"claim": claim, "entries": history_entries(claim)})


def _version(request: HtmxRequest) -> int:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        raise BadRequest("The form was incomplete (no version); reload the page.") from None


@require_POST
@login_required
def suggestions_toggle(request: HtmxRequest, article_pk: int) -> HttpResponse:
    """Show or hide the suggested sentences and figures (remembered for this editor's session)."""
    article = get_article_for_user(request, article_pk)
    request.session[SHOW_SUGGESTIONS] = not suggestions_shown(request)
    return redirect("article_detail", pk=article.pk)


@require_POST
@login_required
def suggestion_accept(request: HtmxRequest, pk: int) -> HttpResponse:
    suggestion = get_suggestion_for_user(request, pk)
    try:
        claim = services.accept_suggestion(suggestion=suggestion, by=_user(request))
    except ValidationError as error:
        return HttpResponse(" ".join(error.messages), status=400, content_type="text/plain")
    return _workspace(request, claim, suggestion.article_id, status=201)


@require_POST
@login_required
def suggestion_dismiss(request: HtmxRequest, pk: int) -> HttpResponse:
    suggestion = get_suggestion_for_user(request, pk)
    services.dismiss_suggestion(suggestion=suggestion, by=_user(request))
    return _workspace(request, None, suggestion.article_id, empty_message="Suggestion dismissed.")
