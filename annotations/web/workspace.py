"""What the article page and the claim panel show: context builders shared by the views that render them.

The article page costs a fixed number of queries whatever the number of claims (tested). A change to a
claim answers only what it changed (`update_context`): on an article with 1,500 claims the whole page
is 2 MB, a save a few kilobytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from django.db.models import Count, Q
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.urls import reverse

from annotations import services
from annotations.models import (
    AnchorRecord,
    Article,
    Claim,
    ClaimQuerySet,
    ClaimSource,
    ClaimTag,
    Revision,
    Suggestion,
    Tag,
    User,
)
from annotations.roles import Action
from annotations.web import fragments
from annotations.web.fragments import ClaimRow
from annotations.web.segments import parts, parts_touching, segments

SHOW_SUGGESTIONS = "show_suggestions"  # session key: the editor's Suggestions toggle (on until turned off)
ROW_FIELDS = ("pk", "start", "end", "exact", "status", "verdict", "anchor_state")

Span = tuple[int, int]  # (start, end) in the current revision's text


def suggestions_shown(request: HttpRequest) -> bool:
    # On by default: an article opens with what is worth checking already marked.
    return bool(request.session.get(SHOW_SUGGESTIONS, True))


def _may(request: HttpRequest, action: Action) -> bool:
    return isinstance(request.user, User) and request.user.may(action)


def _visible(request: HttpRequest, article: Article) -> ClaimQuerySet:
    return Claim.objects.visible_to(request.user).for_article(article)


def shown_suggestions(request: HttpRequest, revision: Revision | None) -> list[Suggestion]:
    """The suggestions the page shows, in its order: the page and every answer to a change ask here."""
    if not suggestions_shown(request) or revision is None:
        return []
    return list(Suggestion.objects.shown_on(revision))


def claim_rows(claims: ClaimQuerySet, *, badges: bool = True) -> list[ClaimRow]:
    """`claims` as rows in text order, in three queries however many; `badges`: with their tags and source
    counts (the list shows them, the highlights do not)."""
    rows = [ClaimRow(**values) for values in claims.in_text_order().values(*ROW_FIELDS)]
    if not badges or not rows:
        return rows
    by_id = {row.pk: row for row in rows}
    # By the ids read, not `claims` again: each query is its own snapshot, and a claim created between
    # the two (with a tag or a source) would come back here without a row (a KeyError under load).
    ids = list(by_id)
    for claim_id, name, facet in (
        ClaimTag.objects.filter(claim_id__in=ids)
        .order_by("tag__facet", "tag__position", "tag__name")
        .values_list("claim_id", "tag__name", "tag__facet")
    ):
        by_id[claim_id].tags.append((name, facet))
    for claim_id, count in (
        ClaimSource.objects.filter(claim_id__in=ids)
        .values("claim_id")
        .annotate(count=Count("pk"))
        .values_list("claim_id", "count")
    ):
        by_id[claim_id].source_count = count
    return rows


def _suggestion_rows(suggestions: Iterable[Suggestion]) -> dict[int, fragments.SuggestionRow]:
    return {s.pk: fragments.SuggestionRow(s.pk, s.kind, s.strength, s.claim_type) for s in suggestions}


def _attention(visible: ClaimQuerySet) -> list[Claim]:
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
    return attention


def _suggestion_items(request: HttpRequest, suggestions: list[Suggestion]) -> Any:
    can_create = _may(request, Action.CREATE_CLAIM)
    return fragments.suggestion_items(
        suggestions,
        can_create,
        get_token(request) if can_create else "",
        reverse("suggestion_accept", args=[0]),
        reverse("suggestion_dismiss", args=[0]),
        reverse("suggestion_matches", args=[0]),
    )


def workspace_context(request: HttpRequest, article: Article, **extra: Any) -> dict[str, Any]:
    revision = article.current_revision
    visible = _visible(request, article)
    rows = claim_rows(visible.filter(revision=revision))
    selected = extra.get("selected_id")
    suggestions = shown_suggestions(request, revision)
    text = revision.text if revision else ""
    bounds = parts(text)
    return {
        "article": article,
        "revision": revision,
        "claim_count": len(rows),
        "text_html": fragments.text_parts(
            segments(
                text,
                [(("claim", row.pk), row.start, row.end) for row in rows]
                + [(("suggestion", s.pk), s.start, s.end) for s in suggestions],
                cuts=[start for start, _ in bounds],
            ),
            bounds,
            range(len(bounds)),
            revision.number if revision else 0,
            {row.pk: row for row in rows},
            selected,
            _suggestion_rows(suggestions),
        ),
        "show_suggestions": suggestions_shown(request),
        "suggestions": suggestions,
        "suggestion_items_html": _suggestion_items(request, suggestions),
        "claim_items_html": fragments.claim_items(rows, selected, reverse("claim_panel", args=[0])),
        "attention": _attention(visible),
        "carrying": services.claims_being_carried(article) if revision else 0,
        "shortcut_tags": list(Tag.objects.all()[:9]),
        "can_edit": _may(request, Action.EDIT_CLAIM),
        "can_create": _may(request, Action.CREATE_CLAIM),
        "revision_count": article.revisions.count(),
        **extra,
    }


@dataclass(frozen=True)
class Change:
    """What a claim view changed, so that its answer carries only that (`update_context`).

    Spans are in the current revision's text; a claim on an older revision (an orphan) has none there.
    """

    marks: Sequence[Span] = ()  # where highlights changed: the parts of the text over them are re-sent
    item: Literal["replace", "place"] | None = "replace"  # the claim's list item: in place, or in text order
    removed: int | None = None  # a claim whose list item goes
    attention: bool = False  # the "Needs attention" list changed
    claimed: Sequence[Span] = ()  # newly claimed words: suggestions inside them are no longer offered
    released: Sequence[Span] = ()  # words no longer claimed: suggestions inside them may be offered again
    dismissed: Sequence[int] = ()  # suggestions dismissed


def _inside(start: int, end: int, spans: Iterable[Span]) -> bool:
    return any(low <= start and end <= high for low, high in spans)


def update_context(
    request: HttpRequest, article: Article, claim: Claim | None, change: Change, **extra: Any
) -> dict[str, Any]:
    """The answer to a change: the panel, and out of band the parts of the text, the list item, the counts,
    the attention list and the suggestions that `change` touched, and nothing else."""
    revision = article.current_revision
    visible = _visible(request, article)
    current = visible.filter(revision=revision)
    selected = claim.pk if claim else None
    context: dict[str, Any] = {
        "article": article,
        "oob": True,
        "selected_id": selected,
        "claim_count": None,
        "suggestion_count": None,
    }
    if claim is not None:
        context |= panel_context(request, claim)
    show = suggestions_shown(request) and revision is not None
    touches_suggestions = (
        revision is not None and show and bool(change.claimed or change.released or change.dismissed)
    )
    shown = shown_suggestions(request, revision) if change.marks or touches_suggestions else []
    marks = list(change.marks)
    if touches_suggestions and revision is not None:
        context |= _suggestion_changes(request, revision, current, claim, shown, change)
        marks += [(s.start, s.end) for s in context.pop("seated", [])]
    if marks and revision is not None:
        bounds = parts(revision.text)
        indexes = parts_touching(bounds, marks)
        windows = [bounds[i] for i in indexes]
        overlapping = Q()
        for start, end in windows:
            overlapping |= Q(start__lt=end, end__gt=start)
        rows = claim_rows(current.filter(overlapping), badges=False)
        near = [s for s in shown if any(s.start < end and start < s.end for start, end in windows)]
        context["parts_html"] = fragments.text_parts(
            segments(
                revision.text,
                [(("claim", row.pk), row.start, row.end) for row in rows]
                + [(("suggestion", s.pk), s.start, s.end) for s in near],
                cuts=[start for start, _ in bounds],
            ),
            bounds,
            indexes,
            revision.number,
            {row.pk: row for row in rows},
            selected,
            _suggestion_rows(near),
            oob=True,
        )
    if claim is not None and change.item and claim.revision_id == article.current_revision_id:
        context["item_html"] = fragments.claim_items(
            claim_rows(current.filter(pk=claim.pk)),
            selected,
            reverse("claim_panel", args=[0]),
            oob=change.item == "replace",
        )
        if change.item == "place":
            context["item_place"] = True
            context["item_after"] = _previous_in_text(current, claim)
    if change.item == "place" or change.removed:
        context["removed_item"] = change.removed
        context["claim_count"] = current.count()
    if change.attention:
        context["attention"] = _attention(visible)
        context["attention_changed"] = True
        context["can_edit"] = _may(request, Action.EDIT_CLAIM)
    return context | extra


def _previous_in_text(claims: ClaimQuerySet, claim: Claim) -> int | None:
    """The claim listed just before `claim` (the list is in text order), or None when it comes first."""
    before = (
        Q(start__lt=claim.start)
        | Q(start=claim.start, end__lt=claim.end)
        | Q(start=claim.start, end=claim.end, pk__lt=claim.pk)
    )
    previous = claims.filter(before).order_by("-start", "-end", "-pk").values_list("pk", flat=True).first()
    return previous


def _suggestion_changes(
    request: HttpRequest,
    revision: Revision,
    current: ClaimQuerySet,
    claim: Claim | None,
    shown: list[Suggestion],
    change: Change,
) -> dict[str, Any]:
    """The suggestion items to take off the list and the new count; the whole list when one comes back
    (words a deleted or moved claim covered), since it goes back in its ranked place."""
    shown_ids = {s.pk for s in shown}
    hidden = [pk for pk in change.dismissed if pk not in shown_ids]
    if change.claimed:
        low = min(start for start, _ in change.claimed)
        high = max(end for _, end in change.claimed)
        others = [
            (row.start, row.end)
            for row in claim_rows(current.filter(start__lt=high, end__gt=low), badges=False)
            if claim is None or row.pk != claim.pk
        ]
        # Offered until this change: open, and inside no other claim (as `SuggestionQuerySet.open`).
        hidden += [
            s.pk
            for s in revision.suggestions.filter(start__gte=low, end__lte=high, dismissed_at=None)
            if s.pk not in shown_ids
            and s.claim_id in (None, claim.pk if claim else None)
            and _inside(s.start, s.end, change.claimed)
            and not _inside(s.start, s.end, others)
        ]
    context: dict[str, Any] = {"hidden_suggestions": hidden, "suggestion_count": len(shown)}
    if any(_inside(s.start, s.end, change.released) for s in shown):
        context |= {
            "suggestions_changed": True,
            "show_suggestions": True,
            "suggestions": shown,
            "suggestion_items_html": _suggestion_items(request, shown),
        }
    elif hidden:
        # The list is capped (`shown_on`): as many as left it may have come in at its end. Those last items
        # are (re)seated after their predecessor, and their words re-marked; one already there moves onto
        # itself (newsroom.js drops the old copy).
        seated = shown[max(0, len(shown) - len(hidden)) :]
        first = len(shown) - len(seated)
        context["seated"] = seated
        context["seated_suggestions"] = [
            (shown[first + i - 1].pk if first + i else None, _suggestion_items(request, [suggestion]))
            for i, suggestion in enumerate(seated)
        ]
    return context


def panel_context(request: HttpRequest, claim: Claim, **extra: Any) -> dict[str, Any]:
    # The sources' link checks in one more query, however many sources (the panel shows each one's).
    claim = (
        Claim.objects.with_related().prefetch_related("claim_sources__source__link_check").get(pk=claim.pk)
    )
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
