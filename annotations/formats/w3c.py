"""Claims as W3C Web Annotations (https://www.w3.org/TR/annotation-model/), JSON-LD.

Each claim is an `Annotation` whose target is the article (its canonical URL, else its API URL) with a
`TextQuoteSelector` and a `TextPositionSelector` (code points, as the model requires) and a `TimeState`
naming the revision the offsets refer to. Bodies: tags (`tagging`), sources (`linking`), the verdict
(`assessing`) and the note (`commenting`). A list is an `AnnotationCollection` embedding its first
`AnnotationPage`; a later page (`?cursor=`) is served as an `AnnotationPage` that is `partOf` it.
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.utils.urls import remove_query_param

from annotations.formats import VERDICT_LABELS

CONTEXT = "http://www.w3.org/ns/anno.jsonld"
PROFILE = CONTEXT
MEDIA_TYPE = f'application/ld+json; profile="{PROFILE}"'


def annotation(claim: dict[str, Any], *, with_context: bool = True) -> dict[str, Any]:
    """One claim (its plain JSON representation) as an Annotation."""
    selector = claim["selector"]
    article = claim["article"]
    revision = claim["revision"]
    result: dict[str, Any] = {"@context": CONTEXT} if with_context else {}
    result.update(
        {
            "id": claim["url"],
            "type": "Annotation",
            "motivation": "assessing" if claim["verdict"] else "highlighting",
            "created": claim["created_at"],
            "modified": claim["updated_at"],
        }
    )
    if claim["created_by"]:
        result["creator"] = {"type": "Person", "nickname": claim["created_by"]}
    bodies = _bodies(claim)
    if bodies:
        result["body"] = bodies
    result["target"] = {
        "type": "SpecificResource",
        "source": article["canonical_url"] or article["url"],
        "selector": [
            {
                "type": "TextQuoteSelector",
                "exact": selector["exact"],
                "prefix": selector["prefix"],
                "suffix": selector["suffix"],
            },
            {"type": "TextPositionSelector", "start": selector["start"], "end": selector["end"]},
        ],
        # The offsets belong to one revision: TimeState says which (sourceDate is required; cached is
        # the revision's text as the API serves it).
        "state": {"type": "TimeState", "sourceDate": revision["created_at"], "cached": revision["url"]},
    }
    return result


def _bodies(claim: dict[str, Any]) -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = [
        {"type": "TextualBody", "purpose": "tagging", "value": tag["name"]} for tag in claim["tags"]
    ]
    for source in claim["sources"]:
        body: dict[str, Any] = {
            "type": "SpecificResource",
            "purpose": "linking",
            "source": source["source_url"] or source["url"],
            # Not in the anno.jsonld context: JSON-LD processors drop it, plain-JSON readers get the link's
            # meaning (supports, refutes or context).
            "relation": source["relation"],
        }
        if source["quote"]:
            body["selector"] = {"type": "TextQuoteSelector", "exact": source["quote"]}
        bodies.append(body)
    # The same claim in other articles (its cluster) and the fact-checks confirmed for it: linked
    # resources, with the same plain-JSON `relation` as a source's (`same_claim`, `fact_check`).
    for other in claim.get("elsewhere") or []:
        bodies.append(
            {
                "type": "SpecificResource",
                "purpose": "linking",
                "source": other["url"],
                "relation": "same_claim",
            }
        )
    for url in claim.get("fact_checks") or []:
        bodies.append(
            {"type": "SpecificResource", "purpose": "linking", "source": url, "relation": "fact_check"}
        )
    if claim["verdict"]:
        bodies.append(
            {"type": "TextualBody", "purpose": "assessing", "value": VERDICT_LABELS[claim["verdict"]]}
        )
    if claim["note"]:
        bodies.append(
            {"type": "TextualBody", "purpose": "commenting", "value": claim["note"], "format": "text/plain"}
        )
    return bodies


def collection(page: dict[str, Any], request: Request) -> dict[str, Any]:
    """A page of claims as an AnnotationCollection (first page) or an AnnotationPage (later pages)."""
    here = request.build_absolute_uri()
    collection_id = remove_query_param(here, "cursor")
    items = [annotation(claim, with_context=False) for claim in page["results"]]
    # A page names its collection by a description (W3C model 5.2: `partOf` is an object with an id).
    part_of = {"id": collection_id, "type": "AnnotationCollection", "label": "Claims"}
    annotation_page: dict[str, Any] = {"id": here, "type": "AnnotationPage", "partOf": part_of}
    if page["next"]:
        annotation_page["next"] = page["next"]
    if "cursor" in request.query_params:
        return {"@context": CONTEXT, **annotation_page, "items": items}
    return {
        "@context": CONTEXT,
        "id": collection_id,
        "type": "AnnotationCollection",
        "label": "Claims",
        "first": {**annotation_page, "startIndex": 0, "items": items},
    }
