"""How the API answers in each format: JSON through orjson, the JSON-LD formats built from it, and the
content negotiation that picks one (`?format=` first, then `Accept`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import orjson
from rest_framework.negotiation import BaseContentNegotiation, DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request

from annotations.formats import Links, claimreview, is_claim, is_page, w3c
from annotations.models import Claim, ClaimFactCheck


class OrjsonRenderer(BaseRenderer):
    """application/json through orjson: several times faster than the standard encoder on big pages."""

    media_type = "application/json"
    format = "json"
    charset = None

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        return orjson.dumps(data, default=_default, option=orjson.OPT_UTC_Z)


def _default(value: Any) -> Any:
    # Lazy translation strings and other str-like values from Django and DRF error details.
    if isinstance(value, Iterable) and not isinstance(value, str | bytes | Mapping):
        return list(value)
    return str(value)


class LinkedDataRenderer(OrjsonRenderer):
    """A JSON-LD format built from the plain claim JSON; errors keep the one JSON error shape.

    Each format names its two functions in `formats/`: `one` for a claim, `page` for a page of them.
    """

    one: Callable[[dict[str, Any]], dict[str, Any]]
    page: Callable[[dict[str, Any], Any], dict[str, Any]]  # (a page, the request)

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        response = (renderer_context or {}).get("response")
        # Errors, and anything else that is not a claim or a page of claims (an OPTIONS description),
        # keep their plain JSON shape.
        if response is None or response.status_code >= 400 or not (is_page(data) or is_claim(data)):
            return super().render(data, accepted_media_type, renderer_context)
        request = (renderer_context or {}).get("request")
        if is_page(data):
            shaped = self.page({**data, "results": _elsewhere(data["results"], request)}, request)
        else:
            shaped = self.one(_elsewhere([data], request)[0])
        return orjson.dumps(shaped, default=_default, option=orjson.OPT_UTC_Z)


def _elsewhere(claims: list[dict[str, Any]], request: Any) -> list[dict[str, Any]]:
    """The claims with what the linked-data formats say about the same claim elsewhere (issue 13):
    `elsewhere`, the other claims of each one's cluster (their API URL and article), and `fact_checks`,
    the URLs of the published fact-checks an editor confirmed for it. Two queries for a whole page; the
    plain JSON carries only the cluster id."""
    clusters = {c["cluster"] for c in claims if c.get("cluster")}
    if request is None or not claims:
        return claims
    links = Links(request.build_absolute_uri("/"))
    members: dict[int, list[dict[str, Any]]] = {}
    if clusters:
        rows = (
            Claim.objects.visible_to(request.user)
            .filter(cluster_id__in=clusters)
            .order_by("pk")
            .values_list("cluster_id", "pk", "article_id", "article__title", "article__url")
        )
        for cluster, pk, article_id, title, url in rows:
            members.setdefault(cluster, []).append(
                {
                    "id": pk,
                    "url": links.claim(pk),
                    "title": title,
                    "article": url or links.article(article_id),
                }
            )
    checks: dict[int, list[str]] = {}
    confirmed = ClaimFactCheck.objects.filter(claim_id__in=[c["id"] for c in claims]).exclude(
        fact_check__url=""
    )
    for claim_id, url in confirmed.order_by("pk").values_list("claim_id", "fact_check__url"):
        checks.setdefault(claim_id, []).append(url)
    return [
        {
            **claim,
            "elsewhere": [m for m in members.get(claim.get("cluster") or 0, []) if m["id"] != claim["id"]],
            "fact_checks": checks.get(claim["id"], []),
        }
        for claim in claims
    ]


class W3CAnnotationRenderer(LinkedDataRenderer):
    media_type = w3c.MEDIA_TYPE
    format = "w3c"
    one = staticmethod(w3c.annotation)
    page = staticmethod(w3c.collection)


class ClaimReviewRenderer(LinkedDataRenderer):
    media_type = claimreview.MEDIA_TYPE
    format = "claimreview"
    one = staticmethod(claimreview.claim_review)
    page = staticmethod(claimreview.item_list)


class FormatFirstNegotiation(DefaultContentNegotiation):
    """`?format=` wins outright. DRF would still match the Accept header against the chosen renderer, and
    a media type with a `profile` parameter never matches `*/*`, so `?format=w3c` alone would be a 406."""

    def select_renderer(self, request: Request, renderers: Any, format_suffix: Any = None) -> Any:
        if fmt := request.query_params.get("format"):
            chosen = self.filter_renderers(renderers, fmt)  # 404 for a format nobody renders
            return chosen[0], chosen[0].media_type
        accept = request.META.get("HTTP_ACCEPT")
        if accept is None or accept == "*/*" or accept == renderers[0].media_type:
            # What DRF would choose too, without parsing every renderer's media type per request.
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)


class FirstRenderer(BaseContentNegotiation):
    """Exports have one format each, named by the URL: the Accept header does not choose it."""

    def select_parser(self, request: Request, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Request, renderers: Any, format_suffix: Any = None) -> Any:
        return renderers[0], renderers[0].media_type
