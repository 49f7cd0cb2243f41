"""The REST API: endpoints, JSON shapes (contracts), errors, optimistic locking and filters (paging:
test_pagination.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from annotations import services
from annotations.importing import ArticleInput
from annotations.models import Claim, history_of
from tests.api.helpers import assert_matches_contract, client_for, etag_of, make_claim, many_claims
from tests.conftest import DEMO_TEXT
from tests.factories import ArticleFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def article(db):
    # Fixed title and URL (not the factory's sequence), so that contract files do not depend on test order.
    return ArticleFactory.create(
        title="Sanctuary talks", url="https://news.example/sanctuary-talks", text=DEMO_TEXT
    )


@pytest.fixture
def claim(article, editor, reviewer):
    source = SourceFactory.create(
        url="https://www.nyc.gov/asylum", title="The city's figures", publisher="NYC"
    )
    return make_claim(
        article,
        editor,
        tags=("statistic", "immigration"),
        note="Check the city's count.",
        verdict="mostly_true",
        reviewer=reviewer,
        source=source,
    )


# --- Reading ---------------------------------------------------------------------------------------------


def test_it_shows_a_claim_with_everything_a_researcher_needs(claim, researcher):
    response = client_for(researcher).get(f"/api/v1/claims/{claim.pk}/")
    assert response.status_code == 200
    assert response["ETag"] == etag_of(claim)
    assert_matches_contract("claim_detail", response.json())


def test_it_lists_claims_as_a_page_with_a_next_link(claim, researcher):
    response = client_for(researcher).get("/api/v1/claims/")
    assert response.status_code == 200
    assert_matches_contract("claim_list", response.json())


def test_it_shows_an_article_with_its_text_and_revisions(article, researcher):
    response = client_for(researcher).get(f"/api/v1/articles/{article.pk}/")
    assert response.status_code == 200
    assert response.json()["text"] == DEMO_TEXT
    assert_matches_contract("article_detail", response.json())


def test_it_shows_a_revision_by_number(article, researcher):
    response = client_for(researcher).get(f"/api/v1/articles/{article.pk}/revisions/1/")
    assert response.status_code == 200
    assert response.json()["text"] == DEMO_TEXT
    assert client_for(researcher).get(f"/api/v1/articles/{article.pk}/revisions/2/").status_code == 404


def test_it_lists_tags_and_sources(claim, researcher):
    client = client_for(researcher)
    tags = client.get("/api/v1/tags/").json()
    assert {"slug", "name", "facet", "description"} <= set(tags[0])
    sources = client.get("/api/v1/sources/").json()["results"]
    assert [s["source_url"] for s in sources] == ["https://www.nyc.gov/asylum"]


def test_it_answers_404_in_the_error_shape_for_a_missing_claim(researcher):
    response = client_for(researcher).get("/api/v1/claims/999999/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_it_answers_unknown_api_urls_in_the_error_shape(researcher):
    response = client_for(researcher).get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert set(response.json()["error"]) >= {"status", "code", "message"}


# --- Creating --------------------------------------------------------------------------------------------


def test_it_creates_a_claim_from_offsets(article, editor):
    start = DEMO_TEXT.index("160,000")
    response = client_for(editor).post(
        "/api/v1/claims/",
        {"article": article.pk, "start": start, "end": start + 7, "tags": ["statistic"], "note": "n"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["selector"]["exact"] == "160,000"
    assert [t["slug"] for t in body["tags"]] == ["statistic"]
    assert response["Location"] == body["url"]
    assert response["ETag"] == f'"claim-{body["id"]}-v{body["version"]}"'


def test_a_claim_created_with_tags_is_version_1_answered_as_read_and_in_the_history(article, editor):
    start = DEMO_TEXT.index("160,000")
    client = client_for(editor)
    response = client.post(
        "/api/v1/claims/",
        {"article": article.pk, "start": start, "end": start + 7, "tags": ["statistic", "immigration"]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["version"] == 1
    # The answer is built from what was written; it is exactly what reading the claim shows.
    read = client.get(created["url"])
    assert read.json() == created
    assert read["ETag"] == response["ETag"]
    events = list(history_of(Claim.objects.get(pk=created["id"])))
    labels = sorted((event.pgh_model, event.pgh_label) for event in events)
    assert labels == [
        ("annotations.ClaimEvent", "insert"),
        ("annotations.ClaimTagEvent", "insert"),
        ("annotations.ClaimTagEvent", "insert"),
    ]
    assert {event.pgh_context["user"] for event in events} == {editor.pk}


def test_it_anchors_a_claim_given_only_a_w3c_text_quote_selector(article, editor):
    selector = {"type": "TextQuoteSelector", "exact": "substantial budget cuts", "prefix": "to make "}
    response = client_for(editor).post(
        "/api/v1/claims/", {"article": article.pk, "target": {"selector": selector}}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["selector"]["start"] == DEMO_TEXT.index("substantial budget cuts")


def test_it_says_which_field_is_wrong_when_offsets_are_out_of_range(article, editor):
    response = client_for(editor).post(
        "/api/v1/claims/", {"article": article.pk, "start": 5, "end": 99999}, format="json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "out of range" in error["fields"]["selector"][0]


def test_it_refuses_an_ambiguous_quote(editor):
    article = ArticleFactory.create(text="the cat and the cat")
    response = client_for(editor).post(
        "/api/v1/claims/", {"article": article.pk, "exact": "cat"}, format="json"
    )
    assert response.status_code == 400
    assert "occurs 2 times" in response.json()["error"]["message"]


def test_it_refuses_fields_a_client_may_not_set(article, editor):
    response = client_for(editor).post(
        "/api/v1/claims/",
        {"article": article.pk, "exact": "160,000", "version": 7, "created_by": "someone"},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"version", "created_by"}
    assert not Claim.objects.exists()


def test_it_refuses_unknown_tags_and_articles(article, editor):
    client = client_for(editor)
    response = client.post("/api/v1/claims/", {"article": article.pk, "exact": "160,000", "tags": ["nope"]})
    assert response.json()["error"]["fields"] == {"tags": ["unknown tag(s): nope"]}
    response = client.post("/api/v1/claims/", {"article": 999999, "exact": "160,000"})
    assert response.json()["error"]["fields"] == {"article": ["no such article"]}


def test_it_answers_malformed_json_with_400(editor):
    response = client_for(editor).generic(
        "POST", "/api/v1/claims/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_it_imports_an_article_idempotently_and_revises_it_with_claims_carried(editor):
    client = client_for(editor)
    body = {"title": "Budget", "url": "https://news.example/budget", "text": "The city spent 5 million."}
    first = client.post("/api/v1/articles/", body, format="json")
    assert (first.status_code, first.json()["outcome"]) == (201, "created")
    again = client.post("/api/v1/articles/", body, format="json")
    assert (again.status_code, again.json()["outcome"]) == (200, "unchanged")
    article_id = first.json()["id"]
    claim = client.post("/api/v1/claims/", {"article": article_id, "exact": "spent"}, format="json").json()
    revised = client.post(
        "/api/v1/articles/", {**body, "text": "Last year the city spent 5 million."}, format="json"
    )
    assert (revised.status_code, revised.json()["outcome"]) == (200, "revised")
    assert [r["number"] for r in revised.json()["revisions"]] == [1, 2]
    carried = client.get(f"/api/v1/claims/{claim['id']}/").json()
    assert carried["revision"]["number"] == 2
    assert carried["selector"]["exact"] == "spent"


def test_it_sanitises_pushed_html_as_the_import_command_does(editor):
    html = "<html><head><title>T</title></head><body><p>Hi <script>x()</script>there</p></body></html>"
    response = client_for(editor).post("/api/v1/articles/", {"html": html}, format="json")
    assert response.status_code == 201, response.json()
    assert "x()" not in response.json()["text"]


def test_it_reports_a_bad_article_as_400(editor):
    response = client_for(editor).post("/api/v1/articles/", {"title": "No text"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"article": ["the article has no text"]}


def test_it_finds_or_creates_a_source_by_normalised_url(editor):
    client = client_for(editor)
    first = client.post("/api/v1/sources/", {"url": "HTTPS://Example.org/a?utm_source=x", "title": "A"})
    assert first.status_code == 201
    again = client.post("/api/v1/sources/", {"url": "https://example.org/a", "title": "A"})
    assert (again.status_code, again.json()["id"]) == (200, first.json()["id"])
    patched = client.patch(f"/api/v1/sources/{first.json()['id']}/", {"publisher": "Example"})
    assert patched.json()["publisher"] == "Example"
    refused = client.patch(f"/api/v1/sources/{first.json()['id']}/", {"url": "https://elsewhere.org/"})
    assert refused.status_code == 400


# --- Optimistic locking ----------------------------------------------------------------------------------


def test_it_refuses_a_patch_without_if_match(claim, editor):
    response = client_for(editor).patch(f"/api/v1/claims/{claim.pk}/", {"note": "x"}, format="json")
    assert response.status_code == 428
    assert_matches_contract("error_precondition_required", response.json())


def test_it_refuses_a_stale_patch_with_412(claim, editor):
    stale = etag_of(claim)
    client = client_for(editor)
    assert client.patch(f"/api/v1/claims/{claim.pk}/", {"note": "a"}, HTTP_IF_MATCH=stale).status_code == 200
    response = client.patch(f"/api/v1/claims/{claim.pk}/", {"note": "b"}, HTTP_IF_MATCH=stale)
    assert response.status_code == 412
    claim.refresh_from_db()
    assert claim.note == "a"


def test_it_applies_a_patch_and_answers_with_the_new_etag(claim, editor):
    response = client_for(editor).patch(
        f"/api/v1/claims/{claim.pk}/", {"note": "new", "tags": ["economy"]}, HTTP_IF_MATCH=etag_of(claim)
    )
    assert response.status_code == 200
    assert response["ETag"] == etag_of(claim)
    assert [t["slug"] for t in response.json()["tags"]] == ["economy"]


def test_it_lets_a_reviewer_clear_a_verdict_with_null(claim, reviewer):
    response = client_for(reviewer).patch(
        f"/api/v1/claims/{claim.pk}/", {"verdict": None}, format="json", HTTP_IF_MATCH=etag_of(claim)
    )
    assert response.status_code == 200
    assert response.json()["verdict"] is None


def test_it_deletes_a_claim_only_with_a_current_etag(claim, editor):
    client = client_for(editor)
    assert client.delete(f"/api/v1/claims/{claim.pk}/").status_code == 428
    assert client.delete(f"/api/v1/claims/{claim.pk}/", HTTP_IF_MATCH='"claim-1-v999"').status_code == 412
    assert client.delete(f"/api/v1/claims/{claim.pk}/", HTTP_IF_MATCH=etag_of(claim)).status_code == 204
    assert not Claim.objects.filter(pk=claim.pk).exists()


def test_it_attaches_and_detaches_sources_under_if_match(claim, editor):
    client = client_for(editor)
    attached = client.post(
        f"/api/v1/claims/{claim.pk}/sources/",
        {"url": "https://data.example/table", "title": "Table", "relation": "refutes", "quote": "p. 3"},
        format="json",
        HTTP_IF_MATCH=etag_of(claim),
    )
    assert attached.status_code == 200, attached.json()
    new = next(s for s in attached.json()["sources"] if s["relation"] == "refutes")
    assert new["quote"] == "p. 3"
    detached = client.delete(
        f"/api/v1/claims/{claim.pk}/sources/{new['id']}/", HTTP_IF_MATCH=attached["ETag"]
    )
    assert detached.status_code == 200
    assert [s["id"] for s in detached.json()["sources"]] != [] and new["id"] not in [
        s["id"] for s in detached.json()["sources"]
    ]


# --- Filters ---------------------------------------------------------------------------------------------


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [c["id"] for c in response.json()["results"]]


def test_it_filters_claims_by_tags_any_or_all(article, editor, researcher):
    both = make_claim(article, editor, "160,000 asylum seekers", tags=("statistic", "immigration"))
    one = make_claim(article, editor, "substantial budget cuts", tags=("statistic",))
    client = client_for(researcher)
    assert _ids(client.get("/api/v1/claims/?tag=statistic,immigration")) == [both.pk, one.pk]
    assert _ids(client.get("/api/v1/claims/?tag=statistic,immigration&tag_match=all")) == [both.pk]


def test_it_filters_claims_by_status_verdict_state_creator_and_text(article, editor, colleague, reviewer):
    reviewed = make_claim(article, editor, "160,000 asylum seekers", verdict="false", reviewer=reviewer)
    other = make_claim(article, colleague, "substantial budget cuts", note="ask the comptroller")
    client = client_for(reviewer)
    assert _ids(client.get("/api/v1/claims/?verdict=false,mixed")) == [reviewed.pk]
    assert _ids(client.get("/api/v1/claims/?verdict=none")) == [other.pk]
    assert _ids(client.get("/api/v1/claims/?status=draft&anchor_state=anchored")) == [reviewed.pk, other.pk]
    assert _ids(client.get("/api/v1/claims/?creator=colleague")) == [other.pk]
    assert _ids(client.get("/api/v1/claims/?q=COMPTROLLER")) == [other.pk]
    assert _ids(client.get("/api/v1/claims/?q=asylum")) == [reviewed.pk]
    assert _ids(client.get(f"/api/v1/claims/?article={article.pk + 1000}")) == []


def test_it_filters_claims_by_source_domain_including_subdomains(article, editor, researcher):
    source = SourceFactory.create(url="https://www.nyc.gov/data", title="NYC")
    sourced = make_claim(article, editor, "160,000 asylum seekers", source=source)
    make_claim(article, editor, "substantial budget cuts")
    client = client_for(researcher)
    assert _ids(client.get("/api/v1/claims/?source_domain=nyc.gov")) == [sourced.pk]
    assert _ids(client.get("/api/v1/claims/?source_domain=gov")) == [sourced.pk]
    assert _ids(client.get("/api/v1/claims/?source_domain=yc.gov")) == []


def test_it_filters_claims_by_time(article, editor, researcher):
    old = make_claim(article, editor, "160,000 asylum seekers")
    Claim.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=3), updated_at=timezone.now() - timedelta(days=3)
    )
    new = make_claim(article, editor, "substantial budget cuts")
    since = (timezone.now() - timedelta(days=1)).isoformat()
    client = client_for(researcher)
    assert _ids(client.get("/api/v1/claims/", {"created_since": since})) == [new.pk]
    assert _ids(client.get("/api/v1/claims/", {"updated_since": since})) == [new.pk]
    assert _ids(client.get("/api/v1/claims/", {"until": since})) == [old.pk]


def test_it_explains_a_bad_filter_value(researcher):
    response = client_for(researcher).get("/api/v1/claims/?status=nonsense&updated_since=yesterday")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"status", "updated_since"}


# --- Pushing articles ------------------------------------------------------------------------------------


def test_an_article_pushed_by_a_cms_gets_the_same_revision_rules_as_an_import(editor):
    services.import_article(
        article_input=ArticleInput.build(title="T", text="One 1.", url="https://x.example/1"), by=editor
    )
    response = client_for(editor).post(
        "/api/v1/articles/", {"title": "T", "text": "One 1.", "url": "https://x.example/1"}, format="json"
    )
    assert response.json()["outcome"] == "unchanged"


def test_the_example_sync_script_pulls_every_claim_version_exactly_once(
    live_server, tmp_path, transactional_db
):
    import importlib.util
    from pathlib import Path

    import orjson

    from annotations.models import ApiToken
    from tests.factories import UserFactory

    path = Path(__file__).resolve().parents[2] / "examples" / "sync_claims.py"
    spec = importlib.util.spec_from_file_location("sync_claims", path)
    assert spec is not None and spec.loader is not None
    sync_claims = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sync_claims)

    editor = UserFactory.create(username="sync-editor")
    _, token = ApiToken.issue(UserFactory.create(username="sync-researcher", role="researcher"), name="sync")
    claims = many_claims(editor, 7)
    out, state = tmp_path / "claims.jsonl", tmp_path / "state.json"

    def run() -> list[tuple[int, int]]:
        sync_claims.sync(live_server.url, token, out, state, 3, timedelta(minutes=5))
        return [(c["id"], c["version"]) for c in map(orjson.loads, out.read_bytes().splitlines())]

    assert run() == [(c.pk, c.version) for c in claims]
    assert len(run()) == 7  # nothing changed: nothing appended, though the overlap re-read it all
    changed = services.update_claim(claim=claims[2], by=editor, expected_version=claims[2].version, note="n")
    lines = run()
    assert len(lines) == 8 and lines[-1] == (changed.pk, changed.version)
