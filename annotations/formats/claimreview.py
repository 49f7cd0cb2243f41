"""Claims with a verdict as schema.org `ClaimReview` (https://schema.org/ClaimReview), JSON-LD.

The rating scale is 1 (false) to 5 (true), the verdict's label in `alternateName`, as fact-checkers'
ClaimReview markup does. "Unproven" is not a point on that scale, so its rating has only the
`alternateName`: schema.org's `Rating` makes every property optional, and a made-up number would
tell search engines something we did not find. Claims without a verdict have no ClaimReview: lists
leave them out, and a single one answers 404.
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request

from annotations.formats import VERDICT_LABELS

CONTEXT = "https://schema.org"
MEDIA_TYPE = 'application/ld+json; profile="https://schema.org/ClaimReview"'

RATINGS = {"false": 1, "mostly_false": 2, "mixed": 3, "mostly_true": 4, "true": 5}


def claim_review(claim: dict[str, Any], *, with_context: bool = True) -> dict[str, Any]:
    verdict = claim["verdict"]
    rating: dict[str, Any] = {"@type": "Rating", "alternateName": VERDICT_LABELS[verdict]}
    if verdict in RATINGS:
        rating.update({"ratingValue": RATINGS[verdict], "bestRating": 5, "worstRating": 1})
    article = claim["article"]
    appearance: dict[str, Any] = {"@type": "NewsArticle", "headline": article["title"]}
    appearance["url"] = article["canonical_url"] or article["url"]
    review: dict[str, Any] = {"@context": CONTEXT} if with_context else {}
    review.update(
        {
            "@type": "ClaimReview",
            "url": claim["url"],
            "claimReviewed": claim["selector"]["exact"],
            "datePublished": claim["updated_at"].date().isoformat()
            if hasattr(claim["updated_at"], "date")
            else str(claim["updated_at"])[:10],
            "reviewRating": rating,
            "itemReviewed": _item_reviewed(claim, appearance),
        }
    )
    if claim.get("fact_checks"):
        review["citation"] = claim["fact_checks"]  # published fact-checks an editor confirmed for it
    reviewer = claim["updated_by"] or claim["created_by"]
    if reviewer:
        review["author"] = {"@type": "Person", "name": reviewer}
    if claim["note"]:
        review["reviewBody"] = claim["note"]
    return review


def _item_reviewed(claim: dict[str, Any], appearance: dict[str, Any]) -> dict[str, Any]:
    """The Claim: where it appears (this article and, for a confirmed cluster, the others: schema.org's
    `appearance` takes several), and `sameAs` the other claims of its cluster in this API."""
    elsewhere = claim.get("elsewhere") or []
    item: dict[str, Any] = {"@type": "Claim", "appearance": appearance}
    if elsewhere:
        others = [{"@type": "NewsArticle", "headline": m["title"], "url": m["article"]} for m in elsewhere]
        item["appearance"] = [appearance, *others]
        item["sameAs"] = [m["url"] for m in elsewhere]
    return item


def item_list(page: dict[str, Any], request: Request) -> dict[str, Any]:
    """A page of reviews as an `ItemList`; the next page is in the `Link` header and in `nextPage`."""
    result: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "ItemList",
        "url": request.build_absolute_uri(),
        "itemListElement": [claim_review(claim, with_context=False) for claim in page["results"]],
    }
    if page["next"]:
        # Not a schema.org term: JSON-LD processors ignore it, sync scripts follow it.
        result["nextPage"] = page["next"]
    return result
