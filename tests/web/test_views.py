"""The editor's workspace over HTTP: access, every state change, conflicts, escaping, query counts."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from annotations import services
from annotations.models import Article, Claim, ClaimSource, Tag
from tests.conftest import DEMO_TEXT
from tests.factories import ArticleFactory, SourceFactory

pytestmark = pytest.mark.django_db

QUOTE = "around 160,000 asylum seekers since April 2022"
HX = {"HTTP_HX_REQUEST": "true"}


def _offsets(text: str, quote: str) -> dict[str, object]:
    start = text.index(quote)
    return {"start": start, "end": start + len(quote), "exact": quote}


@pytest.fixture
def editor_client(client: Client, editor) -> Client:
    client.force_login(editor)
    return client


def test_anonymous_visitors_are_sent_to_sign_in(client, article):
    for url in ("/", reverse("article_detail", args=[article.pk]), "/claims/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_signing_in_and_out(client, editor):
    response = client.post("/accounts/login/", {"username": "editor", "password": "secret-password"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_a_missing_article_or_claim_is_a_404(editor_client):
    assert editor_client.get(reverse("article_detail", args=[999999])).status_code == 404
    assert editor_client.get(reverse("claim_panel", args=[999999])).status_code == 404
    assert editor_client.post(reverse("claim_update", args=[999999]), {"version": 1}).status_code == 404


def test_the_article_page_highlights_every_claim_in_text_order(editor_client, article, editor):
    first = services.create_claim(article=article, by=editor, exact="legislation in 2018")
    second = services.create_claim(article=article, by=editor, exact=QUOTE)
    html = editor_client.get(reverse("article_detail", args=[article.pk])).content.decode()
    assert f'data-claim="{second.pk}"' in html and f'data-claim="{first.pk}"' in html
    assert html.index(f'id="claim-item-{second.pk}"') < html.index(f'id="claim-item-{first.pk}"')
    # The text element holds exactly the revision's text, so browser offsets map back to it.
    found = re.search(r'<div id="article-text"[^>]*>(.*?)</div>', html, re.S)
    assert found is not None
    body = found.group(1)
    assert re.sub(r"<[^>]+>", "", body).replace("&#x27;", "'") == DEMO_TEXT


def test_overlapping_claims_are_both_highlighted(editor_client, article, editor):
    outer = services.create_claim(article=article, by=editor, exact="accepted around 160,000 asylum seekers")
    inner = services.create_claim(article=article, by=editor, exact="160,000")
    html = editor_client.get(reverse("article_detail", args=[article.pk])).content.decode()
    assert f'data-claims="{inner.pk} {outer.pk}"' in html
    assert "depth-2" in html


def test_the_article_page_query_count_does_not_grow_with_claims(
    editor_client, editor, django_assert_max_num_queries
):
    words = " ".join(f"word{i}" for i in range(400))
    small, large = ArticleFactory.create(text=words), ArticleFactory.create(text=words)
    for i in range(3):
        services.create_claim(article=small, by=editor, exact=f"word{i} ")
    tag = Tag.objects.get(slug="statistic")
    source = SourceFactory.create()
    for i in range(60):
        claim = services.create_claim(article=large, by=editor, exact=f"word{i + 100} ", tags=[tag])
        ClaimSource.objects.create(claim=claim, source=source, relation="supports")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        editor_client.get(reverse("article_detail", args=[small.pk]))
    with CaptureQueriesContext(connection) as many:
        assert editor_client.get(reverse("article_detail", args=[large.pk])).status_code == 200
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]


def test_creating_a_claim_from_the_browsers_offsets(editor_client, article):
    response = editor_client.post(
        reverse("claim_create", args=[article.pk]), _offsets(DEMO_TEXT, QUOTE), **HX
    )
    assert response.status_code == 201
    claim = Claim.objects.get()
    assert claim.exact == QUOTE
    html = response.content.decode()
    assert 'id="claim-detail"' in html and 'hx-swap-oob="true"' in html and f'data-claim="{claim.pk}"' in html


def test_a_selection_that_does_not_match_the_text_is_refused_with_a_reason(editor_client, article):
    data = _offsets(DEMO_TEXT, QUOTE) | {"exact": "around 180,000 asylum seekers since April 2022"}
    response = editor_client.post(reverse("claim_create", args=[article.pk]), data, **HX)
    assert response.status_code == 400 and "does not match the text" in response.content.decode()
    data = {"start": 5, "end": 99999, "exact": "x"}
    response = editor_client.post(reverse("claim_create", args=[article.pk]), data, **HX)
    assert response.status_code == 400 and "out of range" in response.content.decode()
    response = editor_client.post(reverse("claim_create", args=[article.pk]), {"start": "a"}, **HX)
    assert response.status_code == 400
    assert not Claim.objects.exists()


def test_state_changes_need_post(editor_client, article, editor):
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    for name in ("claim_update", "claim_delete", "claim_attach_source", "claim_dismiss", "claim_reattach"):
        assert editor_client.get(reverse(name, args=[claim.pk])).status_code == 405


def test_state_changes_need_the_csrf_token(article, editor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    response = client.post(reverse("claim_create", args=[article.pk]), _offsets(DEMO_TEXT, QUOTE))
    assert response.status_code == 403
    assert not Claim.objects.exists()


def test_editing_tags_status_and_note(editor_client, article, editor):
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    response = editor_client.post(
        reverse("claim_update", args=[claim.pk]),
        {
            "version": 1,
            "note": "Check the city data",
            "status": "in_review",
            "tags": ["statistic", "immigration"],
        },
        **HX,
    )
    assert response.status_code == 200 and "Saved." in response.content.decode()
    claim.refresh_from_db()
    assert (claim.note, claim.status) == ("Check the city data", "in_review")
    assert sorted(claim.tags.values_list("slug", flat=True)) == ["immigration", "statistic"]


def test_a_second_editors_stale_save_is_refused_and_shows_what_changed(client, article, editor, colleague):
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    services.update_claim(claim=claim, by=colleague, expected_version=1, note="Colleague's note")
    client.force_login(editor)
    response = client.post(
        reverse("claim_update", args=[claim.pk]), {"version": 1, "note": "My note", "status": "draft"}, **HX
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "someone else changed this claim" in html
    assert "colleague" in html and "Colleague&#x27;s note" in html and "My note" in html
    claim.refresh_from_db()
    assert claim.note == "Colleague's note"


def test_attaching_a_new_and_an_existing_source_then_removing_one(editor_client, article, editor):
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    response = editor_client.post(
        reverse("claim_attach_source", args=[claim.pk]),
        {
            "version": 1,
            "url": "https://www.nyc.gov/asylum",
            "title": "NYC asylum data",
            "relation": "supports",
            "quote": "160,000 people",
        },
        **HX,
    )
    assert response.status_code == 200
    existing = SourceFactory.create(title="Census table")
    editor_client.post(
        reverse("claim_attach_source", args=[claim.pk]),
        {"version": 2, "source": existing.pk, "relation": "refutes"},
        **HX,
    )
    claim.refresh_from_db()
    assert dict(claim.claim_sources.values_list("source__title", "relation")) == {
        "NYC asylum data": "supports",
        "Census table": "refutes",
    }
    assert (
        editor_client.get(reverse("source_search"), {"q": "census"}).content.decode().count("Census table")
        == 1
    )
    editor_client.post(reverse("claim_detach_source", args=[claim.pk, existing.pk]), {"version": 3}, **HX)
    assert list(claim.sources.values_list("title", flat=True)) == ["NYC asylum data"]


def test_a_source_without_url_or_title_is_a_form_error(editor_client, article, editor):
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    response = editor_client.post(
        reverse("claim_attach_source", args=[claim.pk]),
        {"version": 1, "url": "https://x.example/", "relation": "supports"},
        **HX,
    )
    assert response.status_code == 422 and "A new source needs a title" in response.content.decode()
    response = editor_client.post(
        reverse("claim_attach_source", args=[claim.pk]),
        {"version": 1, "url": "javascript:alert(1)", "title": "x", "relation": "supports"},
        **HX,
    )
    assert response.status_code == 422
    assert not ClaimSource.objects.exists()


def test_deleting_a_claim(editor_client, article, editor):
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    response = editor_client.post(reverse("claim_delete", args=[claim.pk]), {"version": 1}, **HX)
    assert response.status_code == 200 and "Claim deleted." in response.content.decode()
    assert not Claim.objects.exists()


def test_the_history_is_one_click_away(editor_client, article, editor):
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    claim = services.update_claim(
        claim=claim,
        by=editor,
        expected_version=1,
        note="First note",
        tags=[Tag.objects.get(slug="statistic")],
    )
    source = SourceFactory.create(title="Census table")
    services.attach_source(
        claim=claim, source=source, relation="refutes", by=editor, expected_version=claim.version
    )
    html = editor_client.get(reverse("claim_history", args=[claim.pk]), **HX).content.decode()
    assert "Note added: “First note”" in html and "editor" in html
    assert "Tagged Statistic" in html and "Attached source “Census table” (refutes)" in html


def test_a_researcher_reads_but_cannot_edit(client, article, editor, researcher):
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    client.force_login(researcher)
    html = client.get(reverse("article_detail", args=[article.pk]) + f"?claim={claim.pk}").content.decode()
    assert "Read-only" in html and 'id="claim-button"' not in html and "Delete claim" not in html
    assert (
        client.post(
            reverse("claim_create", args=[article.pk]), _offsets(DEMO_TEXT, "legislation"), **HX
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("claim_update", args=[claim.pk]), {"version": 1, "note": "x", "status": "draft"}, **HX
        ).status_code
        == 200
    )
    claim.refresh_from_db()
    assert claim.note == "" and claim.version == 1
    assert client.post(reverse("claim_delete", args=[claim.pk]), {"version": 1}).status_code == 403
    assert client.get(reverse("article_new")).status_code == 403


def test_orphans_are_listed_with_their_old_quote_and_can_be_reattached_or_dismissed(
    editor_client, article, editor
):
    from annotations.importing import ArticleInput

    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    gone = services.create_claim(article=article, by=editor, exact="legislation in 2018")
    new_text = "The city has now taken in some 170,000 asylum seekers, officials said."
    services.import_article(
        article_input=ArticleInput.build(title=article.title, url=article.url, text=new_text)
    )
    html = editor_client.get(reverse("article_detail", args=[article.pk])).content.decode()
    assert "Needs attention" in html and QUOTE in html and "legislation in 2018" in html
    listed = editor_client.get("/", {"attention": "yes"}).content.decode()
    assert article.title in listed and "No articles match." not in listed
    claim.refresh_from_db()
    response = editor_client.post(
        reverse("claim_reattach", args=[claim.pk]),
        _offsets(new_text, "some 170,000 asylum seekers") | {"version": claim.version},
        **HX,
    )
    assert response.status_code == 200
    claim.refresh_from_db()
    assert (claim.anchor_state, claim.exact) == ("anchored", "some 170,000 asylum seekers")
    gone.refresh_from_db()
    editor_client.post(reverse("claim_dismiss", args=[gone.pk]), {"version": gone.version}, **HX)
    html = editor_client.get(reverse("article_detail", args=[article.pk])).content.decode()
    assert "Needs attention" not in html
    assert Claim.objects.filter(pk=gone.pk, anchor_state="orphaned").exists()  # kept, never deleted


def test_the_article_list_searches_filters_counts_and_pages(editor_client, editor):
    budget = ArticleFactory.create(
        title="City budget cuts", text="The council cut the budget by $12 billion."
    )
    ArticleFactory.create(title="Weather", text="Rain is expected in Lisbon.")
    services.create_claim(
        article=budget, by=editor, exact="$12 billion", tags=[Tag.objects.get(slug="statistic")]
    )
    html = editor_client.get("/", {"q": "council budget"}).content.decode()
    assert "City budget cuts" in html and "Weather" not in html
    html = editor_client.get("/", {"tag": "statistic"}, **HX).content.decode()
    assert "City budget cuts" in html and "Weather" not in html and "<html" not in html
    html = editor_client.get("/", {"attention": "yes"}).content.decode()
    assert "No articles match." in html
    for i in range(30):
        ArticleFactory.create(title=f"Filler {i}")
    html = editor_client.get("/").content.decode()
    assert "Page 1 of 2" in html
    assert editor_client.get("/", {"page": "999"}).status_code == 200


def test_all_claims_filters_by_source_domain_and_links_to_its_place(editor_client, article, editor):
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    other = services.create_claim(article=article, by=editor, exact="legislation in 2018")
    source = services.find_or_create_source(url="https://www.nyc.gov/asylum", title="NYC", by=editor)
    services.attach_source(claim=claim, source=source, relation="supports", by=editor, expected_version=1)
    html = editor_client.get("/claims/", {"source_domain": "nyc.gov"}).content.decode()
    assert f"?claim={claim.pk}" in html and f"?claim={other.pk}" not in html
    html = editor_client.get("/claims/", {"anchor_state": "anchored", "status": "draft"}).content.decode()
    assert f"?claim={claim.pk}" in html and f"?claim={other.pk}" in html


def test_adding_an_article_by_pasting_and_by_uploading(editor_client):
    response = editor_client.post(reverse("article_new"), {"title": "Pasted", "text": "Some pasted text."})
    assert response.status_code == 302
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("story.html", b"<h1>Uploaded</h1><p>Body <script>alert(1)</script>text.</p>")
    response = editor_client.post(reverse("article_new"), {"file": upload})
    assert response.status_code == 302
    article = Article.objects.get(title="Uploaded")
    assert article.current_revision is not None
    assert article.current_revision.text == "Uploaded\n\nBody text."


def test_bad_uploads_are_form_errors(editor_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    cases = [
        ({"file": SimpleUploadedFile("a.pdf", b"%PDF")}, "Upload a .txt or .html file."),
        ({"file": SimpleUploadedFile("a.txt", "caf\xe9".encode("latin-1"))}, "not UTF-8 text"),
        ({"title": "x"}, "Paste a link to the article, paste its text, or upload a file"),
        ({"text": "Body", "url": "ftp://x"}, "Enter a valid URL."),
        ({"text": "Body", "title": "T", "published_at": "soon"}, "not an ISO 8601"),
    ]
    for data, message in cases:
        response = editor_client.post(reverse("article_new"), data)
        assert response.status_code == 400 and message in response.content.decode(), message
    assert not Article.objects.exists()


HOSTILE = "<img src=x onerror=alert(1)><script>alert(2)</script>\"'&"


def test_hostile_input_is_escaped_everywhere_it_is_shown(editor_client, editor, admin_user):
    article = ArticleFactory.create(
        title=HOSTILE, text=f"Start {HOSTILE} middle 42 end.", url="https://n.example/x"
    )
    Tag.objects.create(name=HOSTILE, slug="hostile", facet="topic")
    claim = services.create_claim(
        article=article, by=editor, exact=HOSTILE, note=HOSTILE, tags=[Tag.objects.get(slug="hostile")]
    )
    source = services.find_or_create_source(url="https://s.example/", title=HOSTILE, by=editor)
    services.attach_source(
        claim=claim,
        source=source,
        relation="supports",
        quote=HOSTILE,
        by=editor,
        expected_version=claim.version,
    )
    pages = [
        editor_client.get(reverse("article_detail", args=[article.pk]) + f"?claim={claim.pk}"),
        editor_client.get(reverse("claim_panel", args=[claim.pk]), **HX),
        editor_client.get("/"),
        editor_client.get("/claims/"),
        editor_client.get(reverse("claim_history", args=[claim.pk])),
        editor_client.get(reverse("source_search"), {"q": "img"}),
    ]
    for response in pages:
        html = response.content.decode()
        assert response.status_code == 200
        assert "<script>alert" not in html and "<img src=x" not in html, response.request["PATH_INFO"]
        assert "&lt;img src=x onerror=alert(1)&gt;" in html or "&lt;img" in html
