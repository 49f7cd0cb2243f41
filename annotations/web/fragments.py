"""HTML for the parts of the article page that grow with the article: the highlighted text, the claim
list and the list of suggestions.

They are built here in Python rather than in a template loop because an article with a thousand claims
has thousands of highlights and list items; Django's template engine spends about a millisecond per
claim on them (and per suggestion: their two forms each reversed two URLs), this about a hundredth of
that (BENCHMARKS.md). Every value is escaped.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from annotations.models import Claim, Suggestion
from annotations.suggestions.claim_types import label as claim_type_label
from annotations.web.segments import Segment

STATUS = dict(Claim.Status.choices)
VERDICT = dict(Claim.Verdict.choices)
ANCHOR = dict(Claim.AnchorState.choices)
QUIET_ANCHORS = {Claim.AnchorState.ANCHORED, Claim.AnchorState.MOVED}


@dataclass
class ClaimRow:
    """What the page shows of a claim, read with `.values()`: no model instances for a thousand claims."""

    pk: int
    start: int
    end: int
    exact: str
    status: str
    verdict: str
    anchor_state: str
    tags: list[tuple[str, str]] = field(default_factory=list)  # (name, facet)
    source_count: int = 0


@dataclass
class SuggestionRow:
    pk: int
    kind: str
    strength: str
    claim_type: str = "other"


def article_text(
    segments: Iterable[Segment],
    claims: Mapping[int, ClaimRow],
    selected: int | None,
    suggestions: Mapping[int, SuggestionRow] | None = None,
) -> SafeString:
    """The text with a `<mark>` per claim stretch; segment keys are ("claim", pk) or ("suggestion", pk)."""
    parts: list[str] = []
    for segment in segments:
        claim_ids = [pk for kind, pk in segment.keys if kind == "claim"]
        piece: str = escape(segment.text)
        suggested = (
            [suggestions[pk] for kind, pk in segment.keys if kind == "suggestion"] if suggestions else []
        )
        if suggested:
            # The claim types let "Statistics only" (newsroom.css) leave just the quantities marked.
            kinds = " ".join(
                sorted({f"sg-{s.kind}" for s in suggested} | {f"ct-{s.claim_type}" for s in suggested})
            )
            strength = max((s.strength for s in suggested), key=["low", "medium", "high"].index)
            piece = (
                f'<span class="sg {kinds} strength-{strength}" '
                f'data-suggestions="{" ".join(str(s.pk) for s in suggested)}">{piece}</span>'
            )
        if claim_ids:
            claim = claims[claim_ids[0]]  # the innermost claim decides the colour
            look, title = _look(claim)
            classes = f"hl depth-{min(len(claim_ids), 3)} {look}"
            classes += " selected" if claim.pk == selected else ""
            piece = (
                f'<mark class="{classes}" data-claim="{claim.pk}" '
                f'data-claims="{" ".join(map(str, claim_ids))}" title="{escape(title)}">{piece}</mark>'
            )
        parts.append(piece)
    return mark_safe("".join(parts))  # noqa: S308 - every piece above is escaped or built from integers


def _look(claim: ClaimRow) -> tuple[str, str]:
    """The classes and title a claim gives the highlights it is the innermost claim of."""
    title = STATUS[claim.status] + (f" · {VERDICT[claim.verdict]}" if claim.verdict else "")
    return f"status-{claim.status} anchor-{claim.anchor_state}", title


def part_id(revision_number: int, index: int) -> str:
    """The id of a part of the text. It names the revision, so that a save answered for a newer revision
    than the page shows finds no part to replace instead of marking the wrong words."""
    return f"text-r{revision_number}-p{index}"


def text_parts(
    segments: Iterable[Segment],
    bounds: Sequence[tuple[int, int]],
    indexes: Iterable[int],
    revision_number: int,
    claims: Mapping[int, ClaimRow],
    selected: int | None,
    suggestions: Mapping[int, SuggestionRow] | None = None,
    *,
    oob: bool = False,
) -> SafeString:
    """The parts `indexes` of the text (`bounds` from `segments.parts`), each a `<span>` with its id around
    its highlighted segments; `segments` must be cut at every part boundary. `oob`: as out-of-band swaps."""
    starts = [start for start, _ in bounds]
    grouped: dict[int, list[Segment]] = {index: [] for index in indexes}
    for segment in segments:
        index = bisect_right(starts, segment.start) - 1
        if index in grouped:
            grouped[index].append(segment)
    swap = ' hx-swap-oob="true"' if oob else ""
    return mark_safe(  # noqa: S308 - article_text escapes; the rest is integers
        "".join(
            f'<span id="{part_id(revision_number, index)}" class="text-part"{swap}>'
            f"{article_text(grouped[index], claims, selected, suggestions)}</span>"
            for index in sorted(grouped)
        )
    )


def claim_items(
    claims: Iterable[ClaimRow], selected: int | None, panel_url: str, *, oob: bool = False
) -> SafeString:
    """The side list; `panel_url` has a `0` where the claim id goes. `oob`: each item replaces the item
    of the same id out of band."""
    swap = ' hx-swap-oob="true"' if oob else ""
    parts: list[str] = []
    for claim in claims:
        # How its highlights look now: newsroom.js restyles them from a swapped-in item, so that a
        # change of status or verdict re-sends no text.
        look, title = _look(claim)
        marks = f' data-mark-look="{look}" data-mark-title="{escape(title)}"' if oob else ""
        quote = _shortened(claim.exact, 140)
        badges = [f'<span class="badge status-{claim.status}">{escape(STATUS[claim.status])}</span>']
        if claim.verdict:
            badges.append(
                f'<span class="badge verdict verdict-{claim.verdict}">{escape(VERDICT[claim.verdict])}</span>'
            )
        if claim.anchor_state not in QUIET_ANCHORS:
            badges.append(
                f'<span class="badge anchor-{claim.anchor_state}">{escape(ANCHOR[claim.anchor_state])}</span>'
            )
        badges += [
            f'<span class="tag facet-{escape(facet)}">{escape(name)}</span>' for name, facet in claim.tags
        ]
        if claim.source_count:
            plural = "" if claim.source_count == 1 else "s"
            badges.append(
                f'<span class="sources-count" title="Sources">{claim.source_count} source{plural}</span>'
            )
        current = ' aria-current="true"' if claim.pk == selected else ""
        url = escape(panel_url.replace("/0/", f"/{claim.pk}/"))
        parts.append(
            f'<li id="claim-item-{claim.pk}" class="claim-item status-{claim.status}" data-claim="{claim.pk}"'
            f'{current}{marks}{swap}><a href="?claim={claim.pk}" hx-get="{url}" hx-target="#claim-detail" '
            f'hx-swap="outerHTML" aria-controls="claim-detail"><q>{escape(quote)}</q>'
            f'<span class="badges">{"".join(badges)}</span></a></li>'
        )
    return mark_safe("".join(parts))  # noqa: S308 - every piece above is escaped or built from integers


def suggestion_items(
    suggestions: Iterable[Suggestion],
    actions: bool,
    csrf_token: str,
    accept_url: str,
    dismiss_url: str,
    matches_url: str,
) -> SafeString:
    """The suggestions' list items; `accept_url`, `dismiss_url` and `matches_url` have a `0` where the
    suggestion id goes. `actions`: with the forms that claim or dismiss one (POST, with this CSRF token).
    Every item can ask whether its sentence was checked before (a GET, loaded into the item)."""
    token = f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf_token)}">'
    parts: list[str] = []
    for suggestion in suggestions:
        kind, pk = escape(suggestion.kind), suggestion.pk
        label = (
            "Figure"
            if suggestion.kind == Suggestion.Kind.FIGURE
            else f"Check-worthy · {suggestion.score:.2f}"
        )
        forms = ""
        if actions:
            accept = escape(accept_url.replace("/0/", f"/{pk}/"))
            dismiss = escape(dismiss_url.replace("/0/", f"/{pk}/"))
            forms = (
                f'<div class="actions"><form method="post" action="{accept}" hx-post="{accept}" '
                f'hx-target="#claim-detail" hx-swap="outerHTML">{token}'
                '<button type="submit" class="primary small">Claim it</button></form>'
                f'<form method="post" action="{dismiss}" hx-post="{dismiss}" hx-target="#claim-detail" '
                f'hx-swap="outerHTML">{token}'
                '<button type="submit" class="ghost small">Dismiss</button></form></div>'
            )
        found = escape(matches_url.replace("/0/", f"/{pk}/"))
        checked = (
            f'<button type="button" class="link small" hx-get="{found}" '
            f'hx-target="#suggestion-matches-{pk}" hx-swap="innerHTML">Checked before?</button>'
            f'<div id="suggestion-matches-{pk}" class="suggestion-matches" aria-live="polite"></div>'
        )
        parts.append(
            f'<li id="suggestion-item-{pk}" class="suggestion-item sg-{kind} '
            f'ct-{escape(suggestion.claim_type)} strength-{escape(suggestion.strength)}" tabindex="-1">'
            f'<span class="badge sg-badge-{kind}">{escape(label)}</span>'
            f'<span class="badge claim-type ct-{escape(suggestion.claim_type)}">'
            f"{escape(claim_type_label(suggestion.claim_type))}</span>"
            f"<q>{escape(_shortened(suggestion.text, 160))}</q>{forms}{checked}</li>"
        )
    return mark_safe("".join(parts))  # noqa: S308 - every piece above is escaped or built from integers


def _shortened(text: str, limit: int) -> str:
    """At most `limit` characters, the last an ellipsis when cut (as the `truncatechars` filter)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
