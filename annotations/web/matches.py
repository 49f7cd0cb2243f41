"""The claim panel's "Checked before?" section: the same claim elsewhere, fact-checks, what to do with them.

The section is loaded after the panel (`hx-trigger="load"`), so a panel opens as fast as before; its
changes (confirm, take out, share sources, use a verdict) answer like every other claim change, with the
panel and what it touched (`claims._answer`), and the section loads again inside it. A dismissal changes
nothing about the claim: it answers the section alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_POST

from annotations import services
from annotations.matches import Tier, Warming, find_for_text, find_matches
from annotations.models import Claim, ClaimSource, FactCheck
from annotations.roles import Action
from annotations.web.access import get_claim_for_user, get_suggestion_for_user
from annotations.web.articles import HtmxRequest
from annotations.web.claims import REFUSALS, _answer, _edited, _htmx_errors, _refused, _user, _version

SECTION = "annotations/claim_matches.html#matches"
WARMING = "annotations/claim_matches.html#warming"
BRIEF = "annotations/claim_matches.html#brief"


def _section(request: HtmxRequest, claim: Claim, status: int = 200, **extra: object) -> HttpResponse:
    try:
        found = find_matches(claim, request.user)
    except Warming as warming:
        return TemplateResponse(request, WARMING, {"claim": claim, "rows": warming.rows})
    shareable = 0
    if claim.cluster_id is not None:
        have = claim.claim_sources.values_list("source_id", flat=True)
        shareable = (
            ClaimSource.objects.filter(claim__cluster_id=claim.cluster_id)
            .exclude(claim=claim)
            .exclude(source_id__in=have)
            .values("source_id")
            .distinct()
            .count()
        )
    user = _user(request)
    context = {
        "claim": claim,
        "matches": found,
        "confirmed": found.of(Tier.CONFIRMED),
        "suggested": found.of(Tier.SUGGESTED),
        "related": found.of(Tier.RELATED),
        "checks": [m for m in found.checks if m.claim.verdict != claim.verdict],
        "fact_checks": found.fact_checks,
        "shareable": shareable,
        "own_fact_checks": set(claim.fact_check_links.values_list("fact_check_id", flat=True)),
        "can_edit": user.may(Action.EDIT_CLAIM),
        "can_review": user.may(Action.REVIEW_CLAIM),
        **extra,
    }
    return TemplateResponse(request, SECTION, context, status=status)


def _other_claim(request: HtmxRequest) -> Claim | None:
    raw = request.POST.get("claim", "")
    if not raw:
        return None
    if not raw.isdigit():
        raise BadRequest("The form was incomplete; reload the article.")
    try:
        return get_claim_for_user(request, int(raw))
    except Http404:
        raise Http404("That claim is no longer here; reload the article.") from None


def _fact_check(request: HtmxRequest) -> FactCheck | None:
    raw = request.POST.get("fact_check", "")
    if not raw:
        return None
    if not raw.isdigit():
        raise BadRequest("The form was incomplete; reload the article.")
    found = FactCheck.objects.filter(pk=int(raw)).first()
    if found is None:
        raise Http404("That fact-check is no longer here; reload the article.")
    return found


@require_GET
@login_required
@_htmx_errors
def claim_matches(request: HtmxRequest, pk: int) -> HttpResponse:
    return _section(request, get_claim_for_user(request, pk))


@require_GET
@login_required
@_htmx_errors
def suggestion_matches(request: HtmxRequest, pk: int) -> HttpResponse:
    """Has a suggested sentence been claimed elsewhere, or checked? A short answer inside its list item;
    confirming is for the claim it becomes."""
    suggestion = get_suggestion_for_user(request, pk)
    try:
        found = find_for_text(suggestion.text, request.user, article_id=suggestion.article_id)
    except Warming as warming:
        return HttpResponse(
            f"Still indexing {warming.rows:,} texts; try again in a minute.", content_type="text/plain"
        )
    return TemplateResponse(request, BRIEF, {"matches": found})


def _change(
    request: HtmxRequest, claim: Claim, change: Callable[[int], Claim], **refused: Any
) -> HttpResponse:
    """Run a change of `claim` at the version the form read, and answer as every claim change does: the
    panel and what it touched, or the refusal (a stale version, the figure guard) in the panel."""
    try:
        claim = change(_version(request))
    except REFUSALS as refusal:
        return _refused(request, claim, refusal, **refused)
    return _answer(request, claim, claim.article_id, _edited(claim))


@require_POST
@login_required
@_htmx_errors
def claim_match_confirm(request: HtmxRequest, pk: int) -> HttpResponse:
    """Confirm a suggested claim (same claim, another article) or fact-check."""
    claim = get_claim_for_user(request, pk)
    other, fact_check, by = _other_claim(request), _fact_check(request), _user(request)
    if other is not None:
        return _change(
            request,
            claim,
            lambda v: services.confirm_same_claim(claim=claim, other=other, by=by, expected_version=v),
        )
    if fact_check is not None:
        return _change(
            request,
            claim,
            lambda v: services.confirm_fact_check(
                claim=claim, fact_check=fact_check, by=by, expected_version=v
            ),
        )
    raise BadRequest("Say which claim or fact-check to confirm.")


@require_POST
@login_required
@_htmx_errors
def claim_match_dismiss(request: HtmxRequest, pk: int) -> HttpResponse:
    """Not the same claim: stop suggesting it (for both claims)."""
    claim = get_claim_for_user(request, pk)
    other, fact_check = _other_claim(request), _fact_check(request)
    if other is None and fact_check is None:
        raise BadRequest("Say which claim or fact-check to dismiss.")
    services.dismiss_match(claim=claim, other=other, fact_check=fact_check, by=_user(request))
    return _section(request, claim)


@require_POST
@login_required
@_htmx_errors
def claim_fact_check_remove(request: HtmxRequest, pk: int) -> HttpResponse:
    claim, fact_check, by = get_claim_for_user(request, pk), _fact_check(request), _user(request)
    if fact_check is None:
        raise BadRequest("Say which fact-check to take off.")
    return _change(
        request,
        claim,
        lambda v: services.unconfirm_fact_check(
            claim=claim, fact_check=fact_check, by=by, expected_version=v
        ),
    )


@require_POST
@login_required
@_htmx_errors
def claim_cluster_leave(request: HtmxRequest, pk: int) -> HttpResponse:
    claim, by = get_claim_for_user(request, pk), _user(request)
    return _change(request, claim, lambda v: services.leave_cluster(claim=claim, by=by, expected_version=v))


@require_POST
@login_required
@_htmx_errors
def claim_cluster_sources(request: HtmxRequest, pk: int) -> HttpResponse:
    """Attach the sources the same claim has in its other articles."""
    claim, by = get_claim_for_user(request, pk), _user(request)
    return _change(
        request,
        claim,
        lambda v: services.share_cluster_sources(claim=claim, by=by, expected_version=v),
        error_key="source_error",
    )


@require_POST
@login_required
@_htmx_errors
def claim_adopt_verdict(request: HtmxRequest, pk: int) -> HttpResponse:
    """A reviewer takes the verdict a colleague gave the same claim elsewhere: offered, never copied."""
    claim, other, by = get_claim_for_user(request, pk), _other_claim(request), _user(request)
    if other is None:
        raise BadRequest("Say whose verdict to use.")
    return _change(
        request,
        claim,
        lambda v: services.adopt_verdict(claim=claim, other=other, by=by, expected_version=v),
        attempted={"verdict": other.verdict},
    )
