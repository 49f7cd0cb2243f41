"""Every model is usable in the Django admin: lists with search and filters, change pages."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from annotations import monitoring, services
from annotations.importing import ArticleInput
from annotations.models import (
    AnchorRecord,
    ApiToken,
    Claim,
    ClaimCluster,
    ClaimFactCheck,
    DismissedMatch,
    FactCheck,
    Tag,
    UrlImport,
)

pytestmark = pytest.mark.django_db

MODELS = [model for model in admin.site._registry if model._meta.app_label == "annotations"]


def test_every_model_of_the_app_is_registered():
    from django.apps import apps

    registered = {model.__name__ for model in MODELS}
    assert {model.__name__ for model in apps.get_app_config("annotations").get_models()} - registered == {
        "ClaimTag",  # edited inline on its claim
        "ArticleSearch",  # the search documents a trigger keeps: nothing to look at or edit
        "RateWindow",  # the API's rate-limit counts: a minute's worth, nothing to look at or edit
        "TextEmbedding",  # a cache of each text's vector: nothing to look at or edit
    }


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_each_list_searches_and_filters(client, admin_user, article, editor, model):
    claim = services.create_claim(article=article, by=editor, exact="160,000 asylum seekers")
    source = services.find_or_create_source(url="https://stats.example/160000", title="Census", by=editor)
    services.attach_source(claim=claim, source=source, relation="supports", by=editor, expected_version=1)
    claim.set_tags([Tag.objects.get(slug="statistic")], by=editor)
    UrlImport.objects.create(url="https://news.example/160000", requested_by=editor)
    monitoring.watch(article, "https://news.example/160000")
    revised = ArticleInput.build(
        title=article.title, url=article.url, text="New: " + article.current_revision.text
    )
    services.import_article(article_input=revised)
    assert AnchorRecord.objects.filter(claim=claim).exists()
    ApiToken.issue(admin_user, name="Research sync")
    fact_check = FactCheck.objects.create(
        claim_reviewed="160,000 asylum seekers", origin=FactCheck.Origin.TSV, external_id="1"
    )
    Claim.objects.filter(pk=claim.pk).update(cluster=ClaimCluster.objects.create(created_by=editor))
    ClaimFactCheck.objects.create(claim=claim, fact_check=fact_check, confirmed_by=editor)
    DismissedMatch.objects.create(claim=claim, fact_check=fact_check, dismissed_by=editor)
    client.force_login(admin_user)
    url = reverse(f"admin:annotations_{model._meta.model_name}_changelist")
    model_admin = admin.site._registry[model]
    assert model_admin.search_fields, f"{model.__name__} has no search"
    assert client.get(url, {"q": "160,000"}).status_code == 200
    response = client.get(url)
    assert response.status_code == 200
    first = model.objects.first()
    assert first is not None
    change = reverse(f"admin:annotations_{model._meta.model_name}_change", args=[first.pk])
    assert client.get(change).status_code == 200


def test_an_admin_edit_of_a_claim_bumps_its_version(client, admin_user, article, editor):
    claim = services.create_claim(article=article, by=editor, exact="160,000 asylum seekers")
    client.force_login(admin_user)
    url = reverse("admin:annotations_claim_change", args=[claim.pk])
    response = client.post(
        url,
        {
            "status": "in_review",
            "verdict": "",
            "note": "edited in admin",
            "claim_tags-TOTAL_FORMS": "0",
            "claim_tags-INITIAL_FORMS": "0",
            "claim_sources-TOTAL_FORMS": "0",
            "claim_sources-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    claim.refresh_from_db()
    assert (claim.note, claim.version, claim.updated_by) == ("edited in admin", 2, admin_user)


def test_an_editor_without_staff_rights_cannot_enter_the_admin(client, editor):
    client.force_login(editor)
    response = client.get(reverse("admin:annotations_claim_changelist"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def test_a_history_table_filters_by_kind_of_event(client, admin_user, article, editor):
    claim = services.create_claim(article=article, by=editor, exact="160,000 asylum seekers")
    claim.set_tags([Tag.objects.get(slug="statistic")], by=editor)  # an update event too
    client.force_login(admin_user)
    url = reverse("admin:annotations_claimevent_changelist")
    inserts = client.get(url, {"pgh_label": "insert"}).content.decode()
    updates = client.get(url, {"pgh_label": "update"}).content.decode()
    assert "1 claim event" in inserts and "1 claim event" in updates
    assert client.get(url, {"q": str(claim.pk)}).content.decode().count(">insert<") == 1


def test_the_all_events_page_reads_no_history_table_until_filtered(client, admin_user, article, editor):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    claim = services.create_claim(article=article, by=editor, exact="160,000 asylum seekers")
    client.force_login(admin_user)
    url = reverse("admin:pghistory_events_changelist")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    assert not [q for q in queries.captured_queries if "pghistory_events" in q["sql"]]
    one_claim = client.get(url, {"obj": f"annotations.Claim:{claim.pk}"})
    assert one_claim.status_code == 200 and "insert" in one_claim.content.decode()


def test_a_source_url_changed_in_the_admin_is_checked_again_from_nothing(client, admin_user, editor):
    from annotations.models import LinkCheck

    source = services.find_or_create_source(url="https://stats.example/old", title="Census", by=editor)
    LinkCheck.objects.filter(source=source).update(state="ok", first_hash="a" * 64, content_hash="a" * 64)
    client.force_login(admin_user)
    url = reverse("admin:annotations_source_change", args=[source.pk])
    response = client.post(
        url, {"title": "Census", "url": "https://stats.example/new", "kind": "other", "publisher": ""}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    check = LinkCheck.objects.get(source=source)
    assert (check.state, check.first_hash, check.checked_at) == ("unchecked", "", None)
