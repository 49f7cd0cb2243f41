"""An article's revisions, read-only: the list, each revision with its claims as they stood on it, and a
word-level diff between any two.

Claims are carried to every new revision; where they stood on an older one is in their recorded history
(`history.states_on`). The diff here is for reading, not for carrying claims (that is `anchoring.diff`): it
marks whole words, and it bounds its work so that a rewritten 15,000-word article still renders at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from difflib import SequenceMatcher
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Func, IntegerField, Value
from django.db.models.functions import Length
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_POST

from annotations import tasks
from annotations.anchoring.diff import common_prefix_len
from annotations.history import ClaimState, states_on
from annotations.models import AnchorRecord, Claim, PageWatch, Revision, Tag, User
from annotations.web.access import get_article_for_user
from annotations.web.segments import segments

# --- The word diff (no Django) ---------------------------------------------------------------------------

Op = tuple[str, int, int, int, int]  # difflib's (tag, i1, i2, j1, j2), in characters

# Words (a figure such as "160,000" or "3.5" is one), runs of spaces, single other characters.
_TOKEN = re.compile(r"\w+(?:[.,'’]\w+)*|\s+|[^\w\s]")
_SENTENCE = re.compile(r"[^.!?\u3002\uff01\uff1f\n]*(?:[.!?\u3002\uff01\uff1f]+|\n|\Z)\s*")
# A changed stretch longer than this (in tokens, on both sides) is a rewrite and is shown as one: difflib's
# cost grows with the square of the stretch, and word matches inside a rewrite would be coincidences.
_WORD_LIMIT = 1_000


def word_diff(old: str, new: str) -> list[Op]:
    """Opcodes turning `old` into `new`, every change on whole words; equal blocks merged."""
    head = common_prefix_len(old, new)
    while head and not old[head - 1].isspace():
        head -= 1  # the shared head ends after a space: no word is cut in two
    tail = common_prefix_len(old[head:][::-1], new[head:][::-1])
    while tail and not old[len(old) - tail].isspace():
        tail -= 1
    a, b = old[head : len(old) - tail], new[head : len(new) - tail]
    ops: list[Op] = [("equal", 0, head, 0, head)]
    for tag, i1, i2, j1, j2 in _by_units(a, b, str.splitlines, _by_sentences, keepends=True):
        ops.append((tag, i1 + head, i2 + head, j1 + head, j2 + head))
    ops.append(("equal", len(old) - tail, len(old), len(new) - tail, len(new)))
    return _merged(ops, old)


def _by_sentences(a: str, b: str) -> Iterator[Op]:
    yield from _by_units(a, b, _SENTENCE.findall, _by_words)


def _by_words(a: str, b: str) -> Iterator[Op]:
    tokens_a, tokens_b = _TOKEN.findall(a), _TOKEN.findall(b)
    if min(len(tokens_a), len(tokens_b)) > _WORD_LIMIT:
        yield ("replace", 0, len(a), 0, len(b))
        return
    # difflib's "autojunk" (from 200 tokens on, words making up over 1% of them cannot start a match, only
    # extend one) keeps a paragraph full of "the" and "said" cheap to diff.
    yield from _matched(a, b, tokens_a, tokens_b, None, autojunk=True)


def _by_units(
    a: str,
    b: str,
    split: Callable[..., list[str]],
    refine: Callable[[str, str], Iterator[Op]],
    **split_args: Any,
) -> Iterator[Op]:
    yield from _matched(a, b, split(a, **split_args), split(b, **split_args), refine)


def _matched(
    a: str,
    b: str,
    units_a: list[str],
    units_b: list[str],
    refine: Callable[[str, str], Iterator[Op]] | None,
    *,
    autojunk: bool = False,
) -> Iterator[Op]:
    """Diff a and b as sequences of units that concatenate to them; changed runs go on to `refine`."""
    units_a, units_b = [u for u in units_a if u], [u for u in units_b if u]
    if not a or not b:
        yield ("replace", 0, len(a), 0, len(b))
        return
    at_a, at_b = _offsets(units_a), _offsets(units_b)
    # Blank lines and spaces are everywhere: as difflib "junk" they cannot start a match, only join one.
    matcher = SequenceMatcher(str.isspace, units_a, units_b, autojunk=autojunk)
    for tag, t1, t2, u1, u2 in matcher.get_opcodes():
        if tag == "equal" or refine is None:
            yield (tag, at_a[t1], at_a[t2], at_b[u1], at_b[u2])
            continue
        # As many paragraphs (sentences) changed as replaced them: each one edited in place, diffed
        # pairwise, so that touching every paragraph does not turn the article into one rewrite.
        pairs = list(zip(range(t1, t2), range(u1, u2), strict=False)) if t2 - t1 == u2 - u1 else []
        spans = [(t, t + 1, u, u + 1) for t, u in pairs] or [(t1, t2, u1, u2)]
        for s1, s2, v1, v2 in spans:
            i1, i2, j1, j2 = at_a[s1], at_a[s2], at_b[v1], at_b[v2]
            for rtag, r1, r2, q1, q2 in refine(a[i1:i2], b[j1:j2]):
                yield (rtag, i1 + r1, i1 + r2, j1 + q1, j1 + q2)


def _merged(ops: list[Op], old: str) -> list[Op]:
    """Adjacent changes as one, also across a bare space ("a b" → "c d" reads as one change, not two)."""
    merged: list[Op] = []
    for op in ops:
        if op[1] == op[2] and op[3] == op[4]:
            continue
        if merged and (op[0] == "equal") == (merged[-1][0] == "equal"):
            tag = "equal" if op[0] == "equal" else "replace"
            merged[-1] = (tag, merged[-1][1], op[2], merged[-1][3], op[4])
        else:
            merged.append(op)
    joined: list[Op] = []
    for index, op in enumerate(merged):
        between = 0 < index < len(merged) - 1 and op[0] == "equal" and old[op[1] : op[2]] == " "
        if joined and joined[-1][0] != "equal" and (between or op[0] != "equal"):
            joined[-1] = ("replace", joined[-1][1], op[2], joined[-1][3], op[4])
        else:
            joined.append(op)
    return joined


def _offsets(units: list[str]) -> list[int]:
    offsets = [0]
    for unit in units:
        offsets.append(offsets[-1] + len(unit))
    return offsets


def _words(text: str) -> int:
    return len(text.split())


# Unchanged text longer than this around and between changes is folded away (and can be opened).
_CONTEXT = 300


def diff_html(old: str, new: str, ops: list[Op]) -> tuple[SafeString, int, int]:
    """The diff for reading: deletions in `<del>`, insertions in `<ins>`, long unchanged stretches folded.
    Returns the HTML with the number of words deleted and inserted. Every piece of text is escaped."""
    parts: list[str] = []
    deleted = inserted = 0
    for index, (tag, i1, i2, j1, j2) in enumerate(ops):
        if tag == "equal":
            parts.append(_unchanged(old[i1:i2], first=index == 0, last=index == len(ops) - 1))
            continue
        if i1 < i2:
            deleted += _words(old[i1:i2])
            parts.append(f'<del class="diff-del">{escape(old[i1:i2])}</del>')
        if j1 < j2:
            inserted += _words(new[j1:j2])
            parts.append(f'<ins class="diff-ins">{escape(new[j1:j2])}</ins>')
    return mark_safe("".join(parts)), deleted, inserted  # noqa: S308 - every piece above is escaped


def _unchanged(text: str, *, first: bool, last: bool) -> str:
    keep_before = 0 if first else _CONTEXT  # text after the previous change
    keep_after = 0 if last else _CONTEXT  # text before the next change
    if len(text) <= keep_before + keep_after + _CONTEXT:
        return escape(text)
    # Fold after a space at both ends, so that no word is cut in two.
    cut_start, cut_end = keep_before, len(text) - keep_after
    while 0 < cut_start < cut_end and not text[cut_start - 1].isspace():
        cut_start += 1
    while cut_end > cut_start and not text[cut_end - 1].isspace():
        cut_end -= 1
    if cut_end - cut_start < _CONTEXT:
        return escape(text)
    folded = text[cut_start:cut_end]
    count = _words(folded)
    return (
        f'{escape(text[:cut_start])}<details class="diff-unchanged"><summary>{count:,} unchanged '
        f"word{'' if count == 1 else 's'}</summary>{escape(folded)}</details>{escape(text[cut_end:])}"
    )


# --- Pages -----------------------------------------------------------------------------------------------

_STATUS = dict(Claim.Status.choices)
_VERDICT = dict(Claim.Verdict.choices)


@require_GET
@login_required
def revision_list(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_article_for_user(request, pk)
    visible = Claim.objects.visible_to(request.user).for_article(article)
    revisions = list(
        article.revisions.defer("text", "html")
        .select_related("created_by")
        .annotate(
            characters=Length("text"),
            words=Func(F("text"), Value(r"\S+"), function="regexp_count", output_field=IntegerField()),
        )
        .order_by("-number")
    )
    standing = dict(visible.values("revision").annotate(n=Count("pk")).values_list("revision", "n"))
    carried: dict[int, dict[str, int]] = {}
    for revision_id, state, n in (
        AnchorRecord.objects.filter(claim__in=visible, to_revision__article=article)
        .values("to_revision", "state")
        .annotate(n=Count("pk"))
        .values_list("to_revision", "state", "n")
    ):
        carried.setdefault(revision_id, {})[state] = n
    rows = []
    for revision in revisions:
        states = carried.get(revision.pk, {})
        orphaned = states.pop(Claim.AnchorState.ORPHANED, 0)
        rows.append(
            {
                "revision": revision,
                "standing": standing.get(revision.pk, 0),
                "carried": sum(states.values()),
                "flagged": states.get(Claim.AnchorState.NEEDS_RECHECK, 0)
                + states.get(Claim.AnchorState.FUZZY, 0),
                "orphaned": orphaned,
            }
        )
    return TemplateResponse(
        request,
        "annotations/revision_list.html",
        {"article": article, "rows": rows, "current": article.current_revision},
    )


@require_GET
@login_required
def revision_detail(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    article = get_article_for_user(request, pk)
    revision = get_object_or_404(Revision.objects.filter(article=article), number=number)
    states = states_on(revision, Claim.objects.visible_to(request.user).for_article(article))
    text_html = _highlighted(revision.text, states)
    numbers = list(article.revisions.order_by("number").values_list("number", flat=True))
    return TemplateResponse(
        request,
        "annotations/revision_detail.html",
        {
            "article": article,
            "revision": revision,
            "is_current": revision.pk == article.current_revision_id,
            "previous": max((n for n in numbers if n < number), default=None),
            "next": min((n for n in numbers if n > number), default=None),
            "text_html": text_html,
            "claim_items_html": _claim_items(states, _fates(revision, states)),
            "claim_count": len(states),
        },
    )


def _highlighted(text: str, states: list[ClaimState]) -> SafeString:
    """The revision's text with a `<mark>` per claim stretch, as the article page marks them (its classes),
    without what makes them editable there."""
    by_id = {state.pk: state for state in states}
    parts: list[str] = []
    for segment in segments(text, [(state.pk, state.start, state.end) for state in states]):
        piece = str(escape(segment.text))
        if segment.keys:
            claim = by_id[segment.keys[0]]  # the innermost claim decides the colour, as on the article page
            title = _STATUS[claim.status] + (f" · {_VERDICT[claim.verdict]}" if claim.verdict else "")
            piece = (
                f'<mark class="hl depth-{min(len(segment.keys), 3)} status-{escape(claim.status)} '
                f'anchor-{escape(claim.anchor_state)}" data-claim="{claim.pk}" '
                f'data-claims="{" ".join(map(str, segment.keys))}" title="{escape(title)}">{piece}</mark>'
            )
        parts.append(piece)
    return mark_safe("".join(parts))  # noqa: S308 - every piece above is escaped or built from integers


def _fates(revision: Revision, states: list[ClaimState]) -> dict[int, str]:
    """What became of each claim when the next revision came, in words; nothing for claims still on it."""
    fates: dict[int, str] = {}
    latest = (
        AnchorRecord.objects.filter(claim__in=[s.pk for s in states], from_revision=revision)
        .order_by("claim", "-created_at", "-pk")
        .distinct("claim")
        .values_list("claim", "state", "to_revision__number")
    )
    for claim_id, state, number in latest:
        fates[claim_id] = (
            f"Lost at revision {number}: its words are gone"
            if state == Claim.AnchorState.ORPHANED
            else f"Carried to revision {number} ({Claim.AnchorState(state).label.lower()})"
        )
    # Moved off it without being carried: an editor re-attached it to a later revision.
    gone = [s.pk for s in states if s.as_of is not None and s.pk not in fates]
    for claim_id, number in Claim.objects.filter(pk__in=gone).values_list("pk", "revision__number"):
        fates[claim_id] = f"Re-attached on revision {number}"
    return fates


def _claim_items(states: list[ClaimState], fates: dict[int, str]) -> SafeString:
    """The claims as they stood, each linked to its history. Built in Python, not in a template loop: a
    long article has a thousand claims, and the template engine spends about a millisecond on each."""
    tags = dict(Tag.objects.values_list("pk", "name"))
    history_url = reverse("claim_history", args=[0])
    parts = []
    for state in states:
        status = escape(state.status)
        badges = [f'<span class="badge status-{status}">{escape(_STATUS[state.status])}</span>']
        if state.verdict:
            badges.append(
                f'<span class="badge verdict verdict-{escape(state.verdict)}">'
                f"{escape(_VERDICT[state.verdict])}</span>"
            )
        badges += [
            f'<span class="tag">{escape(tags[pk])}</span>' for pk in sorted(state.tag_ids) if pk in tags
        ]
        if state.source_count:
            plural = "" if state.source_count == 1 else "s"
            badges.append(f'<span class="sources-count">{state.source_count} source{plural}</span>')
        fate = fates.get(state.pk, "")
        url = escape(history_url.replace("/0/", f"/{state.pk}/"))
        parts.append(
            f'<li id="revision-claim-{state.pk}" class="claim-item status-{status}">'
            f'<a href="{url}"><q>{escape(_shortened(state.exact, 140))}</q>'
            f'<span class="badges">{"".join(badges)}</span>'
            + (f'<span class="fate">{escape(fate)}</span>' if fate else "")
            + "</a></li>"
        )
    return mark_safe("".join(parts))  # noqa: S308 - every piece above is escaped or built from integers


def _shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _BadCompare(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@require_GET
@login_required
def revision_compare(request: HttpRequest, pk: int) -> HttpResponse:
    """Two revisions side by side as one text (`?from=<a>&to=<b>`; without them, the last two)."""
    article = get_article_for_user(request, pk)
    numbers = list(article.revisions.order_by("number").values_list("number", flat=True))
    context: dict[str, Any] = {"article": article, "numbers": numbers}
    try:
        old_number, new_number = _compared(request, numbers)
    except _BadCompare as error:
        context["error"] = str(error)
        return TemplateResponse(request, "annotations/revision_compare.html", context, status=error.status)
    context |= {"from": old_number, "to": new_number}
    if old_number is None or new_number is None:  # one revision: nothing to compare yet
        return TemplateResponse(request, "annotations/revision_compare.html", context)
    texts = dict(
        Revision.objects.filter(article=article, number__in=[old_number, new_number]).values_list(
            "number", "text"
        )
    )
    old, new = texts[old_number], texts[new_number]
    diff, deleted, inserted = diff_html(old, new, word_diff(old, new))
    context |= {"diff_html": diff, "deleted": deleted, "inserted": inserted, "same": old == new}
    return TemplateResponse(request, "annotations/revision_compare.html", context)


def _compared(request: HttpRequest, numbers: list[int]) -> tuple[int | None, int | None]:
    given = {name: request.GET.get(name, "").strip() for name in ("from", "to")}
    if not any(given.values()):
        return (numbers[-2], numbers[-1]) if len(numbers) > 1 else (None, None)
    if not all(given.values()):
        raise _BadCompare("Pick two revisions to compare: one to compare from, one to compare to.", 400)
    if not all(value.isascii() and value.isdigit() for value in given.values()):
        raise _BadCompare("Revisions are numbered 1, 2, 3…: pick two of the numbers listed.", 400)
    old_number, new_number = int(given["from"]), int(given["to"])
    for number in (old_number, new_number):
        if number not in numbers:
            raise _BadCompare(f"This article has no revision {number}; it has {_listed(numbers)}.", 404)
    if old_number == new_number:
        raise _BadCompare(f"Both sides are revision {old_number}: pick two different revisions.", 400)
    return old_number, new_number


def _listed(numbers: list[int]) -> str:
    return f"only revision {numbers[0]}" if len(numbers) == 1 else f"revisions {numbers[0]} to {numbers[-1]}"


@require_POST
@login_required
def revision_fetch(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Check now": fetch a watched article's original again soon (the task queue does it), whatever its
    schedule says. An article nobody imported from the web has no watch: 404."""
    article = get_article_for_user(request, pk)
    page_watch = get_object_or_404(PageWatch, article=article)
    user = cast(User, request.user)
    try:
        tasks.queue_refetch(page_watch, by=user)
    except PermissionDenied:
        return HttpResponse("Your role may not import articles.", status=403, content_type="text/plain")
    messages.success(
        request, "The original will be fetched again in a moment; a change becomes a new revision."
    )
    return redirect("article_detail", pk=article.pk)
