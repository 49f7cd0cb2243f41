"""Reading a claim's recorded history (written by pghistory triggers) as sentences an editor reads.

Used by the history view and by the conflict message that shows what a colleague changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from annotations.models import Claim, Source, Tag, User, history_of

# Bookkeeping that changes with every edit; showing it would bury the real change.
# (A diff names a foreign key by its column: `updated_by_id`.)
_QUIET_FIELDS = {"version", "updated_at", "updated_by", "updated_by_id", "prefix", "suffix"}
_LABELS = {
    "note": "note",
    "status": "status",
    "verdict": "verdict",
    "anchor_state": "anchor",
    "exact": "quote",
    "start": "start",
    "end": "end",
    "revision": "revision",
    "attention_dismissed_at": "dismissed",
}


@dataclass(frozen=True)
class HistoryEntry:
    when: datetime
    who: str
    changes: list[str]
    reason: str = ""


def _value(field: str, value: Any) -> str:
    if field == "status":
        return str(Claim.Status(value).label) if value in Claim.Status.values else str(value)
    if field == "verdict":
        return str(Claim.Verdict(value).label) if value in Claim.Verdict.values else str(value)
    if value in ("", None):
        return "(empty)"
    text = str(value)
    return f"“{text[:80]}…”" if len(text) > 80 else f"“{text}”"


def entries(events: list[Any]) -> list[HistoryEntry]:
    """Events (newest first) described: one entry per event, quiet bookkeeping left out."""
    user_ids = {e.pgh_context.get("user") for e in events if e.pgh_context}
    names = dict(User.objects.filter(pk__in=[u for u in user_ids if u]).values_list("pk", "username"))
    tag_ids = {_ref(e.pgh_data, "tag") for e in events if e.pgh_model.endswith("ClaimTagEvent")}
    tags = dict(Tag.objects.filter(pk__in=tag_ids).values_list("pk", "name"))
    source_ids = {_ref(e.pgh_data, "source") for e in events if e.pgh_model.endswith("ClaimSourceEvent")}
    sources = dict(Source.objects.filter(pk__in=source_ids).values_list("pk", "title"))
    result = []
    for event in events:
        changes = _describe(event, tags, sources)
        if not changes:
            continue
        context = event.pgh_context or {}
        user_id = context.get("user")
        who = names.get(user_id, "the system") if isinstance(user_id, int) else "the system"
        result.append(
            HistoryEntry(
                when=event.pgh_created_at, who=who, changes=changes, reason=context.get("reason", "")
            )
        )
    return result


def _ref(data: dict[str, Any], name: str) -> Any:
    # Snapshots name foreign keys by column (`tag_id`); older rows may use the field name.
    return data.get(f"{name}_id", data.get(name))


def _describe(event: Any, tags: dict[int, str], sources: dict[int, str]) -> list[str]:
    data, label, model = event.pgh_data, event.pgh_label, event.pgh_model
    if model.endswith("ClaimTagEvent"):
        name = tags.get(_ref(data, "tag"), "a tag")
        return (
            [f"added tag {name}"]
            if label == "insert"
            else [f"removed tag {name}"]
            if label == "delete"
            else []
        )
    if model.endswith("ClaimSourceEvent"):
        title = sources.get(_ref(data, "source"), "a source")
        relation = data.get("relation", "")
        if label == "insert":
            return [f"attached source “{title}” ({relation})"]
        if label == "delete":
            return [f"removed source “{title}”"]
        diff = event.pgh_diff or {}
        return [
            f"changed source “{title}”: {field} {_value(field, old)} → {_value(field, new)}"
            for field, (old, new) in diff.items()
            if field not in {"added_at", "added_by"}
        ]
    if label == "insert":
        return [f"created the claim on {_value('exact', data.get('exact'))}"]
    if label == "delete":
        return ["deleted the claim"]
    diff = event.pgh_diff or {}
    return [
        f"changed {_LABELS.get(field, field)}: {_value(field, old)} → {_value(field, new)}"
        for field, (old, new) in diff.items()
        if field not in _QUIET_FIELDS
    ]


def history_entries(claim: Claim) -> list[HistoryEntry]:
    return entries(list(history_of(claim)))


def changes_since(claim: Claim, version: int) -> list[HistoryEntry]:
    """What others changed after the client read `version`: the events since that version was written."""
    events = list(history_of(claim))
    seen_at = next(
        (
            e.pgh_created_at
            for e in events
            if e.pgh_model.endswith(".ClaimEvent") and e.pgh_data.get("version") == version
        ),
        None,
    )
    newer = [e for e in events if seen_at is None or e.pgh_created_at > seen_at]
    return entries(newer)
