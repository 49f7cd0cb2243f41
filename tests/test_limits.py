"""Input limits are defined once (models.py) and every door enforces the same: the HTML form, the API and
the services the import command and both of them go through."""

from __future__ import annotations

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse

from annotations import services
from annotations.importing import ArticleInput, BadArticle
from annotations.models import Article, Claim, ClaimSource, Source, Tag
from annotations.web.forms import ArticleForm, ClaimEditForm, SourceAttachForm
from tests.api.helpers import client_for, etag_of

pytestmark = pytest.mark.django_db

QUOTE = "around 160,000 asylum seekers since April 2022"
HX = {"HTTP_HX_REQUEST": "true"}
LONG_NOTE = "x" * (Claim.NOTE_MAX_LENGTH + 1)


@pytest.fixture
def claim(article, editor) -> Claim:
    return services.create_claim(article=article, by=editor, exact=QUOTE)


def test_the_forms_use_the_models_limits():
    note = ClaimEditForm.base_fields["note"]
    quote = SourceAttachForm.base_fields["quote"]
    title = SourceAttachForm.base_fields["title"]
    article_title = ArticleForm.base_fields["title"]
    assert isinstance(note, forms.CharField) and isinstance(quote, forms.CharField)
    assert isinstance(title, forms.CharField) and isinstance(article_title, forms.CharField)
    assert note.max_length == Claim.NOTE_MAX_LENGTH
    assert quote.max_length == ClaimSource.QUOTE_MAX_LENGTH
    assert title.max_length == Source._meta.get_field("title").max_length
    assert article_title.max_length == Article._meta.get_field("title").max_length
    assert Tag._meta.get_field("name").max_length == Tag._meta.get_field("slug").max_length


# --- the service, behind every door ----------------------------------------------------------------------


def test_the_service_refuses_an_over_long_note_naming_the_field(claim, editor):
    with pytest.raises(ValidationError) as refused:
        services.update_claim(claim=claim, by=editor, expected_version=1, note=LONG_NOTE)
    assert list(refused.value.message_dict) == ["note"]
    assert "10,000" in refused.value.message_dict["note"][0]
    claim.refresh_from_db()
    assert (claim.note, claim.version) == ("", 1)


def test_a_note_of_exactly_the_limit_is_kept(claim, editor):
    note = "x" * Claim.NOTE_MAX_LENGTH
    updated = services.update_claim(claim=claim, by=editor, expected_version=1, note=note)
    assert (len(updated.note), updated.version) == (Claim.NOTE_MAX_LENGTH, 2)


def test_a_new_claim_with_an_over_long_note_is_refused(article, editor):
    with pytest.raises(ValidationError) as refused:
        services.create_claim(article=article, by=editor, exact=QUOTE, note=LONG_NOTE)
    assert list(refused.value.message_dict) == ["note"]
    assert not Claim.objects.exists()


def test_the_service_refuses_an_over_long_source_quote_and_title(claim, editor):
    source = services.find_or_create_source(url="https://www.nyc.gov/asylum", title="NYC", by=editor)
    with pytest.raises(ValidationError) as refused:
        services.attach_source(
            claim=claim,
            source=source,
            relation="supports",
            quote="q" * (ClaimSource.QUOTE_MAX_LENGTH + 1),
            by=editor,
            expected_version=1,
        )
    assert list(refused.value.message_dict) == ["quote"]
    with pytest.raises(ValidationError) as refused:
        services.find_or_create_source(
            url="https://example.org/long", title="t" * (Source.TITLE_MAX_LENGTH + 1), by=editor
        )
    assert list(refused.value.message_dict) == ["title"]
    assert not ClaimSource.objects.exists()


def test_the_import_refuses_an_over_long_title():
    with pytest.raises(BadArticle, match="500"):
        ArticleInput.build(title="t" * (Article.TITLE_MAX_LENGTH + 1), text="Some text.")


# --- the HTML form ---------------------------------------------------------------------------------------


def test_the_edit_form_refuses_an_over_long_note(client, claim, editor):
    client.force_login(editor)
    response = client.post(
        reverse("claim_update", args=[claim.pk]), {"version": 1, "note": LONG_NOTE, "status": "draft"}, **HX
    )
    assert response.status_code == 422
    assert "at most 10000 characters" in response.content.decode()
    claim.refresh_from_db()
    assert (claim.note, claim.version) == ("", 1)


def test_the_attach_form_refuses_an_over_long_quote(client, claim, editor):
    client.force_login(editor)
    response = client.post(
        reverse("claim_attach_source", args=[claim.pk]),
        {
            "version": 1,
            "url": "https://www.nyc.gov/asylum",
            "title": "NYC asylum data",
            "relation": "supports",
            "quote": "q" * (ClaimSource.QUOTE_MAX_LENGTH + 1),
        },
        **HX,
    )
    assert response.status_code == 422
    assert "at most 5000 characters" in response.content.decode()
    assert not ClaimSource.objects.exists()


# --- the API ---------------------------------------------------------------------------------------------


def test_the_api_refuses_an_over_long_note_with_400(claim, editor):
    response = client_for(editor).patch(
        f"/api/v1/claims/{claim.pk}/", {"note": LONG_NOTE}, format="json", HTTP_IF_MATCH=etag_of(claim)
    )
    assert response.status_code == 400, response.content[:500]
    error = response.json()["error"]
    assert list(error["fields"]) == ["note"]
    assert "10,000" in error["fields"]["note"][0]
    claim.refresh_from_db()
    assert (claim.note, claim.version) == ("", 1)


def test_the_api_refuses_a_new_claim_with_an_over_long_note(article, editor):
    start = article.current_revision.text.index(QUOTE)
    response = client_for(editor).post(
        "/api/v1/claims/",
        {"article": article.pk, "start": start, "end": start + len(QUOTE), "note": LONG_NOTE},
        format="json",
    )
    assert response.status_code == 400, response.content[:500]
    assert list(response.json()["error"]["fields"]) == ["note"]
    assert not Claim.objects.exists()


def test_the_api_takes_a_note_of_exactly_the_limit(claim, editor):
    note = "x" * Claim.NOTE_MAX_LENGTH
    response = client_for(editor).patch(
        f"/api/v1/claims/{claim.pk}/", {"note": note}, format="json", HTTP_IF_MATCH=etag_of(claim)
    )
    assert response.status_code == 200
    claim.refresh_from_db()
    assert len(claim.note) == Claim.NOTE_MAX_LENGTH
