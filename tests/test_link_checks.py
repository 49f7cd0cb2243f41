"""Source link checks (issue 11): every source with a URL is checked in the background, and what the check
found shows on the claim, filters the claims lists and comes with the API's sources. Pages come from a
local HTTP server the guard lets through."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from annotations import linkchecks, services, tasks
from annotations.models import Claim, LinkCheck, Source, User
from tests.api.helpers import client_for, make_claim
from tests.factories import ArticleFactory, SourceFactory
from tests.local_pages import PageServer

pytestmark = pytest.mark.django_db

PAGES = Path(__file__).parent / "fixtures" / "pages"
ARTICLE_PAGE = (PAGES / "cookie-banner-and-nav.html").read_bytes()
HEADLINE = "New York's shelter costs force budget cuts, mayor says"
HX = {"HTTP_HX_REQUEST": "true"}  # the claim panel is an htmx fragment


def serve(pages: PageServer, path: str, body: bytes = ARTICLE_PAGE, status: int = 200, **headers: str) -> str:
    return pages.serve(path, body, status, **headers)


def source_at(url: str, editor: User, title: str = "The city's figures") -> Source:
    return services.find_or_create_source(url=url, title=title, by=editor)


def checked(source: Source) -> LinkCheck:
    """The source's check, run now (what the `check_link` task does)."""
    link_check = LinkCheck.objects.select_related("source").get(source=source)
    return linkchecks.check(link_check)


# --- What a check finds ----------------------------------------------------------------------------------


def test_a_working_page_is_ok_with_its_title_status_and_text_hash(editor, pages):
    source = source_at(serve(pages, "/report"), editor)
    before = timezone.now()
    link_check = checked(source)
    link_check.refresh_from_db()
    assert (link_check.state, link_check.status, link_check.error) == ("ok", 200, "")
    assert link_check.title == HEADLINE
    assert re.fullmatch(r"[0-9a-f]{64}", link_check.content_hash)
    assert link_check.first_hash == link_check.content_hash and link_check.changed_at is None
    assert link_check.final_url == pages.url("/report")
    assert link_check.checked_at is not None and link_check.checked_at >= before
    assert link_check.next_check_at >= before + timedelta(seconds=24 * 60 * 60 - 60)
    assert not link_check.flagged


def test_a_missing_page_is_broken_with_its_status(editor, pages):
    source = source_at(pages.url("/gone"), editor)  # the server answers 404 for what it does not have
    link_check = checked(source)
    assert (link_check.state, link_check.status) == ("broken", 404)
    assert "404" in link_check.error and link_check.flagged


def test_a_redirect_records_where_the_link_ends_up(editor, pages):
    new = serve(pages, "/2024/report")
    source = source_at(serve(pages, "/report", b"", status=301, Location="/2024/report"), editor)
    link_check = checked(source)
    assert (link_check.state, link_check.status, link_check.final_url) == ("ok", 200, new)
    assert pages.hits == {"/report": 1, "/2024/report": 1}


def test_a_page_whose_article_text_changed_is_flagged_changed_from_when_it_was_first_seen(editor, pages):
    url = serve(pages, "/report")
    source = source_at(url, editor)
    first = checked(source).content_hash
    serve(pages, "/report", ARTICLE_PAGE.replace(b"around 160,000 asylum", b"around 180,000 asylum"))
    link_check = checked(source)
    assert link_check.state == "changed" and link_check.flagged
    assert link_check.first_hash == first != link_check.content_hash
    seen = link_check.changed_at
    assert seen is not None
    link_check = checked(source)
    assert (link_check.state, link_check.changed_at) == ("changed", seen), "when it was first seen changed"


def test_a_page_whose_only_change_is_its_scripts_and_adverts_stays_ok(editor, pages):
    source = source_at(serve(pages, "/report"), editor)
    first = checked(source).content_hash
    busier = (
        ARTICLE_PAGE.replace(
            b'<script src="/static/js/site.91bc.js"></script>',
            b'<script src="/static/js/site.a7d0.js"></script><script>var csrf = "f00dfeed";</script>'
            b"<!-- served by cache-7 -->",
        )
        .replace(
            b'<script async src="https://tags.adnetwork.example/gpt.js"></script>',
            b'<script async src="https://tags.adnetwork.example/gpt.js?v=2"></script>',
        )
        .replace(
            b'<main id="content">',
            b'<div class="ad-slot"><a href="https://ads.example/click?id=77">Mattresses: 50% off</a></div>'
            b'<main id="content">',
        )
    )
    assert busier != ARTICLE_PAGE
    serve(pages, "/report", busier)
    link_check = checked(source)
    assert (link_check.state, link_check.content_hash) == ("ok", first)


def test_a_broken_link_that_works_again_is_ok_again(editor, pages):
    url = serve(pages, "/report", b"<html><body>busy</body></html>", status=503)
    source = source_at(url, editor)
    assert (checked(source).state, checked(source).status) == ("broken", 503)
    serve(pages, "/report")
    link_check = checked(source)
    assert (link_check.state, link_check.status, link_check.error) == ("ok", 200, "")
    assert link_check.title == HEADLINE


def test_an_unreachable_host_is_broken_with_the_error(editor, pages):
    source = source_at(f"http://127.0.0.1:{pages.closed_port}/report", editor)
    link_check = checked(source)
    assert (link_check.state, link_check.status) == ("broken", None)
    assert "could not connect" in link_check.error


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://10.1.2.3/report", "a private address"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://127.0.0.1:1/report", "a loopback address"),  # a port the tests' guard does not allow
    ],
)
def test_a_url_the_guard_refuses_is_broken_with_why(editor, pages, url, says):
    link_check = checked(source_at(url, editor))
    assert (link_check.state, link_check.status) == ("broken", None)
    assert says in link_check.error
    assert pages.hits == {}


# --- Which sources are checked, and when ------------------------------------------------------------------


def test_a_source_without_a_url_gets_no_check():
    source = Source.objects.create(title="Interview notes")
    assert linkchecks.ensure_link_check(source) is None
    assert not LinkCheck.objects.exists()


def test_a_new_source_gets_a_check_due_at_once_and_only_one(editor):
    source = source_at("https://www.nyc.gov/asylum", editor)
    link_check = LinkCheck.objects.get(source=source)
    assert link_check.state == "unchecked" and link_check.next_check_at <= timezone.now()
    assert source_at("https://www.nyc.gov/asylum", editor) == source
    assert LinkCheck.objects.filter(source=source).count() == 1


def test_a_source_made_without_a_check_gets_one_when_the_service_finds_it(editor):
    source = SourceFactory.create(url="https://www.nyc.gov/asylum")  # as the admin would make it
    assert not LinkCheck.objects.filter(source=source).exists()
    assert source_at("https://www.nyc.gov/asylum", editor) == source
    assert LinkCheck.objects.get(source=source).state == "unchecked"


def test_sources_attached_from_the_page_and_the_api_get_checks(client, editor, article):
    claim = services.create_claim(article=article, by=editor, exact="160,000 asylum seekers")
    client.force_login(editor)
    response = client.post(
        reverse("claim_attach_source", args=[claim.pk]),
        {
            "version": claim.version,
            "url": "https://www.nyc.gov/asylum",
            "title": "Figures",
            "relation": "supports",
        },
        **HX,
    )
    assert response.status_code == 200, response.content[:500]
    made = client_for(editor).post(
        "/api/v1/sources/", {"url": "https://stats.example/census", "title": "Census"}, format="json"
    )
    assert made.status_code == 201
    assert made.json()["link_check"]["state"] == "unchecked"
    assert sorted(LinkCheck.objects.values_list("source__url", "state")) == [
        ("https://stats.example/census", "unchecked"),
        ("https://www.nyc.gov/asylum", "unchecked"),
    ]


def test_the_scheduler_queues_the_due_checks_once_and_not_the_others(editor, pages, queue):
    due = LinkCheck.objects.get(source=source_at(serve(pages, "/due"), editor))
    later = LinkCheck.objects.get(source=source_at(serve(pages, "/later"), editor))
    LinkCheck.objects.filter(pk=later.pk).update(next_check_at=timezone.now() + timedelta(hours=1))
    assert tasks.schedule_checks() == 1
    queued = [row for row in queue.jobs.values() if row["status"] == "todo"]
    assert [(row["task_name"], row["args"]) for row in queued] == [
        ("annotations.check_link", {"link_check_id": due.pk})
    ]
    due.refresh_from_db()
    assert due.next_check_at > timezone.now() + timedelta(hours=23), "pushed out while it waits"
    assert tasks.schedule_checks() == 0, "not queued twice"
    assert pages.hits == {}, "queued, not fetched"

    assert tasks.check_link(**queued[0]["args"]) == "ok"
    due.refresh_from_db()
    assert (due.state, due.title) == ("ok", HEADLINE)
    assert pages.hits == {"/due": 1}


def test_the_check_task_of_a_source_gone_since_does_nothing(editor):
    link_check = LinkCheck.objects.get(source=source_at("https://www.nyc.gov/asylum", editor))
    link_check.source.delete()
    assert tasks.check_link(link_check_id=link_check.pk) is None


# --- The claims lists' filter -----------------------------------------------------------------------------


def _state(source: Source, state: str) -> None:
    LinkCheck.objects.filter(source=source).update(state=state, checked_at=timezone.now())


@pytest.fixture
def claims_by_link(editor) -> dict[str, Claim]:
    """Claims with a broken source, a changed one, both, an ok one, an unchecked one and none."""
    words = "broken changed both ok unchecked none"
    article = ArticleFactory.create(text=words)
    sources = {state: source_at(f"https://{state}.example/", editor) for state in LinkCheck.State.values}
    for state, source in sources.items():
        _state(source, state)
    claims = {word: make_claim(article, editor, word) for word in words.split()}
    attached = {
        "broken": ["broken"],
        "changed": ["changed"],
        "both": ["broken", "changed", "ok"],
        "ok": ["ok"],
        "unchecked": ["unchecked"],
        "none": [],
    }
    for word, states in attached.items():
        for state in states:
            claim = Claim.objects.get(pk=claims[word].pk)
            services.attach_source(
                claim=claim,
                source=sources[state],
                relation="context",
                by=editor,
                expected_version=claim.version,
            )
    return claims


FILTERED = {
    "broken": {"broken", "both"},
    "changed": {"changed", "both"},
    "flagged": {"broken", "changed", "both"},
}


@pytest.mark.parametrize("value", sorted(FILTERED))
def test_the_claims_page_filters_by_source_link(client, editor, claims_by_link, value):
    client.force_login(editor)
    response = client.get(reverse("claim_list"), {"source_link": value})
    assert response.status_code == 200
    shown = [int(pk) for pk in re.findall(r"\?claim=(\d+)#", response.content.decode())]
    by_pk = {claim.pk: word for word, claim in claims_by_link.items()}
    assert sorted(by_pk[pk] for pk in shown) == sorted(FILTERED[value]), "each claim once"
    assert 'name="source_link"' in client.get(reverse("claim_list")).content.decode()


@pytest.mark.parametrize("value", sorted(FILTERED))
def test_the_api_filters_claims_by_source_link(researcher, claims_by_link, value):
    response = client_for(researcher).get("/api/v1/claims/", {"source_link": value})
    assert response.status_code == 200, response.json()
    by_pk = {claim.pk: word for word, claim in claims_by_link.items()}
    assert sorted(by_pk[claim["id"]] for claim in response.json()["results"]) == sorted(FILTERED[value])


def test_the_api_refuses_an_unknown_source_link_state(researcher, claims_by_link):
    response = client_for(researcher).get("/api/v1/claims/", {"source_link": "ok"})
    assert response.status_code == 400
    assert "source_link" in response.json()["error"]["fields"]


# --- Shown on the claim, and in the API -----------------------------------------------------------------


def test_the_claim_panel_says_a_link_is_broken_with_its_error(client, editor, article, pages):
    claim = make_claim(article, editor, source=source_at(pages.url("/gone"), editor))
    link_check = checked(Source.objects.get())
    LinkCheck.objects.filter(pk=link_check.pk).update(error='<b>"gone"</b> & answered 404')
    client.force_login(editor)
    html = client.get(reverse("claim_panel", args=[claim.pk]), **HX).content.decode()
    assert re.search(r"Link broken \(404\), checked <time[^>]*>0\xa0minutes ago</time>", html), html
    assert 'title="&lt;b&gt;&quot;gone&quot;&lt;/b&gt; &amp; answered 404"' in html
    assert "<b>" not in html


def test_the_claim_panel_says_a_page_changed_and_where_a_link_now_leads(client, editor, article, pages):
    source = source_at(serve(pages, "/report", b"", status=302, Location="/moved"), editor)
    serve(pages, "/moved")
    claim = make_claim(article, editor, source=source)
    checked(source)
    serve(pages, "/moved", ARTICLE_PAGE.replace(b"around 160,000 asylum", b"around 180,000 asylum"))
    changed = checked(source)
    assert changed.changed_at is not None
    client.force_login(editor)
    html = client.get(reverse("claim_panel", args=[claim.pk]), **HX).content.decode()
    assert (
        f'Page changed since it was first checked (change seen on <time datetime="{changed.changed_at:%Y}'
        in html
    )
    assert f'Now leads to <a href="{pages.url("/moved")}"' in html
    assert "Link broken" not in html


def test_the_claim_panel_says_nothing_of_an_unchecked_link_and_little_of_a_working_one(
    client, editor, article, pages
):
    source = source_at(serve(pages, "/report"), editor)
    claim = make_claim(article, editor, source=source)
    client.force_login(editor)
    url = reverse("claim_panel", args=[claim.pk])
    assert "link-check" not in client.get(url, **HX).content.decode()
    checked(source)
    html = client.get(url, **HX).content.decode()
    assert "Link checked <time" in html and "notice link-check" not in html and "Now leads to" not in html


def test_the_claim_panel_reads_the_link_checks_in_a_fixed_number_of_queries(client, editor, article):
    one = make_claim(article, editor, "160,000 asylum seekers")
    many = make_claim(article, editor, "substantial budget cuts")
    for number in range(6):
        source = source_at(f"https://stats.example/{number}", editor)
        _state(source, "broken")
        if number == 0:
            one = services.attach_source(
                claim=one, source=source, relation="supports", by=editor, expected_version=one.version
            )
        many = services.attach_source(
            claim=many, source=source, relation="supports", by=editor, expected_version=many.version
        )
    client.force_login(editor)
    counts = []
    for claim, shown in ((one, 1), (many, 6)):
        with CaptureQueriesContext(connection) as queries:
            html = client.get(reverse("claim_panel", args=[claim.pk]), **HX).content.decode()
        assert html.count("Link broken") == shown
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_api_shows_each_sources_link_check(researcher, editor, article, pages):
    checked_source = source_at(serve(pages, "/report", b"", status=301, Location="/2024/report"), editor)
    serve(pages, "/2024/report")
    unchecked = source_at("https://stats.example/census", editor, title="Census")
    no_url = Source.objects.create(title="Interview notes")
    claim = make_claim(article, editor, source=checked_source)
    for source in (unchecked, no_url):
        claim = services.attach_source(
            claim=claim, source=source, relation="context", by=editor, expected_version=claim.version
        )
    link_check = checked(checked_source)
    assert link_check.checked_at is not None
    api = client_for(researcher)
    sources = api.get(f"/api/v1/claims/{claim.pk}/").json()["sources"]
    expected = {
        "state": "ok",
        "status": 200,
        "final_url": pages.url("/2024/report"),
        "title": HEADLINE,
        "checked_at": link_check.checked_at.isoformat().replace("+00:00", "Z"),
        "changed_at": None,
        "error": "",
    }
    assert [source["link_check"] for source in sources] == [
        expected,
        {
            "state": "unchecked",
            "status": None,
            "final_url": None,
            "title": "",
            "checked_at": None,
            "changed_at": None,
            "error": "",
        },
        None,
    ]
    listed = api.get("/api/v1/claims/", {"article": article.pk}).json()["results"]
    assert [source["link_check"] for source in listed[0]["sources"]][0] == expected
    assert api.get(f"/api/v1/sources/{checked_source.pk}/").json()["link_check"] == expected
    assert api.get(f"/api/v1/sources/{no_url.pk}/").json()["link_check"] is None


def test_the_standard_formats_leave_the_link_check_out(researcher, editor, article, pages):
    source = source_at(pages.url("/gone"), editor)
    claim = make_claim(article, editor, source=source)
    checked(source)
    body = client_for(researcher).get(f"/api/v1/claims/{claim.pk}/", {"format": "w3c"}).content.decode()
    assert "link_check" not in body and "broken" not in body
    assert pages.url("/gone") in body


def test_the_sources_list_reads_the_link_checks_in_a_fixed_number_of_queries(researcher, editor):
    api = client_for(researcher)
    api.get("/api/v1/sources/")  # warm up: the token looked up and remembered
    counts = []
    for added in (1, 7):
        for _ in range(added):
            _state(source_at(f"https://stats.example/{Source.objects.count()}", editor), "broken")
        with CaptureQueriesContext(connection) as queries:
            listed = api.get("/api/v1/sources/").json()["results"]
        assert [source["link_check"]["state"] for source in listed] == ["broken"] * Source.objects.count()
        # (Not the rate-limit hits the API reserves ahead now and then.)
        counts.append(len([q for q in queries.captured_queries if "rate_window" not in q["sql"]]))
    assert counts[0] == counts[1]


def test_the_admin_lists_link_checks_by_state(client, admin_user, editor, pages):
    checked(source_at(pages.url("/gone"), editor, title="Gone report"))
    source_at(serve(pages, "/report"), editor, title="Unchecked report")
    client.force_login(admin_user)
    url = reverse("admin:annotations_linkcheck_changelist")
    broken = client.get(url, {"state__exact": "broken"}).content.decode()
    assert "Gone report" in broken and "Unchecked report" not in broken
    assert client.get(reverse("admin:annotations_linkcheck_add")).status_code == 403
