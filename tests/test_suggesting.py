"""Suggestions stored on import, shown on the article page, accepted as claims or dismissed for everyone."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from annotations import services
from annotations.importing import ArticleInput
from annotations.models import Suggestion
from tests.api.helpers import client_for
from tests.factories import ArticleFactory
from tests.suggestions.articles import long_article

pytestmark = pytest.mark.django_db

DEMO = (
    Path(__file__).resolve().parent.parent
    / "annotations"
    / "fixtures"
    / "demo"
    / "ice-nyc-sanctuary-talks.txt"
)
FIGURE = "around 160,000 asylum seekers since April 2022"


@pytest.fixture
def demo(db):
    return ArticleFactory.create(title="Demo", text=DEMO.read_text(), url="https://n.example/demo")


def test_importing_an_article_stores_its_suggestions(demo):
    stored = Suggestion.objects.filter(revision=demo.current_revision)
    figure = stored.get(kind="figure")
    assert figure.text == FIGURE and figure.figure_kind == "quantity"
    text = demo.current_revision.text
    assert text[figure.start : figure.end] == FIGURE
    sentences = stored.filter(kind="sentence")
    assert sentences.exists()
    assert all(text[s.start : s.end] == s.text and 0.12 <= s.score <= 1 for s in sentences)
    its_sentence = sentences.get(text__contains="160,000")
    assert its_sentence.score < figure.score < 1  # one scale: the figure scores from its sentence


def test_accepting_a_figure_makes_a_statistic_claim(demo, editor):
    figure = Suggestion.objects.get(article=demo, kind="figure")
    claim = services.accept_suggestion(suggestion=figure, by=editor)
    assert claim.exact == FIGURE and list(claim.tags.values_list("slug", flat=True)) == ["statistic"]
    figure.refresh_from_db()
    assert figure.claim == claim
    assert not Suggestion.objects.filter(pk=figure.pk).open().exists()
    with pytest.raises(ValidationError, match="already accepted"):
        services.accept_suggestion(suggestion=figure, by=editor)


def test_a_researcher_cannot_accept_or_dismiss(demo, researcher):
    figure = Suggestion.objects.get(article=demo, kind="figure")
    with pytest.raises(PermissionDenied):
        services.accept_suggestion(suggestion=figure, by=researcher)
    with pytest.raises(PermissionDenied):
        services.dismiss_suggestion(suggestion=figure, by=researcher)


def test_a_dismissal_holds_for_everyone_and_for_later_revisions(demo, editor):
    sentence = Suggestion.objects.filter(article=demo, kind="sentence").order_by("-score").first()
    assert sentence is not None
    services.dismiss_suggestion(suggestion=sentence, by=editor)
    services.import_article(
        article_input=ArticleInput.build(title="Demo", url=demo.url, text="Update.\n\n" + DEMO.read_text())
    )
    demo.refresh_from_db()
    again = Suggestion.objects.get(revision=demo.current_revision, kind="sentence", text=sentence.text)
    assert again.dismissed_at is not None


def test_a_suggestion_of_an_old_revision_cannot_be_accepted(demo, editor):
    figure = Suggestion.objects.get(article=demo, kind="figure")
    services.import_article(
        article_input=ArticleInput.build(title="Demo", url=demo.url, text="Update.\n\n" + DEMO.read_text())
    )
    with pytest.raises(ValidationError, match="older revision"):
        services.accept_suggestion(suggestion=figure, by=editor)


def test_the_article_opens_with_suggestions_and_the_toggle_hides_them(client, demo, editor):
    client.force_login(editor)
    page = reverse("article_detail", args=[demo.pk])
    assert 'class="sg ' in client.get(page).content.decode()
    assert client.post(reverse("suggestions_toggle", args=[demo.pk])).status_code == 302
    assert 'class="sg ' not in client.get(page).content.decode()
    client.post(reverse("suggestions_toggle", args=[demo.pk]))
    html = client.get(page).content.decode()
    figure = Suggestion.objects.get(article=demo, kind="figure")
    assert f'id="suggestion-item-{figure.pk}"' in html and "sg-figure" in html and "Claim it" in html
    response = client.post(reverse("suggestion_accept", args=[figure.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 201 and FIGURE in response.content.decode()
    html = client.get(page).content.decode()
    assert f'id="suggestion-item-{figure.pk}"' not in html  # accepted: no longer suggested
    sentence = Suggestion.objects.filter(article=demo, kind="sentence").first()
    assert sentence is not None
    client.post(reverse("suggestion_dismiss", args=[sentence.pk]), HTTP_HX_REQUEST="true")
    assert f'id="suggestion-item-{sentence.pk}"' not in client.get(page).content.decode()


def test_the_api_lists_the_suggestions_of_the_current_revision(demo, editor, researcher):
    url = f"/api/v1/articles/{demo.pk}/suggestions/"
    response = client_for(researcher).get(url)
    assert response.status_code == 200
    body = response.json()
    assert body[0]["kind"] == "figure" and body[0]["text"] == FIGURE and body[0]["strength"] == "high"
    text = demo.current_revision.text
    assert all(text[s["start"] : s["end"]] == s["text"] for s in body)
    assert {s["kind"] for s in body} == {"figure", "sentence"}
    services.dismiss_suggestion(suggestion=Suggestion.objects.get(pk=body[1]["id"]), by=editor)
    after = client_for(researcher).get(url).json()
    assert body[1]["id"] not in [s["id"] for s in after] and len(after) == len(body)
    everything = client_for(researcher).get(url, {"all": "true"}).json()
    assert next(s for s in everything if s["id"] == body[1]["id"])["dismissed"] is True
    assert client_for(researcher).get("/api/v1/articles/999999/suggestions/").status_code == 404
    assert client_for(None).get(url).status_code == 401


def test_suggestions_on_the_page_are_escaped_and_their_forms_carry_the_csrf_token(client, editor):
    from annotations.web.fragments import suggestion_items

    hostile = Suggestion(pk=7, kind="sentence", score=0.5, text='<script>x("&")</script>"q"')
    html = suggestion_items(
        [hostile],
        True,
        'tok"en',
        "/suggestions/0/accept/",
        "/suggestions/0/dismiss/",
        "/suggestions/0/matches/",
    )
    assert "<script>" not in html and "&lt;script&gt;x(&quot;&amp;&quot;)&lt;/script&gt;" in html
    assert 'value="tok&quot;en"' in html and 'action="/suggestions/7/accept/"' in html
    # On the page: every suggestion's two forms carry the request's CSRF token.
    article = ArticleFactory.create(title="Figures", text="Officials said 4,000 people arrived in 2023.")
    client.force_login(editor)
    page = client.get(reverse("article_detail", args=[article.pk]))
    figure = Suggestion.objects.filter(article=article, kind="figure").first()
    assert figure is not None
    html = page.content.decode()
    item = html[html.index(f'id="suggestion-item-{figure.pk}"') :]
    item = item[: item.index("</li>")]
    # (A masked token: a new mask per use, the same secret the CSRF middleware checks.)
    assert len(re.findall(r'name="csrfmiddlewaretoken" value="[A-Za-z0-9]{64}"', item)) == 2
    assert f'hx-post="{reverse("suggestion_accept", args=[figure.pk])}"' in item


def test_a_researcher_sees_suggestions_without_forms(client, demo, researcher):
    client.force_login(researcher)
    html = client.get(reverse("article_detail", args=[demo.pk])).content.decode()
    assert 'id="suggestion-item-' in html and "Claim it" not in html


def test_words_claimed_by_hand_are_not_suggested_again_nor_claimed_twice(demo, editor):
    figure = Suggestion.objects.get(article=demo, kind="figure")
    claim = services.create_claim(article=demo, by=editor, start=figure.start, end=figure.end)
    assert figure not in Suggestion.objects.shown_on(demo.current_revision)
    with pytest.raises(ValidationError, match=f"already claimed \\(claim {claim.pk}\\)"):
        services.accept_suggestion(suggestion=figure, by=editor)
    with pytest.raises(ValidationError, match="already claimed"):
        services.create_claim(article=demo, by=editor, exact=FIGURE)
    assert demo.claims.count() == 1


def test_a_suggestion_inside_a_longer_claim_is_not_offered_in_this_or_a_later_revision(
    demo, editor, researcher
):
    figure = Suggestion.objects.get(article=demo, kind="figure")
    text = demo.current_revision.text
    start, end = text.rindex(".", 0, figure.start) + 2, text.index(".", figure.end) + 1
    services.create_claim(article=demo, by=editor, start=start, end=end)  # the figure's whole sentence
    url = f"/api/v1/articles/{demo.pk}/suggestions/"
    assert FIGURE not in [s["text"] for s in client_for(researcher).get(url).json()]
    assert FIGURE in [s["text"] for s in client_for(researcher).get(url, {"all": "true"}).json()]
    # A new revision suggests the figure again, but the claim was carried over it.
    ArticleFactory.create(
        title="Demo", url="https://n.example/demo", text="Update: a new first line.\n\n" + text
    )
    demo.refresh_from_db()
    assert Suggestion.objects.filter(revision=demo.current_revision, text=FIGURE).exists()
    assert FIGURE not in [s.text for s in Suggestion.objects.shown_on(demo.current_revision)]


def _shown_on_page(client, article) -> list[int]:
    html = client.get(reverse("article_detail", args=[article.pk])).content.decode()
    return [int(pk) for pk in re.findall(r'id="suggestion-item-(\d+)"', html)]


def test_a_long_article_offers_a_few_suggestions_per_thousand_words(researcher, settings):
    settings.SUGGESTIONS_PER_1000_WORDS = 5
    text = long_article(words=15_000)
    article = ArticleFactory.create(title="Long", text=text, url="https://n.example/long")
    url = f"/api/v1/articles/{article.pk}/suggestions/"
    shown = client_for(researcher).get(url).json()
    assert len(shown) == math.ceil(len(text.split()) * 5 / 1000) == 76
    assert Suggestion.objects.filter(article=article).count() > 10 * len(shown)
    assert {s["kind"] for s in shown} == {"figure", "sentence"}
    figures = set(article.suggestions.filter(kind="figure").values_list("text", flat=True))
    assert figures == {
        "around 160,000 asylum seekers since April 2022",
        "$4.2 billion",
        "rose to 12 percent in 2023",
    }
    settings.SUGGESTIONS_PER_1000_WORDS = 2
    assert len(client_for(researcher).get(url).json()) == 31
    settings.SUGGESTIONS_PER_1000_WORDS = 0  # no cap
    assert len(client_for(researcher).get(url).json()) == Suggestion.objects.filter(article=article).count()


def test_the_page_shows_the_suggestions_the_api_lists_in_its_order(client, editor, researcher, settings):
    settings.SUGGESTIONS_PER_1000_WORDS = 5
    text = long_article(words=3_000)
    article = ArticleFactory.create(title="Long", text=text, url="https://n.example/l")
    listed = [
        s["id"] for s in client_for(researcher).get(f"/api/v1/articles/{article.pk}/suggestions/").json()
    ]
    assert len(listed) == math.ceil(len(text.split()) * 5 / 1000) < article.suggestions.count()
    client.force_login(editor)
    assert _shown_on_page(client, article) == listed


def test_a_dismissed_or_claimed_suggestion_lets_the_next_best_in(demo, editor, researcher, settings):
    settings.SUGGESTIONS_PER_1000_WORDS = 5
    url = f"/api/v1/articles/{demo.pk}/suggestions/"
    ranked = [s["id"] for s in client_for(researcher).get(url, {"all": "true"}).json()]
    assert [s["id"] for s in client_for(researcher).get(url).json()] == ranked[:3]
    services.dismiss_suggestion(suggestion=Suggestion.objects.get(pk=ranked[1]), by=editor)
    assert [s["id"] for s in client_for(researcher).get(url).json()] == [ranked[0], ranked[2], ranked[3]]
    services.accept_suggestion(suggestion=Suggestion.objects.get(pk=ranked[0]), by=editor)
    assert [s["id"] for s in client_for(researcher).get(url).json()] == ranked[2:5]


def test_suggestions_are_listed_by_one_score_not_figures_first(article):
    revision = article.current_revision
    Suggestion.objects.filter(revision=revision).delete()
    Suggestion.objects.bulk_create(
        Suggestion(article=article, revision=revision, kind=kind, start=i, end=i + 2, text=t, score=score)
        for i, (kind, t, score) in enumerate(
            [
                ("figure", "$5", 0.13),
                ("sentence", "strong", 0.5),
                ("figure", "$4bn", 0.4),
                ("sentence", "so", 0.3),
            ]
        )
    )
    ordered = Suggestion.objects.filter(revision=revision).in_showing_order()
    assert [s.text for s in ordered] == ["strong", "$4bn", "so", "$5"]
    assert [s.strength for s in ordered] == ["high", "high", "high", "low"]


def test_suggestions_carry_their_claim_type_in_the_api_and_on_the_page(client, demo, editor, researcher):
    stored = Suggestion.objects.filter(revision=demo.current_revision)
    assert stored.get(kind="figure").claim_type == "quantity"
    url = f"/api/v1/articles/{demo.pk}/suggestions/"
    body = client_for(researcher).get(url).json()
    assert all(
        s["claim_type"] in {"quantity", "comparison", "prediction", "law", "causation", "experience", "other"}
        for s in body
    )
    quantities = client_for(researcher).get(url, {"claim_type": "quantity"}).json()
    assert quantities and all(s["claim_type"] == "quantity" for s in quantities)
    assert {s["id"] for s in quantities} == {s["id"] for s in body if s["claim_type"] == "quantity"}
    refused = client_for(researcher).get(url, {"claim_type": "gossip"})
    assert refused.status_code == 400 and "claim_type" in refused.content.decode()
    cleared = client_for(researcher).get(url, {"claim_type": ""})  # a cleared filter is no filter
    assert cleared.status_code == 200 and [s["id"] for s in cleared.json()] == [s["id"] for s in body]
    client.force_login(editor)
    page = client.get(reverse("article_detail", args=[demo.pk])).content.decode()
    assert 'class="badge claim-type ct-quantity">Quantity</span>' in page


def test_the_migration_gives_stored_suggestions_their_claim_type(demo):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("annotations.migrations.0016_suggestion_claim_type")
    stored = Suggestion.objects.filter(revision=demo.current_revision)
    expected = dict(stored.values_list("pk", "claim_type"))
    assert "quantity" in expected.values()
    stored.update(claim_type="other")  # as the rows were before the field existed
    migration.classify_stored(apps, None)
    assert dict(stored.values_list("pk", "claim_type")) == expected
