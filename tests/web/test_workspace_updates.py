"""What a change answers inside htmx: only what it touched, and a failure as a short message."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from annotations import services
from annotations.importing import ArticleInput
from annotations.models import Claim, Suggestion
from tests.conftest import DEMO_TEXT
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
QUOTE = "around 160,000 asylum seekers since April 2022"


@pytest.fixture
def editor_client(client: Client, editor) -> Client:
    client.force_login(editor)
    return client


@pytest.fixture(params=[True, False], ids=["debug", "production"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


def _offsets(text: str, quote: str) -> dict[str, object]:
    start = text.index(quote)
    return {"start": start, "end": start + len(quote), "exact": quote}


def test_saving_a_deleted_claim_answers_a_message_not_a_page(editor_client, article, editor, debug):
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    services.delete_claim(claim=claim, by=editor, expected_version=1)
    for name in ("claim_update", "claim_toggle_tag", "claim_attach_source", "claim_delete", "claim_panel"):
        url = reverse(name, args=[claim.pk])
        response = (editor_client.get if name == "claim_panel" else editor_client.post)(
            url, {"version": 1}, **HX
        )
        assert response.status_code == 404, name
        assert response["Content-Type"].startswith("text/plain"), name
        assert response.content.decode().startswith("This claim is no longer here"), name
    # A full page load still gets Django's own 404 page.
    assert editor_client.post(reverse("claim_update", args=[claim.pk]), {"version": 1}).status_code == 404


def test_a_form_without_its_version_and_a_role_that_may_not_are_messages(
    client, article, editor, researcher, debug
):
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    client.force_login(editor)
    response = client.post(reverse("claim_delete", args=[claim.pk]), {}, **HX)
    assert (response.status_code, response["Content-Type"]) == (400, "text/plain")
    assert "reload the page" in response.content.decode()
    client.force_login(researcher)
    response = client.post(
        reverse("claim_create", args=[article.pk]), _offsets(DEMO_TEXT, "legislation"), **HX
    )
    assert (response.status_code, response["Content-Type"]) == (403, "text/plain")
    assert response.content.decode() == "Your role may not create claim"


def test_claiming_on_an_old_revision_says_which_is_current(editor_client, article, debug):
    services.import_article(
        article_input=ArticleInput.build(title=article.title, url=article.url, text=DEMO_TEXT + " More.")
    )
    data = _offsets(DEMO_TEXT, QUOTE) | {"revision": 1}
    response = editor_client.post(reverse("claim_create", args=[article.pk]), data, **HX)
    assert (response.status_code, response["Content-Type"]) == (400, "text/plain")
    assert "revision 1 is not the current revision (2)" in response.content.decode()


def test_a_note_save_answers_the_panel_and_the_list_item_only(editor_client, article, editor):
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    response = editor_client.post(
        reverse("claim_update", args=[claim.pk]), {"version": 1, "note": "n", "status": "in_review"}, **HX
    )
    html = response.content.decode()
    assert 'id="claim-detail"' in html and "Saved." in html
    item = re.search(rf'<li id="claim-item-{claim.pk}"[^>]*>', html)
    assert item is not None and 'hx-swap-oob="true"' in item.group(0)
    assert 'data-mark-look="status-in_review anchor-anchored"' in item.group(0)
    for whole in ('id="article-text"', 'id="claims"', 'id="suggestions"', 'id="attention"', "text-r1-p"):
        assert whole not in html, whole
    assert DEMO_TEXT[:200] not in html


def test_creating_a_claim_answers_its_part_of_the_text_and_its_place_in_the_list(editor_client, editor):
    text = "\n\n".join(["The opening paragraph.", DEMO_TEXT, "A closing paragraph, 42 words long."])
    article = ArticleFactory.create(text=text)
    first = services.create_claim(article=article, by=editor, exact="opening paragraph")
    services.create_claim(article=article, by=editor, exact="legislation in 2018")
    response = editor_client.post(reverse("claim_create", args=[article.pk]), _offsets(text, QUOTE), **HX)
    assert response.status_code == 201
    html = response.content.decode()
    claim = Claim.objects.get(exact=QUOTE)
    assert f'hx-swap-oob="afterend:#claim-item-{first.pk}"' in html  # listed in text order
    assert '<span id="claim-count" class="count" hx-swap-oob="true">3</span>' in html
    # The paragraph the claim is in (and any where a suggestion came in, its place freed), not the rest.
    sent = re.findall(r'id="text-r1-p(\d+)"', html)
    assert "1" in sent and "0" not in sent and "opening paragraph" not in html
    assert f'data-claim="{claim.pk}"' in html
    page = editor_client.get(reverse("article_detail", args=[article.pk])).content.decode()
    assert re.findall(r'id="text-r1-p(\d+)"', page) == ["0", "1", "2"]


def test_deleting_a_claim_takes_its_item_and_marks_away_and_gives_back_its_suggestion(editor_client, article):
    suggestion = Suggestion.objects.filter(revision=article.current_revision).open().first()
    assert suggestion is not None
    response = editor_client.post(reverse("suggestion_accept", args=[suggestion.pk]), **HX)
    assert response.status_code == 201
    assert f'<li id="suggestion-item-{suggestion.pk}" hx-swap-oob="delete"></li>' in response.content.decode()
    claim = Claim.objects.get()
    response = editor_client.post(reverse("claim_delete", args=[claim.pk]), {"version": claim.version}, **HX)
    html = response.content.decode()
    assert f'<li id="claim-item-{claim.pk}" hx-swap-oob="delete"></li>' in html
    assert f'data-claim="{claim.pk}"' not in html
    assert f'id="suggestion-item-{suggestion.pk}"' in html  # offered again, in its ranked place


def test_the_attention_list_links_each_claim_and_follows_its_changes(editor_client, article, editor):
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    services.import_article(
        article_input=ArticleInput.build(
            title=article.title, url=article.url, text="Something else entirely."
        )
    )
    page = editor_client.get(reverse("article_detail", args=[article.pk])).content.decode()
    link = f'class="attention-claim" href="/articles/{article.pk}/?claim={claim.pk}"'
    assert f'{link} hx-get="/claims/{claim.pk}/"' in page
    claim.refresh_from_db()
    response = editor_client.post(
        reverse("claim_update", args=[claim.pk]),
        {"version": claim.version, "note": "x", "status": "draft"},
        **HX,
    )
    html = response.content.decode()
    # Its forms there carry the claim's version, which the save moved on.
    assert 'id="attention"' in html and f'name="version" value="{claim.version + 1}"' in html
