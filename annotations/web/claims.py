"""HTML views that change claims. Every one: POST with CSRF, the claim through `access`, the work in services.

Responses are the claim panel plus, out of band, only what the change touched (`workspace.Change`: that
claim's list item, the parts of the text under its highlights, the counts, the attention list), so the
page updates without a reload; without htmx, each view redirects back to the article. A failure inside
htmx answers a short plain-text message that the page shows in place (`_htmx_errors`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from annotations import services
from annotations.history import changes_since, history_entries
from annotations.models import Claim, Suggestion, Tag, User
from annotations.roles import Action
from annotations.text import unstorable
from annotations.web.access import get_article_for_user, get_claim_for_user, get_suggestion_for_user
from annotations.web.articles import HtmxRequest
from annotations.web.forms import ClaimEditForm, SourceAttachForm, SpanForm
from annotations.web.workspace import (
    SHOW_SUGGESTIONS,
    Change,
    Span,
    panel_context,
    suggestions_shown,
    update_context,
)

PANEL = "annotations/claim_panel.html#panel"
REFUSALS = (services.StaleEdit, ValidationError)  # what a service raises to refuse a change: see `_refused`
UPDATE = "annotations/article_workspace_update.html"

View = Callable[..., HttpResponse]
# A failure inside htmx: its status, and the message when the exception carries none.
FAILURES: dict[type[Exception], tuple[int, str]] = {
    Http404: (404, "This is no longer here; reload the article."),
    PermissionDenied: (403, "Your role may not do that."),
    BadRequest: (400, "The request was incomplete; reload the article."),
}


def _htmx_errors(view: View) -> View:
    """Answer an htmx request that fails with its message as plain text, for newsroom.js to show in place.

    Django's own answers are whole pages (with DEBUG on, the debug page), which must never land inside
    the workspace; a full page load still gets them.
    """

    @wraps(view)
    def answer(request: HtmxRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except tuple(FAILURES) as error:
            if not request.htmx:
                raise
            status, default = next(v for kind, v in FAILURES.items() if isinstance(error, kind))
            message = str(error) or default
            return HttpResponse(message[:1].upper() + message[1:], status=status, content_type="text/plain")

    return answer


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


def _answer(
    request: HtmxRequest,
    claim: Claim | None,
    article_id: int,
    change: Change,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    """The panel plus, out of band, what `change` says changed (`workspace.update_context`)."""
    if not request.htmx:
        anchor = f"?claim={claim.pk}#claim-{claim.pk}" if claim else ""
        return redirect(reverse("article_detail", args=[article_id]) + anchor)
    article = get_article_for_user(request, article_id)
    context = update_context(request, article, claim, change)
    return TemplateResponse(request, UPDATE, context | extra, status=status)


def _on_current_text(claim: Claim) -> list[Span]:
    """The claim's words in its article's current text: none for a claim left on an older revision."""
    return [(claim.start, claim.end)] if claim.revision_id == claim.article.current_revision_id else []


@require_GET
@login_required
@_htmx_errors
def claim_panel(request: HtmxRequest, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request, pk)
    return _panel(request, claim)


@require_POST
@login_required
@_htmx_errors
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
    words = [(claim.start, claim.end)]
    return _answer(request, claim, article.pk, Change(marks=words, item="place", claimed=words), status=201)


@require_POST
@login_required
@_htmx_errors
def claim_update(request: HtmxRequest, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request, pk)
    user = _user(request)
    form = ClaimEditForm(request.POST)
    if not form.is_valid():
        return _panel(request, claim, status=422, form_errors=form.errors)
    data = form.cleaned_data
    may = {
        "note": user.may(Action.EDIT_CLAIM) or user.may(Action.REVIEW_CLAIM),
        "status": user.may(Action.SUBMIT_FOR_REVIEW),
        "verdict": user.may(Action.REVIEW_CLAIM),
        "tags": user.may(Action.EDIT_CLAIM),
    }
    # What the form sent: a field the panel disabled for this role is not sent at all (tags, status,
    # verdict); the note is, read-only, as it stands.
    sent = {
        "note": data["note"],
        **({"status": data["status"]} if "status" in request.POST else {}),
        **({"verdict": data["verdict"]} if "verdict" in request.POST else {}),
        **({"tags": list(data["tags"])} if "tags" in request.POST or may["tags"] else {}),
    }
    changes = {name: value for name, value in sent.items() if may[name]}
    # Fields sent with a new value the role may not set are not saved, and the answer says so.
    refused = [name for name, value in sent.items() if not may[name] and _differs(claim, name, value)]
    try:
        claim = services.update_claim(claim=claim, by=user, expected_version=data["version"], **changes)
    except REFUSALS as refusal:
        return _refused(request, claim, refusal, attempted=changes)
    if refused and not request.htmx:
        messages.warning(request, _not_saved(user, refused))
    return _answer(
        request,
        claim,
        claim.article_id,
        _edited(claim),
        saved=not refused,
        not_saved=_not_saved(user, refused) if refused else "",
    )


def _differs(claim: Claim, name: str, value: Any) -> bool:
    if name == "tags":
        return {tag.pk for tag in value} != set(claim.tags.values_list("pk", flat=True))
    return bool(value != (getattr(claim, name) or ""))


def _not_saved(user: User, fields: list[str]) -> str:
    return (
        f"Not saved: {', '.join(fields)}. Your role ({user.effective_role}) may not change "
        f"{'it' if len(fields) == 1 else 'them'}; anything else you changed was saved."
    )


def _edited(claim: Claim) -> Change:
    """A change to a claim's fields: its list item (which restyles its highlights, see
    `fragments.claim_items`) and, while it is on the attention list, that list (whose forms carry the
    claim's version)."""
    return Change(attention=claim.needs_attention)


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
@_htmx_errors
def claim_toggle_tag(request: HtmxRequest, pk: int) -> HttpResponse:
    """The `1`–`9` shortcuts: add the tag if the claim lacks it, remove it otherwise."""
    claim = get_claim_for_user(request, pk)
    slug = request.POST.get("tag", "")
    tag = None if unstorable(slug) else Tag.objects.filter(slug=slug).first()
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
    return _answer(request, claim, claim.article_id, _edited(claim))


@require_POST
@login_required
@_htmx_errors
def claim_attach_source(request: HtmxRequest, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request, pk)
    user = _user(request)
    form = SourceAttachForm(request.POST)
    if not form.is_valid():
        return _panel(request, claim, status=422, source_form_errors=form.errors)
    data = form.cleaned_data
    attachment = {
        "claim": claim,
        "relation": data["relation"],
        "quote": data["quote"],
        "by": user,
        "expected_version": data["version"],
    }
    try:
        if data["source"]:
            claim = services.attach_source(source=data["source"], **attachment)
        else:
            claim = services.attach_new_source(url=data["url"], title=data["title"], **attachment)
    except REFUSALS as refusal:
        return _refused(request, claim, refusal, error_key="source_error")
    return _answer(request, claim, claim.article_id, _edited(claim))


@require_POST
@login_required
@_htmx_errors
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
    return _answer(request, claim, claim.article_id, _edited(claim))


@require_POST
@login_required
@_htmx_errors
def claim_delete(request: HtmxRequest, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request, pk)
    article_id, gone = claim.article_id, _on_current_text(claim)
    change = Change(marks=gone, item=None, removed=claim.pk, attention=claim.needs_attention, released=gone)
    try:
        services.delete_claim(claim=claim, by=_user(request), expected_version=_version(request))
    except REFUSALS as refusal:
        return _refused(request, claim, refusal)
    return _answer(request, None, article_id, change)


@require_POST
@login_required
@_htmx_errors
def claim_reattach(request: HtmxRequest, pk: int) -> HttpResponse:
    """Re-attach an orphaned or changed claim to the text the editor selected in the current revision."""
    claim = get_claim_for_user(request, pk)
    form = SpanForm(request.POST)
    if not form.is_valid():
        return _panel(request, claim, status=422, error="Select the new text first, then re-attach.")
    span = form.cleaned_data
    was = _on_current_text(claim)
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
    now = _on_current_text(claim)
    change = Change(
        marks=was + now, item="place", removed=claim.pk, attention=True, claimed=now, released=was
    )
    return _answer(request, claim, claim.article_id, change)


@require_POST
@login_required
@_htmx_errors
def claim_dismiss(request: HtmxRequest, pk: int) -> HttpResponse:
    """Take an orphaned or changed claim off the article's attention list (it is kept, not deleted)."""
    claim = get_claim_for_user(request, pk)
    try:
        claim = services.dismiss_attention(claim=claim, by=_user(request), expected_version=_version(request))
    except REFUSALS as refusal:
        return _refused(request, claim, refusal)
    return _answer(request, claim, claim.article_id, Change(attention=True))


@require_GET
@login_required
@_htmx_errors
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
@_htmx_errors
def suggestions_toggle(request: HtmxRequest, article_pk: int) -> HttpResponse:
    """Show or hide the suggested sentences and figures (remembered for this editor's session)."""
    article = get_article_for_user(request, article_pk)
    request.session[SHOW_SUGGESTIONS] = not suggestions_shown(request)
    return redirect("article_detail", pk=article.pk)


@require_POST
@login_required
@_htmx_errors
def suggestion_accept(request: HtmxRequest, pk: int) -> HttpResponse:
    suggestion = get_suggestion_for_user(request, pk)
    try:
        claim = services.accept_suggestion(suggestion=suggestion, by=_user(request))
    except ValidationError as error:
        return HttpResponse(" ".join(error.messages), status=400, content_type="text/plain")
    words = [(claim.start, claim.end)]
    change = Change(marks=words, item="place", claimed=words, dismissed=[suggestion.pk])
    return _answer(request, claim, suggestion.article_id, change, status=201)


@require_POST
@login_required
@_htmx_errors
def suggestion_dismiss(request: HtmxRequest, pk: int) -> HttpResponse:
    suggestion = get_suggestion_for_user(request, pk)
    services.dismiss_suggestion(suggestion=suggestion, by=_user(request))
    # A dismissal holds for every suggestion of the same words in the article (`services`).
    same = list(
        Suggestion.objects.filter(
            revision_id=suggestion.revision_id, text=suggestion.text, dismissed_at__isnull=False
        ).values_list("pk", "start", "end")
    )
    change = Change(
        marks=[(start, end) for _, start, end in same], item=None, dismissed=[pk for pk, *_ in same]
    )
    return _answer(request, None, suggestion.article_id, change, empty_message="Suggestion dismissed.")
