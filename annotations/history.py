"""Reading the claims' recorded history (written by pghistory triggers): as sentences an editor reads, and
as the claims stood on an older revision.

The sentences serve the history view and the conflict message that shows what a colleague changed; they
are in the newsroom's words ("Carried to revision 4", "Tagged Statistic", "Status: In review"): field
names, ids and offsets never reach the page. `states_on` serves the pages of old revisions.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.apps import apps
from django.db.models import QuerySet

from annotations.models import Claim, ClaimSource, ClaimTag, Revision, Source, Tag, User, history_of

# Bookkeeping that changes with every edit, or detail an editor reads better through another sentence
# (offsets through "Carried to revision 4", the context through the quote).
_QUIET_FIELDS = {
    "id",
    "article",
    "version",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
    "prefix",
    "suffix",
}
_ANCHOR_PHRASES = {
    Claim.AnchorState.ANCHORED: "Anchored: the words around it are unchanged",
    Claim.AnchorState.MOVED: "Moved with the text",
    Claim.AnchorState.FUZZY: "Found by a fuzzy match: check the highlight",
    Claim.AnchorState.ORPHANED: "Orphaned: its words are gone from the new revision",
    Claim.AnchorState.NEEDS_RECHECK: "Needs recheck: a figure in it changed",
}
_RELATIONS = {value: str(label).lower() for value, label in ClaimSource.Relation.choices}
# The reason services.py records when an editor re-attaches a claim (`reattach_claim`).
_REATTACHED = "re-attached"
_QUOTE_LIMIT = 80


@dataclass(frozen=True)
class HistoryEntry:
    when: datetime
    who: str
    changes: list[str]
    reason: str = ""


@dataclass(frozen=True)
class _Names:
    """What the events refer to by id, looked up once for all of them."""

    users: dict[int, str]
    tags: dict[int, str]
    sources: dict[int, str]
    revisions: dict[int, int]  # revision id -> its number in the article


def entries(events: list[Any]) -> list[HistoryEntry]:
    """Events (newest first) described: one entry per event, quiet bookkeeping left out."""
    names = _names(events)
    result = []
    for event in events:
        context = event.pgh_context or {}
        changes = _describe(event, names, context.get("reason", ""))
        if not changes:
            continue
        result.append(
            HistoryEntry(
                when=event.pgh_created_at,
                who=_who(context.get("user"), names),
                changes=changes,
                reason=context.get("reason", ""),
            )
        )
    return result


def _names(events: list[Any]) -> _Names:
    user_ids = {e.pgh_context.get("user") for e in events if e.pgh_context}
    tag_ids = {_ref(e.pgh_data, "tag") for e in events if _is(e, "ClaimTagEvent")}
    source_ids = {_ref(e.pgh_data, "source") for e in events if _is(e, "ClaimSourceEvent")}
    # The revision a claim stands on in each snapshot, and the ones named by a diff (old and new).
    revision_ids = {_ref(e.pgh_data, "revision") for e in events if _is(e, "ClaimEvent")}
    for event in events:
        if _is(event, "ClaimEvent"):
            revision_ids.update(_field_diff(event).get("revision", ()))
    return _Names(
        users=dict(
            User.objects.filter(pk__in=[u for u in user_ids if isinstance(u, int)]).values_list(
                "pk", "username"
            )
        ),
        tags=dict(Tag.objects.filter(pk__in=tag_ids).values_list("pk", "name")),
        sources=dict(Source.objects.filter(pk__in=source_ids).values_list("pk", "title")),
        revisions=dict(
            Revision.objects.filter(pk__in=[r for r in revision_ids if r]).values_list("pk", "number")
        ),
    )


def _who(user_id: Any, names: _Names) -> str:
    if not isinstance(user_id, int):
        return "the system"  # an import, a revision carrying claims, a management command
    return names.users.get(user_id, "a former user")


def _is(event: Any, model: str) -> bool:
    return bool(event.pgh_model.endswith(f".{model}"))


def _ref(data: dict[str, Any], name: str) -> Any:
    # Snapshots name foreign keys by column (`tag_id`); older rows may use the field name.
    return data.get(f"{name}_id", data.get(name))


def _field_diff(event: Any) -> dict[str, tuple[Any, Any]]:
    """The event's diff keyed by field name: a diff names a foreign key by its column (`revision_id`)."""
    diff = event.pgh_diff or {}
    return {name.removesuffix("_id"): (old, new) for name, (old, new) in diff.items()}


def _quoted(value: Any) -> str:
    text = str(value or "")
    return f"“{text[:_QUOTE_LIMIT]}…”" if len(text) > _QUOTE_LIMIT else f"“{text}”"


def _status(value: Any) -> str:
    return str(Claim.Status(value).label) if value in Claim.Status.values else "an unknown status"


def _verdict(value: Any) -> str:
    return str(Claim.Verdict(value).label) if value in Claim.Verdict.values else "an unknown verdict"


def _revision(revision_id: Any, names: _Names) -> str:
    number = names.revisions.get(revision_id)
    return f"revision {number}" if number else "a revision since removed"


def _describe(event: Any, names: _Names, reason: str) -> list[str]:
    if _is(event, "ClaimTagEvent"):
        return _describe_tag(event, names)
    if _is(event, "ClaimSourceEvent"):
        return _describe_source(event, names)
    data, label = event.pgh_data, event.pgh_label
    if label == "insert":
        return [f"Claimed {_quoted(data.get('exact'))} on {_revision(_ref(data, 'revision'), names)}"]
    if label == "delete":
        return ["Deleted the claim"]
    return _describe_claim_change(_field_diff(event), data, names, reason)


def _describe_tag(event: Any, names: _Names) -> list[str]:
    name = names.tags.get(_ref(event.pgh_data, "tag"), "a tag since removed")
    return {"insert": [f"Tagged {name}"], "delete": [f"Untagged {name}"]}.get(event.pgh_label, [])


def _describe_source(event: Any, names: _Names) -> list[str]:
    data = event.pgh_data
    title = _quoted(names.sources.get(_ref(data, "source"), "a source"))
    relation = _RELATIONS.get(data.get("relation", ""), "related")
    if event.pgh_label == "insert":
        return [f"Attached source {title} ({relation})"]
    if event.pgh_label == "delete":
        return [f"Removed source {title}"]
    diff = _field_diff(event)
    changes = []
    if "relation" in diff:
        old = _RELATIONS.get(diff["relation"][0], "related")
        changes.append(f"Source {title} now {relation} (was: {old})")
    if "quote" in diff:
        quote = diff["quote"][1]
        changes.append(
            f"Passage quoted from {title}: {_quoted(quote)}"
            if quote
            else f"Passage quoted from {title} removed"
        )
    return changes


def _describe_claim_change(
    diff: dict[str, tuple[Any, Any]], data: dict[str, Any], names: _Names, reason: str
) -> list[str]:
    reattached = reason.startswith(_REATTACHED)
    changes: list[str] = []
    if reattached:
        changes.append(f"Re-attached on {_revision(_ref(data, 'revision'), names)}")
    elif "revision" in diff:
        changes.append(f"Carried to {_revision(diff['revision'][1], names)}")
    if "exact" in diff:
        old, new = diff["exact"]
        changes.append(f"Quote: {_quoted(old)} → {_quoted(new)}")
    elif not changes and ("start" in diff or "end" in diff):
        changes.append("Moved to the same words elsewhere in the text")
    if "anchor_state" in diff and not reattached:
        old, new = diff["anchor_state"]
        if old == Claim.AnchorState.NEEDS_RECHECK and new == Claim.AnchorState.ANCHORED:
            changes.append("New figure kept")  # `dismiss_attention` on a changed figure
        else:
            changes.append(_ANCHOR_PHRASES.get(new, "Anchor changed"))
    if "verdict" in diff:
        changes.append(_verdict_change(*diff["verdict"], diff=diff, reattached=reattached))
    if "status" in diff:
        changes.append(f"Status: {_status(diff['status'][1])}")
    if "note" in diff:
        old, new = diff["note"]
        if not old:
            changes.append(f"Note added: {_quoted(new)}")
        elif not new:
            changes.append(f"Note removed (was {_quoted(old)})")
        else:
            changes.append(f"Note changed: {_quoted(old)} → {_quoted(new)}")
    if "attention_dismissed_at" in diff:
        dismissed = diff["attention_dismissed_at"][1]
        changes.append("Dismissed from Needs attention" if dismissed else "Back on Needs attention")
    described = {"revision", "exact", "start", "end", "anchor_state", "verdict", "status", "note"}
    for name in sorted(set(diff) - described - {"attention_dismissed_at"} - _QUIET_FIELDS):
        changes.append(f"{_label(name)} changed")  # a field added after this was written: named, not raw
    return changes


def _verdict_change(old: Any, new: Any, *, diff: dict[str, tuple[Any, Any]], reattached: bool) -> str:
    if not old:
        return f"Verdict: {_verdict(new)}"
    if new:
        return f"Verdict: {_verdict(old)} → {_verdict(new)}"
    # Say why a verdict was taken back (`Claim.reopen_review`): it was given to other words.
    if diff.get("anchor_state", (None, None))[1] == Claim.AnchorState.NEEDS_RECHECK:
        why = "cleared, figure changed"
    elif reattached and "exact" in diff:
        why = "cleared, moved to other words"
    else:
        why = "cleared"
    return f"Verdict: {_verdict(old)} → ({why})"


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def history_entries(claim: Claim) -> list[HistoryEntry]:
    return entries(list(history_of(claim)))


def changes_since(claim: Claim, version: int) -> list[HistoryEntry]:
    """What others changed after the client read `version`: the events since that version was written."""
    events = list(history_of(claim))
    seen_at = next(
        (e.pgh_created_at for e in events if _is(e, "ClaimEvent") and e.pgh_data.get("version") == version),
        None,
    )
    newer = [e for e in events if seen_at is None or e.pgh_created_at > seen_at]
    return entries(newer)


# --- Claims as they stood on a revision -------------------------------------------------------------------

_STATE_FIELDS = ("start", "end", "exact", "status", "verdict", "anchor_state")


@dataclass(frozen=True)
class ClaimState:
    """A claim as it last stood on one revision."""

    pk: int
    start: int
    end: int
    exact: str
    status: str
    verdict: str
    anchor_state: str
    tag_ids: frozenset[int]
    source_count: int
    as_of: datetime | None  # the moment of that state; None: the claim is on that revision still


def states_on(revision: Revision, claims: QuerySet[Claim]) -> list[ClaimState]:
    """Those of `claims` that stood on `revision`, each as it last stood there, in text order.

    A claim still on the revision is read from its row. One carried on since is read from its last
    snapshot on the revision (pghistory keeps one per change), its tags and sources replayed from their
    link events up to that moment. A deleted claim is in no queryset of claims, so it is not shown.
    """
    still = list(claims.filter(revision=revision).values("pk", *_STATE_FIELDS))
    snapshots = (
        _events("ClaimEvent")
        .filter(pgh_obj__in=claims.exclude(revision=revision).values("pk"), revision=revision)
        .exclude(pgh_label="delete")
        .order_by("pgh_obj_id", "-pgh_created_at", "-pgh_id")
        .distinct("pgh_obj_id")
        .values("pgh_obj_id", "pgh_created_at", *_STATE_FIELDS)
    )
    past = {row.pop("pgh_obj_id"): row for row in snapshots}
    at = {claim_id: row.pop("pgh_created_at") for claim_id, row in past.items()}
    ids = [row["pk"] for row in still]
    tags: dict[int, set[int]] = defaultdict(set)
    for claim_id, tag_id in ClaimTag.objects.filter(claim__in=ids).values_list("claim_id", "tag_id"):
        tags[claim_id].add(tag_id)
    sources: dict[int, set[int]] = defaultdict(set)
    for claim_id, source_id in ClaimSource.objects.filter(claim__in=ids).values_list("claim_id", "source_id"):
        sources[claim_id].add(source_id)
    tags.update(_replayed("ClaimTagEvent", "tag_id", at))
    sources.update(_replayed("ClaimSourceEvent", "source_id", at))
    states = [
        ClaimState(
            pk=pk,
            **{name: row[name] for name in _STATE_FIELDS},
            tag_ids=frozenset(tags[pk]),
            source_count=len(sources[pk]),
            as_of=at.get(pk),
        )
        for pk, row in [(row.pop("pk"), row) for row in still] + list(past.items())
    ]
    return sorted(states, key=lambda state: (state.start, state.end, state.pk))


def _events(model: str) -> QuerySet[Any]:
    # The event models are made by pghistory at start-up: no name to import them by.
    events: QuerySet[Any] = apps.get_model("annotations", model)._default_manager.all()
    return events


def _replayed(model: str, target: str, at: dict[int, datetime]) -> dict[int, set[int]]:
    """What each claim in `at` was linked to (tags, sources) at its moment, from the link's events."""
    linked: dict[int, set[int]] = {claim_id: set() for claim_id in at}
    events = (
        _events(model)
        .filter(claim_id__in=list(at))
        .order_by("pgh_created_at", "pgh_id")
        .values_list("claim_id", target, "pgh_label", "pgh_created_at")
    )
    for claim_id, target_id, label, created_at in events:
        # `<=`: links changed in the same transaction as the claim's state belong to it.
        if created_at > at[claim_id]:
            continue
        if label == "insert":
            linked[claim_id].add(target_id)
        elif label == "delete":
            linked[claim_id].discard(target_id)
    return linked
