"""W3C Web Annotation and schema.org ClaimReview output.

The W3C Data Model's MUSTs that our output relies on are encoded here (`w3c_problems`), and the Working
Group's own assertions (copied into tests/w3c_conformance) are run on the same output too.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.http import StreamingHttpResponse
from hypothesis import given, settings
from hypothesis import strategies as st

from annotations.formats.w3c import annotation
from tests.api.helpers import W3C_PROFILE, assert_matches_contract, client_for, make_claim
from tests.conftest import DEMO_TEXT
from tests.factories import ArticleFactory, SourceFactory

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
# W3C model 3.3.1: xsd:dateTime with a timezone; the Working Group's checker uses this pattern.
DATETIME = re.compile(r"^\d{4}-[01]\d-[0-3]\dT[0-2]\d:[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]\d\d:\d\d)$", re.I)
IRI = re.compile(r"^[a-z][a-z0-9+.-]*:[^\s]*$", re.I)
MOTIVATIONS = {
    "assessing", "bookmarking", "classifying", "commenting", "describing", "editing", "highlighting",
    "identifying", "linking", "moderating", "questioning", "replying", "tagging",
}  # fmt: skip
# The Working Group's own assertions, copied into the project.
CONFORMANCE = Path(__file__).resolve().parents[1] / "w3c_conformance"


def _types(node: dict[str, Any]) -> set[str]:
    value = node.get("type")
    if isinstance(value, list):
        return set(value)
    return {value} if isinstance(value, str) else set()


def w3c_problems(anno: dict[str, Any], *, context_required: bool = True) -> list[str]:
    """What in one Annotation breaks a MUST of the W3C Web Annotation Data Model (empty when none)."""
    problems: list[str] = []
    context = anno.get("@context")
    if context_required and ANNO_CONTEXT not in (context if isinstance(context, list) else [context]):
        problems.append("3.1 @context must include the anno.jsonld context")
    if not (isinstance(anno.get("id"), str) and IRI.match(anno["id"])):
        problems.append("3.1 id must be one IRI")
    if "Annotation" not in _types(anno):
        problems.append("3.1 type must include Annotation")
    if "target" not in anno:
        problems.append("3.1 an Annotation must have a target")
    if "body" in anno and "bodyValue" in anno:
        problems.append("3.2.5 body and bodyValue must not both be present")
    for key in ("created", "modified"):
        if key in anno and not (isinstance(anno[key], str) and DATETIME.match(anno[key])):
            problems.append(f"3.3.1 {key} must be one xsd:dateTime with a timezone")
    if "motivation" in anno and anno["motivation"] not in MOTIVATIONS:
        problems.append("3.3.5 motivation must be a W3C Motivation")
    creator = anno.get("creator")
    if creator is not None and not (isinstance(creator, str) or "type" in creator):
        problems.append("3.3.2 an embedded agent should say its type")
    for body in anno.get("body", []):
        if "TextualBody" in _types(body) and not isinstance(body.get("value"), str):
            problems.append("3.2.4 a TextualBody must have one string value")
        if "SpecificResource" in _types(body) and "source" not in body:
            problems.append("4 a SpecificResource body must have a source")
        if "purpose" in body and body["purpose"] not in MOTIVATIONS:
            problems.append("3.3.5 purpose must be a W3C Motivation")
    target = anno.get("target", {})
    if isinstance(target, dict):
        if not (isinstance(target.get("source"), str) and IRI.match(target["source"])):
            problems.append("4 a SpecificResource target must have one source IRI")
        for selector in target.get("selector", []):
            if selector.get("type") == "TextQuoteSelector":
                if not isinstance(selector.get("exact"), str):
                    problems.append("4.2.4 TextQuoteSelector must have one exact string")
                if any(not isinstance(selector.get(k, ""), str) for k in ("prefix", "suffix")):
                    problems.append("4.2.4 prefix and suffix must be single strings")
            if selector.get("type") == "TextPositionSelector":
                start, end = selector.get("start"), selector.get("end")
                if not (isinstance(start, int) and isinstance(end, int) and 0 <= start <= end):
                    problems.append("4.2.5 start and end must be non-negative integers, start <= end")
        state = target.get("state")
        if state is not None and "TimeState" in _types(state):
            dated = isinstance(state.get("sourceDate"), str) and DATETIME.match(state["sourceDate"])
            ranged = "sourceDateStart" in state and "sourceDateEnd" in state
            if not dated and not ranged:
                problems.append("4.3.1 a TimeState must have sourceDate or sourceDateStart and End")
            if "cached" in state and not IRI.match(state["cached"]):
                problems.append("4.3.1 cached must be an IRI")
    return problems


def page_problems(page: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    if "AnnotationPage" not in _types(page):
        problems.append("5.2 type must include AnnotationPage")
    if not (isinstance(page.get("id"), str) and IRI.match(page["id"])):
        problems.append("5.2 id must be one IRI")
    if not isinstance(page.get("items"), list):
        problems.append("5.2 items must be a list")
    if "next" in page and not IRI.match(page["next"]):
        problems.append("5.2 next must be one IRI")
    part_of = page.get("partOf")
    if part_of is not None and not (isinstance(part_of, dict) and IRI.match(part_of.get("id", ""))):
        problems.append("5.2 partOf must describe the collection (an object with an id IRI)")
    if "startIndex" in page and not (isinstance(page["startIndex"], int) and page["startIndex"] >= 0):
        problems.append("5.2 startIndex must be a non-negative integer")
    for item in page.get("items", []):
        problems.extend(w3c_problems(item, context_required=False))
    return problems


@pytest.fixture
def claims(db, editor, reviewer):
    article = ArticleFactory.create(
        title="Sanctuary talks", url="https://news.example/sanctuary-talks", text=DEMO_TEXT
    )
    source = SourceFactory.create(url="https://www.nyc.gov/asylum", title="The city's figures")
    reviewed = make_claim(
        article,
        editor,
        tags=("statistic",),
        note="Check.",
        verdict="mostly_true",
        reviewer=reviewer,
        source=source,
    )
    unproven = make_claim(article, editor, "substantial budget cuts", verdict="unproven", reviewer=reviewer)
    plain = make_claim(article, editor, "Former Mayor Bill de Blasio")
    return reviewed, unproven, plain


def test_a_claim_as_w3c_meets_every_must(claims, researcher):
    response = client_for(researcher).get(f"/api/v1/claims/{claims[0].pk}/?format=w3c")
    assert response["Content-Type"] == W3C_PROFILE
    body = response.json()
    assert w3c_problems(body) == []
    assert_matches_contract("claim_w3c", body)


def test_the_w3c_profile_is_negotiated_from_the_accept_header(claims, researcher):
    response = client_for(researcher).get(f"/api/v1/claims/{claims[0].pk}/", HTTP_ACCEPT=W3C_PROFILE)
    assert response["Content-Type"] == W3C_PROFILE
    assert response.json()["type"] == "Annotation"
    assert response["ETag"]
    assert "Accept" in response["Vary"]


def test_a_claim_list_as_w3c_is_a_collection_whose_pages_meet_every_must(claims, researcher):
    client = client_for(researcher)
    collection = client.get("/api/v1/claims/?format=w3c&page_size=2").json()
    assert collection["@context"] == ANNO_CONTEXT
    assert "AnnotationCollection" in _types(collection) and IRI.match(collection["id"])
    assert page_problems(collection["first"]) == []
    second = client.get(collection["first"]["next"]).json()
    assert second["@context"] == ANNO_CONTEXT
    assert page_problems(second) == []
    assert second["partOf"]["id"] == collection["id"]
    assert len(collection["first"]["items"]) + len(second["items"]) == 3


def test_w3c_selectors_and_state_point_at_the_revisions_text(claims, researcher):
    anno = client_for(researcher).get(f"/api/v1/claims/{claims[0].pk}/?format=w3c").json()
    quote, position = anno["target"]["selector"]
    assert DEMO_TEXT[position["start"] : position["end"]] == quote["exact"] == "160,000 asylum seekers"
    purposes = [body["purpose"] for body in anno["body"]]
    assert purposes == ["tagging", "linking", "assessing", "commenting"]
    revision = client_for(researcher).get(anno["target"]["state"]["cached"]).json()
    assert revision["text"] == DEMO_TEXT


def test_the_working_groups_own_assertions_pass(claims, researcher, tmp_path):
    client = client_for(researcher)
    documents = {
        "one": client.get(f"/api/v1/claims/{claims[0].pk}/?format=w3c").json(),
        "collection": client.get("/api/v1/claims/?format=w3c&page_size=2").json(),
    }
    documents["page"] = client.get(documents["collection"]["first"]["next"]).json()
    for name, document in documents.items():
        assert_w3c_conformant(document, tmp_path / f"{name}.json")


def assert_w3c_conformant(document: dict[str, Any], path: Path) -> None:
    """The Working Group's own assertions, run on `document` (written to `path`), all pass."""
    path.write_text(json.dumps(document))
    checker = [
        sys.executable,
        str(CONFORMANCE / "w3c_check.py"),
        str(path),
        "--suite",
        str(CONFORMANCE / "suite"),
    ]
    run = subprocess.run(checker, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout
    assert re.search(r"W3C MUST: [1-9]\d* passed, 0 failed", run.stdout), run.stdout


_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)


@settings(max_examples=60, deadline=None)
@given(
    exact=_text.filter(bool),
    prefix=_text,
    suffix=_text,
    note=_text,
    verdict=st.sampled_from([None, "true", "false", "unproven"]),
    tags=st.lists(_text.filter(bool), max_size=3),
    creator=st.none() | _text.filter(bool),
    canonical=st.booleans(),
)
def test_any_claim_makes_an_annotation_that_meets_the_musts(
    exact, prefix, suffix, note, verdict, tags, creator, canonical
):
    now = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    claim = {
        "url": "http://testserver/api/v1/claims/1/",
        "article": {
            "url": "http://testserver/api/v1/articles/1/",
            "title": "T",
            "canonical_url": "https://news.example/a" if canonical else None,
        },
        "revision": {
            "url": "http://testserver/api/v1/articles/1/revisions/1/",
            "created_at": now.isoformat(),
        },
        "selector": {"start": 3, "end": 3 + len(exact), "exact": exact, "prefix": prefix, "suffix": suffix},
        "tags": [{"name": tag} for tag in tags],
        "sources": [],
        "verdict": verdict,
        "note": note,
        "created_by": creator,
        "created_at": now.isoformat(),
        "updated_at": now.isoformat().replace("+00:00", "Z"),
    }
    assert w3c_problems(annotation(claim)) == []


# --- ClaimReview -----------------------------------------------------------------------------------------


def test_a_reviewed_claim_as_claimreview(claims, researcher):
    response = client_for(researcher).get(f"/api/v1/claims/{claims[0].pk}/?format=claimreview")
    assert response.status_code == 200
    review = response.json()
    assert review["@context"] == "https://schema.org" and review["@type"] == "ClaimReview"
    rating = {"@type": "Rating", "alternateName": "Mostly true", "ratingValue": 4}
    assert review["reviewRating"] == {**rating, "bestRating": 5, "worstRating": 1}
    assert review["itemReviewed"]["appearance"]["url"] == "https://news.example/sanctuary-talks"
    assert_matches_contract("claim_claimreview", review)


def test_an_unproven_claim_has_a_rating_without_a_number(claims, researcher):
    review = client_for(researcher).get(f"/api/v1/claims/{claims[1].pk}/?format=claimreview").json()
    assert review["reviewRating"] == {"@type": "Rating", "alternateName": "Unproven"}


def test_a_claim_without_a_verdict_has_no_claimreview(claims, researcher):
    response = client_for(researcher).get(f"/api/v1/claims/{claims[2].pk}/?format=claimreview")
    assert response.status_code == 404
    assert "no verdict" in response.json()["error"]["message"]


def test_a_claimreview_list_holds_only_reviewed_claims(claims, researcher):
    listing = client_for(researcher).get("/api/v1/claims/?format=claimreview").json()
    assert listing["@type"] == "ItemList"
    assert [r["claimReviewed"] for r in listing["itemListElement"]] == [
        "160,000 asylum seekers", "substantial budget cuts",
    ]  # fmt: skip


def test_an_unknown_format_is_a_404(claims, researcher):
    assert client_for(researcher).get("/api/v1/claims/?format=xml").status_code == 404


@pytest.mark.parametrize("accept", [None, "*/*", "application/json"])
def test_the_common_accept_headers_get_what_drf_would_choose(accept):
    from rest_framework.negotiation import DefaultContentNegotiation
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from annotations.api.renderers import FormatFirstNegotiation
    from annotations.api.views import CLAIM_RENDERERS

    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(APIRequestFactory().get("/api/v1/claims/", **headers))
    renderers = [renderer() for renderer in CLAIM_RENDERERS]
    ours = FormatFirstNegotiation().select_renderer(request, renderers)
    drfs = DefaultContentNegotiation().select_renderer(request, renderers)
    assert (type(ours[0]), ours[1]) == (type(drfs[0]), drfs[1])


def test_no_claimreview_carries_a_verdict_given_to_a_figure_that_changed(claims, researcher):
    article = claims[0].article
    ArticleFactory.create(
        title=article.title, url=article.url, text=DEMO_TEXT.replace("160,000", "180,000")
    )  # the same URL with new text: a new revision
    listing = client_for(researcher).get("/api/v1/claims/?format=claimreview").json()
    reviewed = [r["claimReviewed"] for r in listing["itemListElement"]]
    assert reviewed == ["substantial budget cuts"]  # "180,000 asylum seekers" was never checked
    export = client_for(researcher).get("/api/v1/export/claims.jsonl")
    rows = [json.loads(line) for line in _streamed(export).splitlines()]
    changed = next(row for row in rows if "180,000" in row["selector"]["exact"])
    assert (changed["verdict"], changed["status"], changed["anchor_state"]) == (
        None,
        "in_review",
        "needs_recheck",
    )


def _streamed(response) -> bytes:
    assert isinstance(response, StreamingHttpResponse)
    return response.getvalue()
