"""Has this been checked before? Matching claims across articles and fact-checks, clusters, and what an
editor does with them (issue 13): the lookups, the services, the panel section, the API and the filters."""

from __future__ import annotations

import csv
import io
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import StreamingHttpResponse
from django.urls import reverse

from annotations import factchecks, matches, services
from annotations.matches import Tier, find_for_text, find_matches
from annotations.matching import dense
from annotations.matching.live import LiveIndex
from annotations.models import Claim, ClaimCluster, ClaimFactCheck, FactCheck, Suggestion, TextEmbedding
from tests.api.helpers import client_for
from tests.factories import ArticleFactory, SourceFactory, UserFactory

pytestmark = pytest.mark.django_db

QUOTE = "around 160,000 asylum seekers since April 2022"
DEMO_ARTICLE = (
    Path(__file__).resolve().parents[1] / "annotations" / "fixtures" / "demo" / "ice-nyc-sanctuary-talks.txt"
)
TEXT = "New York City has accepted {quote}, forcing leaders to make cuts. The weather was fine."


def claim_in(editor, quote=QUOTE, *, text=TEXT, title=None) -> Claim:
    article = ArticleFactory.create(text=text.format(quote=quote), **({"title": title} if title else {}))
    return services.create_claim(article=article, by=editor, exact=quote)


def fact_check(
    claim_reviewed="New York City has taken in around 160,000 asylum seekers since April 2022.", **kw
):
    return FactCheck.objects.create(
        claim_reviewed=claim_reviewed,
        title=kw.pop("title", "Has New York taken in 160,000 asylum seekers?"),
        rating_name=kw.pop("rating_name", "Mostly true"),
        publisher=kw.pop("publisher", "PolitiFact"),
        url=kw.pop("url", "https://factcheck.example/asylum"),
        origin=FactCheck.Origin.CLAIMREVIEW,
        **kw,
    )


def _body(response: Any) -> bytes:
    assert isinstance(response, StreamingHttpResponse)
    return response.getvalue()


def refreshed(claim: Claim) -> Claim:
    return Claim.objects.get(pk=claim.pk)


# --- Lookups ------------------------------------------------------------------------------------------


def test_the_same_claim_in_other_articles_is_suggested_best_first(editor):
    first, second = claim_in(editor), claim_in(editor)
    other = claim_in(editor, "around 160,000 people seeking asylum since April 2022")
    unrelated = claim_in(editor, "The weather was fine", text="{quote} on the day of the vote.")
    found = find_matches(second, editor)
    suggested = found.of(Tier.SUGGESTED)
    assert [m.claim.pk for m in suggested[:2]] == [first.pk, other.pk]
    scores = [m.score or 0.0 for m in suggested]
    assert scores[0] >= scores[1] >= matches.SUGGEST_AT
    assert unrelated.pk not in {m.claim.pk for m in found.claims}
    assert found.article_count == 2


def test_a_claim_is_not_its_own_match_nor_its_articles(editor):
    claim = claim_in(editor)
    assert find_matches(claim, editor).claims == []


def test_a_different_figure_is_related_with_the_difference_never_suggested(editor):
    first = claim_in(editor)
    near = claim_in(editor, "around 180,000 asylum seekers since April 2022")
    found = find_matches(near, editor)
    assert found.of(Tier.SUGGESTED) == []
    [related] = found.of(Tier.RELATED)
    assert related.claim.pk == first.pk
    assert related.difference == "figures differ: 180,000 here, 160,000 there"
    assert found.article_count == 0


def test_a_claim_made_after_the_index_was_built_is_found_at_once(editor):
    first = claim_in(editor)
    assert find_matches(first, editor).claims == []  # builds the index
    second = claim_in(editor)
    assert [m.claim.pk for m in find_matches(first, editor).claims] == [second.pk]


def test_a_claim_moved_to_other_words_is_matched_by_its_new_words(editor):
    first, second = claim_in(editor), claim_in(editor)
    assert [m.claim.pk for m in find_matches(first, editor).claims] == [second.pk]
    assert second.article.current_revision is not None
    text = second.article.current_revision.text
    start = text.index("The weather was fine")
    end = start + len("The weather was fine")
    services.reattach_claim(claim=second, by=editor, expected_version=second.version, start=start, end=end)
    assert find_matches(first, editor).claims == []
    weather = claim_in(editor, "The weather was fine", text="{quote}, said the forecast.")
    assert [m.claim.pk for m in find_matches(weather, editor).of(Tier.SUGGESTED)] == [second.pk]


def test_deleted_claims_drop_out(editor):
    first, second = claim_in(editor), claim_in(editor)
    assert find_matches(first, editor).claims
    services.delete_claim(claim=second, by=editor, expected_version=second.version)
    assert find_matches(first, editor).claims == []


def test_what_a_user_may_not_see_is_not_matched(editor):
    first, second = claim_in(editor), claim_in(editor)
    nobody = UserFactory.create(username="norole", role="")
    assert find_matches(first, nobody).claims == []
    assert find_matches(first, editor).claims[0].claim.pk == second.pk


def test_embeddings_are_stored_once_by_text(editor):
    claim_in(editor), claim_in(editor)
    claim = claim_in(editor)
    find_matches(claim, editor)
    stored = TextEmbedding.objects.get(key=dense.key(QUOTE))
    np_vector = dense.from_bytes(bytes(stored.vector))
    assert np_vector.shape == (dense.DIMENSIONS,)
    assert TextEmbedding.objects.filter(key=dense.key(QUOTE)).count() == 1
    matches.reset()  # a new process reads the stored vectors instead of embedding again
    assert find_matches(claim, editor).claims


def test_a_suggested_sentence_is_matched_too(editor):
    first = claim_in(editor)
    fact_check()
    found = find_for_text("Around 160,000 asylum seekers came to the city since April 2022.", editor)
    assert [m.claim.pk for m in found.of(Tier.SUGGESTED)] == [first.pk]
    assert found.fact_checks[0].tier == Tier.SUGGESTED


# --- Fact-checks --------------------------------------------------------------------------------------


def test_an_imported_fact_check_is_suggested_and_confirmed(editor):
    claim = claim_in(editor)
    outcome = factchecks.store(
        factchecks.read_text(
            "review.json",
            json.dumps(
                {
                    "@context": "https://schema.org",
                    "@type": "ClaimReview",
                    "url": "https://www.politifact.com/factchecks/2024/asylum/",
                    "claimReviewed": "New York City took in around 160,000 asylum seekers since April 2022",
                    "author": {"@type": "Organization", "name": "PolitiFact"},
                    "reviewRating": {"@type": "Rating", "alternateName": "False"},
                    "datePublished": "2024-05-02",
                }
            ),
        )
    )
    assert outcome.created == 1
    [suggested] = find_matches(claim, editor).fact_checks
    assert (suggested.tier, suggested.fact_check.publisher, suggested.fact_check.rating_name) == (
        Tier.SUGGESTED,
        "PolitiFact",
        "False",
    )
    claim = services.confirm_fact_check(
        claim=claim, fact_check=suggested.fact_check, by=editor, expected_version=claim.version
    )
    assert claim.version == 2
    [confirmed] = find_matches(claim, editor).fact_checks
    assert confirmed.tier == Tier.CONFIRMED


def test_a_fact_check_of_another_figure_is_related_and_cannot_be_confirmed(editor):
    claim = claim_in(editor)
    wrong = fact_check("New York City has taken in around 180,000 asylum seekers since April 2022.")
    [related] = find_matches(claim, editor).fact_checks
    assert related.tier == Tier.RELATED and "180,000" in related.difference
    with pytest.raises(ValidationError, match="figures differ"):
        services.confirm_fact_check(claim=claim, fact_check=wrong, by=editor, expected_version=claim.version)
    assert not ClaimFactCheck.objects.exists()


def test_a_reimported_fact_check_is_matched_by_its_new_text(editor):
    claim = claim_in(editor)
    check = fact_check("Bus fares will rise next spring.", title="Fares")
    assert find_matches(claim, editor).fact_checks == []
    check.claim_reviewed, check.title = "Around 160,000 asylum seekers since April 2022 in New York", "NYC"
    check.save()
    assert find_matches(claim, editor).fact_checks[0].fact_check.pk == check.pk


def test_a_dismissed_match_is_not_suggested_again_on_either_side(editor):
    first, second = claim_in(editor), claim_in(editor)
    check = fact_check()
    services.dismiss_match(claim=second, other=first, by=editor)
    services.dismiss_match(claim=second, fact_check=check, by=editor)
    assert find_matches(second, editor).claims == []
    assert find_matches(second, editor).fact_checks == []
    assert find_matches(first, editor).claims == []
    assert refreshed(second).version == 1  # a dismissal changes nothing about the claim


# --- Clusters -----------------------------------------------------------------------------------------


def test_confirming_across_three_articles_makes_one_cluster(editor):
    a, b, c = claim_in(editor), claim_in(editor), claim_in(editor)
    b = services.confirm_same_claim(claim=b, other=a, by=editor, expected_version=b.version)
    c = services.confirm_same_claim(claim=c, other=a, by=editor, expected_version=c.version)
    a = refreshed(a)
    assert a.cluster_id == b.cluster_id == c.cluster_id is not None
    assert ClaimCluster.objects.count() == 1
    found = find_matches(c, editor)
    assert {m.claim.pk for m in found.of(Tier.CONFIRMED)} == {a.pk, b.pk}
    assert found.of(Tier.SUGGESTED) == []
    assert found.article_count == 2
    assert (a.version, b.version, c.version) == (2, 2, 2)  # joining bumps the version (ETags)


def test_two_clusters_merge_into_the_older(editor):
    a, b, c, d = (claim_in(editor) for _ in range(4))
    b = services.confirm_same_claim(claim=b, other=a, by=editor, expected_version=b.version)
    d = services.confirm_same_claim(claim=d, other=c, by=editor, expected_version=d.version)
    older = b.cluster_id
    d = services.confirm_same_claim(claim=d, other=b, by=editor, expected_version=d.version)
    assert {refreshed(x).cluster_id for x in (a, b, c, d)} == {older}
    assert list(ClaimCluster.objects.values_list("pk", flat=True)) == [older]


def test_the_figure_guard_refuses_a_cluster(editor):
    first = claim_in(editor)
    near = claim_in(editor, "around 160,000 pounds since April 2022")
    with pytest.raises(ValidationError, match="160,000 pound there|£160,000"):
        services.confirm_same_claim(claim=first, other=near, by=editor, expected_version=first.version)
    assert refreshed(first).cluster_id is None and not ClaimCluster.objects.exists()


def test_a_claim_in_the_same_article_is_refused(editor):
    article = ArticleFactory.create(text=f"{QUOTE}. And again: {QUOTE}.")
    one = services.create_claim(article=article, by=editor, start=0, end=len(QUOTE))
    assert article.current_revision is not None
    start = article.current_revision.text.rindex(QUOTE)
    two = services.create_claim(article=article, by=editor, start=start, end=start + len(QUOTE))
    with pytest.raises(ValidationError, match="same article"):
        services.confirm_same_claim(claim=one, other=two, by=editor, expected_version=one.version)


def test_a_stale_confirm_is_refused(editor):
    a, b = claim_in(editor), claim_in(editor)
    services.update_claim(claim=b, by=editor, expected_version=1, note="changed meanwhile")
    with pytest.raises(services.StaleEdit):
        services.confirm_same_claim(claim=b, other=a, by=editor, expected_version=1)
    assert refreshed(a).cluster_id is None


def test_a_researcher_may_not_confirm(editor, researcher):
    a, b = claim_in(editor), claim_in(editor)
    with pytest.raises(PermissionDenied):
        services.confirm_same_claim(claim=b, other=a, by=researcher, expected_version=b.version)


def test_leaving_a_cluster_of_two_dissolves_it(editor):
    a, b = claim_in(editor), claim_in(editor)
    b = services.confirm_same_claim(claim=b, other=a, by=editor, expected_version=b.version)
    b = services.leave_cluster(claim=b, by=editor, expected_version=b.version)
    assert b.cluster_id is None and refreshed(a).cluster_id is None
    assert not ClaimCluster.objects.exists()


def test_a_changed_figure_takes_the_claim_out_of_its_cluster_and_its_fact_checks(editor):
    a, b, c = claim_in(editor), claim_in(editor), claim_in(editor)
    b = services.confirm_same_claim(claim=b, other=a, by=editor, expected_version=b.version)
    c = services.confirm_same_claim(claim=c, other=a, by=editor, expected_version=c.version)
    check = fact_check()
    a = refreshed(a)
    services.confirm_fact_check(claim=a, fact_check=check, by=editor, expected_version=a.version)
    _revise(a, "around 180,000 asylum seekers since April 2022", editor)
    a = refreshed(a)
    assert a.anchor_state == Claim.AnchorState.NEEDS_RECHECK
    assert a.cluster_id is None
    assert not ClaimFactCheck.objects.filter(claim=a).exists()
    assert refreshed(b).cluster_id == refreshed(c).cluster_id is not None  # the other two stay the same


def _revise(claim: Claim, new_quote: str, by) -> None:
    from annotations.importing import ArticleInput

    article = claim.article
    services.refresh_article(
        article=article,
        article_input=ArticleInput.build(
            title=article.title, text=TEXT.format(quote=new_quote), url=article.url
        ),
        by=by,
        now=True,
    )


def test_a_changed_figure_in_a_cluster_of_two_dissolves_it(editor):
    a, b = claim_in(editor), claim_in(editor)
    b = services.confirm_same_claim(claim=b, other=a, by=editor, expected_version=b.version)
    _revise(refreshed(a), "around 180,000 asylum seekers since April 2022", editor)
    assert refreshed(a).cluster_id is None and refreshed(b).cluster_id is None
    assert not ClaimCluster.objects.exists()


def test_sources_are_shared_across_the_cluster(editor):
    a, b = claim_in(editor), claim_in(editor)
    source = SourceFactory.create()
    a = services.attach_source(
        claim=a, source=source, relation="supports", quote="p. 3", by=editor, expected_version=1
    )
    b = services.confirm_same_claim(claim=b, other=a, by=editor, expected_version=b.version)
    b = services.share_cluster_sources(claim=b, by=editor, expected_version=b.version)
    [link] = b.claim_sources.all()
    assert (link.source_id, link.relation, link.quote) == (source.pk, "supports", "p. 3")
    again = services.share_cluster_sources(claim=b, by=editor, expected_version=b.version)
    assert again.version == b.version  # nothing new to share: no new version


def test_a_verdict_is_offered_never_copied(editor, reviewer):
    a, b = claim_in(editor), claim_in(editor)
    a = services.update_claim(
        claim=a, by=reviewer, expected_version=a.version, verdict="false", status="reviewed"
    )
    b = services.confirm_same_claim(claim=b, other=a, by=editor, expected_version=b.version)
    assert b.verdict == ""  # confirming copies nothing
    [offer] = find_matches(b, editor).checks
    assert offer.claim.pk == a.pk
    with pytest.raises(PermissionDenied):
        services.adopt_verdict(claim=b, other=a, by=editor, expected_version=b.version)
    b = services.adopt_verdict(claim=b, other=a, by=reviewer, expected_version=b.version)
    assert (b.verdict, b.status) == ("false", "reviewed")


def test_a_verdict_on_another_figure_is_not_adopted(editor, reviewer):
    a = claim_in(editor, "around 180,000 asylum seekers since April 2022")
    b = claim_in(editor)
    a = services.update_claim(
        claim=a, by=reviewer, expected_version=a.version, verdict="false", status="reviewed"
    )
    with pytest.raises(ValidationError, match="figures differ"):
        services.adopt_verdict(claim=b, other=a, by=reviewer, expected_version=b.version)


# --- The panel section ---------------------------------------------------------------------------------


def test_the_panel_section_shows_the_other_article_and_the_fact_check(client, editor):
    first = claim_in(editor, title="First article")
    second = claim_in(editor)
    fact_check(reviewed_on="2024-04-12")
    client.force_login(editor)
    page = client.get(reverse("claim_matches", args=[second.pk]), HTTP_HX_REQUEST="true")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Also in 1 article" in html
    assert 'Checked by <strong>PolitiFact</strong>: <span class="rating">Mostly true</span>, 2024' in html
    assert "First article" in html and f'name="claim" value="{first.pk}"' in html
    response = client.post(
        reverse("claim_match_confirm", args=[second.pk]),
        {"claim": first.pk, "version": second.version},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert refreshed(second).cluster_id == refreshed(first).cluster_id is not None


def test_a_suggested_sentence_says_where_else_it_was_claimed_and_checked(client, editor, researcher):
    first = claim_in(editor)
    fact_check(reviewed_on="2024-04-12")
    article = ArticleFactory.create(text=DEMO_ARTICLE.read_text(encoding="utf-8"))
    suggestion = Suggestion.objects.get(article=article, kind=Suggestion.Kind.FIGURE, text=QUOTE)
    client.force_login(researcher)  # reading is enough
    workspace = client.get(reverse("article_detail", args=[article.pk])).content.decode()
    assert reverse("suggestion_matches", args=[suggestion.pk]) in workspace
    page = client.get(reverse("suggestion_matches", args=[suggestion.pk]), HTTP_HX_REQUEST="true")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Also in 1 article" in html and "Checked by <strong>PolitiFact</strong>: Mostly true, 2024" in html
    assert first.article_id != article.pk


def test_the_panel_refuses_a_related_claim_with_the_reason(client, editor):
    first = claim_in(editor)
    near = claim_in(editor, "around 180,000 asylum seekers since April 2022")
    client.force_login(editor)
    response = client.post(
        reverse("claim_match_confirm", args=[near.pk]),
        {"claim": first.pk, "version": 1},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "figures differ: 180,000 here, 160,000 there" in response.content.decode()
    assert refreshed(near).cluster_id is None


@pytest.mark.parametrize("field", ["claim", "fact_check"])
@pytest.mark.parametrize("value", ["abc", "99999999", "\x00"])
def test_the_panel_answers_bad_ids_plainly(client, editor, field, value):
    claim = claim_in(editor)
    client.force_login(editor)
    response = client.post(
        reverse("claim_match_dismiss", args=[claim.pk]), {field: value}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code in (400, 404)
    assert response["Content-Type"].startswith("text/plain")


def test_the_claims_list_filters_by_cluster_and_fact_check(client, editor):
    a, b, c = claim_in(editor), claim_in(editor), claim_in(editor, "The weather was fine", text="{quote}.")
    b = services.confirm_same_claim(claim=b, other=a, by=editor, expected_version=b.version)
    services.confirm_fact_check(claim=b, fact_check=fact_check(), by=editor, expected_version=b.version)
    client.force_login(editor)

    api = client_for(editor)

    def api_ids(query: str) -> set[int]:
        return {row["id"] for row in api.get("/api/v1/claims/" + query).json()["results"]}

    assert api_ids("?in_cluster=true") == {a.pk, b.pk}
    assert api_ids("?in_cluster=false") == {c.pk}
    assert api_ids("?has_fact_check=true") == {b.pk}
    assert api_ids(f"?cluster={b.cluster_id}") == {a.pk, b.pk}
    html = client.get(reverse("claim_list") + "?has_fact_check=true").content.decode()
    assert f"claim={b.pk}" in html and f"claim={a.pk}" not in html
    page = client.get(reverse("claim_list")).content.decode()
    assert 'name="in_cluster"' in page and 'name="has_fact_check"' in page


# --- The API ---------------------------------------------------------------------------------------------


def test_the_api_lists_matches(editor, researcher):
    first, second = claim_in(editor), claim_in(editor)
    second = services.confirm_same_claim(
        claim=second, other=first, by=editor, expected_version=second.version
    )
    check = fact_check(reviewed_on="2024-04-12")
    near = claim_in(editor, "around 180,000 asylum seekers since April 2022")
    response = client_for(researcher).get(f"/api/v1/claims/{second.pk}/matches/")
    assert response.status_code == 200
    data = response.json()
    assert data["claim"] == second.pk and data["cluster"] == second.cluster_id
    assert data["article_count"] == 1
    tiers = [(m["id"], m["tier"]) for m in data["claims"]]
    assert tiers == [(first.pk, "confirmed"), (near.pk, "related")]
    assert data["claims"][0]["url"].endswith(f"/api/v1/claims/{first.pk}/")
    assert data["claims"][1]["difference"].startswith("figures differ")
    [fc] = data["fact_checks"]
    assert (fc["tier"], fc["fact_check"]["id"], fc["fact_check"]["publisher"]) == (
        "suggested",
        check.pk,
        "PolitiFact",
    )
    assert fc["fact_check"]["reviewed_on"] == "2024-04-12" and 0.6 <= fc["score"] <= 1.0


def test_the_api_matches_404_for_what_is_not_there(editor):
    claim = claim_in(editor)
    api = client_for(editor)
    assert api.get("/api/v1/claims/999999999/matches/").status_code == 404
    nobody = UserFactory.create(username="norole", role="")
    assert client_for(nobody).get(f"/api/v1/claims/{claim.pk}/matches/").status_code in (403, 404)
    assert client_for(None).get(f"/api/v1/claims/{claim.pk}/matches/").status_code == 401


def test_the_cluster_is_in_the_claim_json_and_the_exports(editor):
    first, second = claim_in(editor), claim_in(editor)
    second = services.confirm_same_claim(
        claim=second, other=first, by=editor, expected_version=second.version
    )
    api = client_for(editor)
    assert api.get(f"/api/v1/claims/{second.pk}/").json()["cluster"] == second.cluster_id
    lines = _body(api.get("/api/v1/export/claims.jsonl")).splitlines()
    assert {json.loads(line)["cluster"] for line in lines} == {second.cluster_id}
    body = _body(api.get("/api/v1/export/claims.csv")).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert {row["cluster"] for row in rows} == {str(second.cluster_id)}


# --- A large index is built beside the requests, never inside one ---------------------------------------


@pytest.fixture
def held(monkeypatch):
    """Background builds wait until the test lets them go (`held.set()`), so that what a lookup answers
    meanwhile is seen deterministically."""
    gate = threading.Event()
    build, live_index = matches.Corpus._build, LiveIndex

    def held_back() -> None:
        if threading.current_thread() is not threading.main_thread():
            assert gate.wait(timeout=60)

    def held_build(self):
        held_back()
        return build(self)

    def held_index(*args, **kwargs):
        held_back()
        return live_index(*args, **kwargs)

    monkeypatch.setattr(matches.Corpus, "_build", held_build)
    monkeypatch.setattr(matches, "LiveIndex", held_index)
    monkeypatch.setattr(matches, "INLINE_BUILD", 1)  # a corpus of two rows or more is "large"
    yield gate
    gate.set()


def _finish(gate: threading.Event) -> None:
    building = matches.CLAIMS.building
    assert building is not None
    gate.set()
    building.join(timeout=60)
    assert matches.CLAIMS.building is None


@pytest.mark.django_db(transaction=True)
def test_a_large_index_is_built_in_the_background_and_said_so(client, editor, held):
    first, second = claim_in(editor), claim_in(editor)
    with pytest.raises(matches.Warming) as warming:
        find_matches(first, editor)
    assert warming.value.rows == 2
    response = client_for(editor).get(f"/api/v1/claims/{first.pk}/matches/")
    assert response.status_code == 503 and int(response["Retry-After"]) > 0
    assert "being built" in response.json()["error"]["message"]
    client.force_login(editor)
    page = client.get(reverse("claim_matches", args=[first.pk]), HTTP_HX_REQUEST="true")
    assert page.status_code == 200 and "still indexing 2 texts" in page.content.decode()
    _finish(held)
    assert [m.claim.pk for m in find_matches(first, editor).claims] == [second.pk]


def test_a_stale_large_index_is_rebuilt_beside_the_one_in_use(editor, held, monkeypatch):
    monkeypatch.setattr(matches, "INLINE_BUILD", 100)
    first, second = claim_in(editor), claim_in(editor)
    assert find_matches(first, editor).claims  # built inline
    monkeypatch.setattr(matches, "INLINE_BUILD", 1)
    monkeypatch.setattr("annotations.matching.live.REBUILD_AFTER", 0)
    monkeypatch.setattr("annotations.matching.live.REBUILD_SHARE", 0.0)
    third = claim_in(editor)
    found = find_matches(first, editor)  # the delta makes it stale: a rebuild starts in a thread
    assert {m.claim.pk for m in found.claims} == {second.pk, third.pk}  # answered by the one in use
    in_use = matches.CLAIMS.index
    _finish(held)
    assert matches.CLAIMS.index is not in_use and matches.CLAIMS.index is not None
    assert not matches.CLAIMS.index.delta  # the rebuilt index holds all three in its base
    fourth = claim_in(editor)
    assert {m.claim.pk for m in find_matches(first, editor).claims} == {second.pk, third.pk, fourth.pk}


# --- The linked-data formats ------------------------------------------------------------------------------


def _clustered_and_checked(editor, reviewer) -> tuple[Claim, Claim, FactCheck]:
    first = claim_in(editor, title="Morning edition")
    second = claim_in(editor, title="Evening edition")
    second = services.confirm_same_claim(
        claim=second, other=first, by=editor, expected_version=second.version
    )
    check = fact_check()
    second = services.confirm_fact_check(
        claim=second, fact_check=check, by=editor, expected_version=second.version
    )
    second = services.update_claim(
        claim=second, by=reviewer, expected_version=second.version, verdict="mostly_true", status="reviewed"
    )
    return refreshed(first), second, check


def test_claimreview_names_the_other_appearances_and_the_confirmed_fact_check(editor, reviewer, researcher):
    first, second, check = _clustered_and_checked(editor, reviewer)
    review = client_for(researcher).get(f"/api/v1/claims/{second.pk}/?format=claimreview").json()
    item = review["itemReviewed"]
    assert item["@type"] == "Claim"
    assert [a["headline"] for a in item["appearance"]] == ["Evening edition", "Morning edition"]
    assert item["appearance"][1]["url"] == first.article.url
    assert item["sameAs"] == [f"http://testserver/api/v1/claims/{first.pk}/"]
    assert review["citation"] == [check.url]


def test_w3c_links_the_same_claim_and_the_fact_check_and_meets_the_musts(
    editor, reviewer, researcher, tmp_path
):
    from tests.api.test_api_formats import assert_w3c_conformant, w3c_problems

    first, second, check = _clustered_and_checked(editor, reviewer)
    anno = client_for(researcher).get(f"/api/v1/claims/{second.pk}/?format=w3c").json()
    links = [(b["source"], b["relation"]) for b in anno["body"] if b.get("purpose") == "linking"]
    assert (f"http://testserver/api/v1/claims/{first.pk}/", "same_claim") in links
    assert (check.url, "fact_check") in links
    assert w3c_problems(anno) == []
    assert_w3c_conformant(anno, tmp_path / "anno.json")
    page = client_for(researcher).get("/api/v1/claims/?format=w3c").json()
    items = page["first"]["items"]
    assert all(w3c_problems(item, context_required=False) == [] for item in items)
