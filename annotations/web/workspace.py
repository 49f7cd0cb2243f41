"""What the article page and the claim panel show: context builders shared by the views that render them.

The article page costs a fixed number of queries whatever the number of claims (tested).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.urls import reverse

from annotations.models import AnchorRecord, Article, Claim, ClaimSource, ClaimTag, Suggestion, Tag, User
from annotations.roles import Action
from annotations.web import fragments
from annotations.web.fragments import ClaimRow
from annotations.web.segments import segments

SHOW_SUGGESTIONS = "show_suggestions"  # session key: the editor's Suggestions toggle (on until turned off)


def suggestions_shown(request: HttpRequest) -> bool:
    # On by default: an article opens with what is worth checking already marked.
    return bool(request.session.get(SHOW_SUGGESTIONS, True))


def _may(request: HttpRequest, action: Action) -> bool:
    return isinstance(request.user, User) and request.user.may(action)


def workspace_context(request: HttpRequest, article: Article, **extra: Any) -> dict[str, Any]:
    revision = article.current_revision
    visible = Claim.objects.visible_to(request.user).for_article(article)
    rows = [
        ClaimRow(**values)
        for values in visible.filter(revision=revision)
        .in_text_order()
        .values("pk", "start", "end", "exact", "status", "verdict", "anchor_state")
    ]
    by_id = {row.pk: row for row in rows}
    for claim_id, name, facet in (
        ClaimTag.objects.filter(claim__in=visible, claim__revision=revision)
        .order_by("tag__facet", "tag__position", "tag__name")
        .values_list("claim_id", "tag__name", "tag__facet")
    ):
        by_id[claim_id].tags.append((name, facet))
    for claim_id, count in (
        ClaimSource.objects.filter(claim__in=visible, claim__revision=revision)
        .values("claim_id")
        .annotate(count=Count("pk"))
        .values_list("claim_id", "count")
    ):
        by_id[claim_id].source_count = count
    selected = extra.get("selected_id")
    show_suggestions = suggestions_shown(request)
    can_create = _may(request, Action.CREATE_CLAIM)
    suggestions = (
        list(Suggestion.objects.filter(revision=revision).open().in_showing_order())
        if show_suggestions and revision is not None
        else []
    )
    text = revision.text if revision else ""
    attention = list(visible.needing_attention().in_text_order())
    if attention:
        # The quote each flagged claim had before the revision that flagged it: one query for all.
        latest = (
            AnchorRecord.objects.filter(claim__in=attention)
            .order_by("claim", "-created_at", "-pk")
            .distinct("claim")
            .values_list("claim", "old_exact")
        )
        before = dict(latest)
        for claim in attention:
            claim.previous_quote = before.get(claim.pk, claim.exact)  # type: ignore[attr-defined]
    return {
        "article": article,
        "revision": revision,
        "claim_count": len(rows),
        "text_html": fragments.article_text(
            segments(
                text,
                [(("claim", row.pk), row.start, row.end) for row in rows]
                + [(("suggestion", s.pk), s.start, s.end) for s in suggestions],
            ),
            by_id,
            selected,
            {s.pk: fragments.SuggestionRow(s.pk, s.kind, s.strength) for s in suggestions},
        ),
        "show_suggestions": show_suggestions,
        "suggestions": suggestions,
        "suggestion_items_html": fragments.suggestion_items(
            suggestions,
            can_create,
            get_token(request) if can_create else "",
            reverse("suggestion_accept", args=[0]),
            reverse("suggestion_dismiss", args=[0]),
        ),
        "claim_items_html": fragments.claim_items(rows, selected, reverse("claim_panel", args=[0])),
        "attention": attention,
        "shortcut_tags": list(Tag.objects.all()[:9]),
        "can_edit": _may(request, Action.EDIT_CLAIM),
        "can_create": can_create,
        "revision_count": article.revisions.count(),
        **extra,
    }


def panel_context(request: HttpRequest, claim: Claim, **extra: Any) -> dict[str, Any]:
    claim = Claim.objects.with_related().get(pk=claim.pk)
    can_review = _may(request, Action.REVIEW_CLAIM)
    statuses = [
        (value, label)
        for value, label in Claim.Status.choices
        if can_review or value != Claim.Status.REVIEWED or claim.status == value
    ]
    return {
        "claim": claim,
        "selected_claim": claim,
        "selected_id": claim.pk,
        "links": list(claim.claim_sources.all()),
        "tags": Tag.objects.all(),
        "claim_tag_ids": {tag.pk for tag in claim.tags.all()},
        "statuses": statuses,
        "verdicts": Claim.Verdict.choices,
        "relations": ClaimSource.Relation.choices,
        "can_edit": _may(request, Action.EDIT_CLAIM),
        "can_review": can_review,
        "can_submit": _may(request, Action.SUBMIT_FOR_REVIEW),
        "can_delete": _may(request, Action.DELETE_CLAIM),
        **extra,
    }
