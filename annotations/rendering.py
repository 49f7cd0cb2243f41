"""HTML for the two parts of the article page that grow with the number of claims: the highlighted text
and the claim list.

They are built here in Python rather than in a template loop because an article with a thousand claims
has thousands of highlights and list items; Django's template engine spends about a millisecond per
claim on them, this about a hundredth of that (BENCHMARKS.md). Every value is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from annotations.highlighting import Segment
from annotations.models import Claim

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
            kinds = " ".join(sorted({f"sg-{s.kind}" for s in suggested}))
            strength = max((s.strength for s in suggested), key=["low", "medium", "high"].index)
            piece = (
                f'<span class="sg {kinds} strength-{strength}" '
                f'data-suggestions="{" ".join(str(s.pk) for s in suggested)}">{piece}</span>'
            )
        if claim_ids:
            claim = claims[claim_ids[0]]  # the innermost claim decides the colour
            title = STATUS[claim.status] + (f" · {VERDICT[claim.verdict]}" if claim.verdict else "")
            classes = f"hl depth-{min(len(claim_ids), 3)} status-{claim.status} anchor-{claim.anchor_state}"
            classes += " selected" if claim.pk == selected else ""
            piece = (
                f'<mark class="{classes}" data-claim="{claim.pk}" '
                f'data-claims="{" ".join(map(str, claim_ids))}" title="{escape(title)}">{piece}</mark>'
            )
        parts.append(piece)
    return mark_safe("".join(parts))  # noqa: S308 - every piece above is escaped or built from integers


def claim_items(claims: Iterable[ClaimRow], selected: int | None, panel_url: str) -> SafeString:
    """The side list; `panel_url` has a `0` where the claim id goes."""
    parts: list[str] = []
    for claim in claims:
        quote = claim.exact if len(claim.exact) <= 140 else claim.exact[:139] + "…"
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
            f'{current}><a href="?claim={claim.pk}" hx-get="{url}" hx-target="#claim-detail" '
            f'hx-swap="outerHTML" aria-controls="claim-detail"><q>{escape(quote)}</q>'
            f'<span class="badges">{"".join(badges)}</span></a></li>'
        )
    return mark_safe("".join(parts))  # noqa: S308 - every piece above is escaped or built from integers
