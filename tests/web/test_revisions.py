"""An article's revisions over HTTP: the list, an old revision with its claims as they stood, the diff."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from annotations import services
from annotations.importing import ArticleInput
from annotations.models import Tag
from annotations.web.revisions import diff_html, word_diff
from tests.conftest import DEMO_TEXT
from tests.factories import ArticleFactory, UserFactory

QUOTE = "around 160,000 asylum seekers since April 2022"
LAW = "legislation in 2018"


def _revise(article, text: str) -> None:
    services.import_article(article_input=ArticleInput.build(title=article.title, url=article.url, text=text))


def _text_of(page: str, element_id: str) -> str:
    found = re.search(rf'<div id="{element_id}"[^>]*>(.*?)</div>\s*(?:</article>|</div>)', page, re.S)
    assert found is not None, page
    return found.group(1)


def _plain(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def _item(page: str, claim_pk: int) -> str:
    """The list item of a claim on a revision's page, as text."""
    found = re.search(rf'<li id="revision-claim-{claim_pk}".*?</li>', page, re.S)
    assert found is not None, page
    return _plain(found.group(0))


@pytest.fixture
def editor_client(client: Client, editor) -> Client:
    client.force_login(editor)
    return client


@pytest.fixture
def revised(article, editor, reviewer):
    """The demo article after a second revision that changed a figure and dropped a sentence."""
    figure = services.create_claim(article=article, by=editor, exact=QUOTE)
    services.update_claim(
        claim=figure,
        by=reviewer,
        expected_version=1,
        status="reviewed",
        verdict="mostly_true",
    )
    figure.refresh_from_db()
    services.update_claim(
        claim=figure, by=editor, expected_version=figure.version, tags=[Tag.objects.get(slug="statistic")]
    )
    law = services.create_claim(article=article, by=editor, exact=LAW)
    budget = services.create_claim(article=article, by=editor, exact="substantial budget cuts")
    _revise(article, DEMO_TEXT.replace("160,000", "180,000").split(" Former Mayor")[0])
    for claim in (figure, law, budget):
        claim.refresh_from_db()
    return {"figure": figure, "law": law, "budget": budget}


# --- the word diff -------------------------------------------------------------------------------------


def _apply(old: str, new: str, ops) -> tuple[str, str]:
    """Both texts rebuilt from the opcodes: what every diff must give back."""
    before = "".join(old[i1:i2] for _, i1, i2, _, _ in ops)
    after = "".join(old[i1:i2] if tag == "equal" else new[j1:j2] for tag, i1, i2, j1, j2 in ops)
    return before, after


def test_a_changed_figure_is_marked_as_one_whole_word():
    old, new = DEMO_TEXT, DEMO_TEXT.replace("160,000", "180,000")
    ops = word_diff(old, new)
    changed = [(old[i1:i2], new[j1:j2]) for tag, i1, i2, j1, j2 in ops if tag != "equal"]
    assert changed == [("160,000", "180,000")]
    shown, deleted, inserted = diff_html(old, new, ops)
    assert '<del class="diff-del">160,000</del><ins class="diff-ins">180,000</ins>' in shown
    assert (deleted, inserted) == (1, 1)


def test_insertions_and_deletions_are_marked_and_counted():
    old = "The mayor said the city would cut the budget."
    new = "The mayor said on Monday that the city would cut the budget."
    shown, deleted, inserted = diff_html(old, new, word_diff(old, new))
    assert '<ins class="diff-ins">on Monday that </ins>' in shown and "<del" not in shown
    assert (deleted, inserted) == (0, 3)
    shown, deleted, inserted = diff_html(new, old, word_diff(new, old))
    assert '<del class="diff-del">on Monday that </del>' in shown and (deleted, inserted) == (3, 0)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from(["the ", "city ", "160,000 ", "said.", "\n\n", "mayor ", "3.5 ", "—", "é "])),
    st.lists(st.sampled_from(["the ", "city ", "180,000 ", "said.", "\n\n", "council ", "3.5 ", "é "])),
)
def test_every_diff_gives_back_both_texts_and_changes_only_whole_words(old_words, new_words):
    old, new = "".join(old_words), "".join(new_words)
    ops = word_diff(old, new)
    assert _apply(old, new, ops) == (old, new)
    for tag, i1, i2, j1, j2 in ops:
        if tag != "equal":  # a change starts and ends on word edges in both texts
            for text, start, end in ((old, i1, i2), (new, j1, j2)):
                assert start == 0 or not (text[start - 1].isalnum() and text[start : start + 1].isalnum())
                assert end == len(text) or not (text[end - 1 : end].isalnum() and text[end].isalnum())


def test_every_paragraph_edited_is_diffed_paragraph_by_paragraph_not_as_one_rewrite():
    paragraphs = [f"Paragraph {i} says the council met on day {i} and voted." for i in range(2_000)]
    old = "\n\n".join(paragraphs)
    new = "\n\n".join(p.replace("voted", "agreed") for p in paragraphs)
    ops = word_diff(old, new)
    assert _apply(old, new, ops) == (old, new)
    assert {(old[i1:i2], new[j1:j2]) for tag, i1, i2, j1, j2 in ops if tag != "equal"} == {
        ("voted", "agreed")
    }


def test_a_whole_rewrite_of_a_long_article_is_still_a_correct_diff():
    old = " ".join(f"old{i % 97} word{i % 13}." for i in range(15_000))
    new = " ".join(f"new{i % 89} word{i % 11}!" for i in range(15_000))
    ops = word_diff(old, new)
    assert _apply(old, new, ops) == (old, new)


def test_long_unchanged_stretches_are_folded_and_every_word_is_escaped():
    old = "<b>start</b> " + "steady words " * 200 + "160,000 & more"
    new = old.replace("160,000", "180,000")
    shown, _, _ = diff_html(old, new, word_diff(old, new))
    assert "<b>" not in shown and "&lt;b&gt;start&lt;/b&gt;" in shown and "&amp; more" in shown
    assert re.search(r'<details class="diff-unchanged"><summary>\d+ unchanged words</summary>', shown)
    assert _plain(shown.replace("</summary>", "</summary>\0").split("\0", 1)[1]).count("160,000") == 1


# --- the pages -----------------------------------------------------------------------------------------


def test_the_revision_list_shows_each_revision_its_size_and_what_was_carried(editor_client, article, revised):
    page = editor_client.get(reverse("revision_list", args=[article.pk])).content.decode()
    first, second = article.revisions.order_by("number")
    rows = dict(re.findall(r'<tr[^>]*>\s*<td><a href="[^"]+/revisions/(\d+)/">(.*?)</tr>', page, re.S))
    assert set(rows) == {"1", "2"}
    cells = [_plain(cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", rows["2"], re.S)]
    # words, characters, claims on it now, carried here, flagged, lost here
    assert cells[1:7] == [str(len(second.text.split())), str(len(second.text)), "2", "2", "1", "1"]
    cells = [_plain(cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", rows["1"], re.S)]
    assert cells[1:4] == [str(len(first.text.split())), str(len(first.text)), "1"]  # the orphan stayed
    assert "?from=1&amp;to=2" in page


def test_an_old_revision_shows_its_claims_as_they_stood_on_it(editor_client, article, revised):
    page = editor_client.get(reverse("revision_detail", args=[article.pk, 1])).content.decode()
    text = _text_of(page, "article-text")
    assert _plain(text) == DEMO_TEXT  # the old text, exactly, so its offsets hold
    figure, law, budget = revised["figure"], revised["law"], revised["budget"]
    marked = {
        int(pk): classes for classes, pk in re.findall(r'<mark class="([^"]+)" data-claim="(\d+)"', text)
    }
    assert set(marked) == {figure.pk, law.pk, budget.pk}
    assert "status-reviewed" in marked[figure.pk]  # its verdict was taken back only in revision 2
    assert re.search(rf'<mark[^>]*data-claim="{figure.pk}"[^>]*>around 160,000 asylum seekers', text)
    item = re.search(rf'<li id="revision-claim-{figure.pk}".*?</li>', page, re.S)
    assert item is not None
    told = _plain(item.group(0))
    assert "160,000" in told and "Mostly true" in told and "Statistic" in told
    assert "Carried to revision 2 (needs recheck" in told
    assert "Lost at revision 2" in _item(page, law.pk)
    assert reverse("claim_history", args=[figure.pk]) in item.group(0)


def test_the_current_revision_shows_the_claims_as_they_are(editor_client, article, revised):
    page = editor_client.get(reverse("revision_detail", args=[article.pk, 2])).content.decode()
    figure = revised["figure"]
    assert _plain(_text_of(page, "article-text")) == article.revisions.get(number=2).text
    item = _item(page, figure.pk)
    assert "180,000" in item and "In review" in item and "Mostly true" not in item
    assert f'id="revision-claim-{revised["law"].pk}"' not in page  # orphaned: it stayed on revision 1


@pytest.mark.django_db(transaction=True)  # one transaction would give every event the same time
def test_an_old_revision_shows_the_tags_it_had_then(editor_client, article, editor):
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    statistic, quote_tag = Tag.objects.get(slug="statistic"), Tag.objects.get(slug="quote")
    claim = services.update_claim(claim=claim, by=editor, expected_version=1, tags=[statistic])
    _revise(article, "UPDATED: " + DEMO_TEXT)
    claim.refresh_from_db()
    services.update_claim(claim=claim, by=editor, expected_version=claim.version, tags=[quote_tag])
    for number, shown, hidden in ((1, statistic, quote_tag), (2, quote_tag, statistic)):
        page = editor_client.get(reverse("revision_detail", args=[article.pk, number])).content.decode()
        item = _item(page, claim.pk)
        assert shown.name in item and hidden.name not in item


def test_a_claim_made_later_or_deleted_is_not_on_the_old_revision(editor_client, article, editor):
    gone = services.create_claim(article=article, by=editor, exact=LAW)
    services.delete_claim(claim=gone, by=editor, expected_version=1)
    _revise(article, "UPDATED: " + DEMO_TEXT)
    article.refresh_from_db()
    later = services.create_claim(article=article, by=editor, exact=QUOTE)
    page = editor_client.get(reverse("revision_detail", args=[article.pk, 1])).content.decode()
    assert f'data-claim="{later.pk}"' not in page and f'data-claim="{gone.pk}"' not in page
    assert "No claims stood on this revision." in page


def test_the_old_revision_page_costs_the_same_queries_whatever_the_claims(
    editor_client, editor, django_assert_max_num_queries
):
    words = " ".join(f"word{i}" for i in range(400))
    small, large = ArticleFactory.create(text=words), ArticleFactory.create(text=words)
    statistic = Tag.objects.get(slug="statistic")
    for article, count in ((small, 2), (large, 25)):
        for i in range(count):
            claim = services.create_claim(article=article, by=editor, exact=f"word{i} ")
            services.update_claim(claim=claim, by=editor, expected_version=1, tags=[statistic])
        _revise(article, "UPDATED: " + words)
    with django_assert_max_num_queries(20) as small_queries:
        editor_client.get(reverse("revision_detail", args=[small.pk, 1]))
    with django_assert_max_num_queries(len(small_queries)):
        page = editor_client.get(reverse("revision_detail", args=[large.pk, 1])).content.decode()
    assert page.count('class="claim-item') == 25


def test_the_compare_page_marks_what_changed_between_two_revisions(editor_client, article, revised):
    url = reverse("revision_compare", args=[article.pk])
    page = editor_client.get(url, {"from": 1, "to": 2}).content.decode()
    assert '<del class="diff-del">160,000</del><ins class="diff-ins">180,000</ins>' in page
    assert '<del class="diff-del"> Former Mayor Bill de Blasio' in page
    diff = _text_of(page, "revision-diff")
    assert _text_of(editor_client.get(url).content.decode(), "revision-diff") == diff  # the last two
    backwards = editor_client.get(url, {"from": 2, "to": 1}).content.decode()
    assert '<del class="diff-del">180,000</del><ins class="diff-ins">160,000</ins>' in backwards


def test_article_text_is_escaped_on_every_revision_page(editor_client, editor):
    article = ArticleFactory.create(text="He wrote <script>alert(1)</script> and 160,000 people came.")
    services.create_claim(article=article, by=editor, exact="160,000 people")
    _revise(article, "He wrote <script>alert(2)</script> and 180,000 people came.")
    for url, query in (
        (reverse("revision_detail", args=[article.pk, 1]), {}),
        (reverse("revision_compare", args=[article.pk]), {"from": 1, "to": 2}),
    ):
        page = editor_client.get(url, query).content.decode()
        assert "<script>alert" not in page and "&lt;script&gt;alert(" in page


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ({"from": "one", "to": "2"}, 400, "Revisions are numbered"),
        ({"from": "1", "to": "²"}, 400, "Revisions are numbered"),
        ({"from": "-1", "to": "2"}, 400, "Revisions are numbered"),
        ({"from": "1"}, 400, "Pick two revisions"),
        ({"from": "2", "to": "2"}, 400, "pick two different revisions"),
        ({"from": "1", "to": "3"}, 404, "This article has no revision 3; it has revisions 1 to 2."),
        ({"from": "0", "to": "2"}, 404, "no revision 0"),
        ({"from": "1", "to": "99999999999999999999999"}, 404, "no revision 99999999999999999999999"),
    ],
)
def test_bad_revision_numbers_are_answered_clearly(editor_client, article, revised, query, status, message):
    response = editor_client.get(reverse("revision_compare", args=[article.pk]), query)
    assert response.status_code == status
    assert message in html.unescape(response.content.decode())


def test_an_article_with_one_revision_has_nothing_to_compare(editor_client, article):
    response = editor_client.get(reverse("revision_compare", args=[article.pk]))
    assert response.status_code == 200 and "nothing to compare yet" in response.content.decode()
    assert editor_client.get(reverse("revision_detail", args=[article.pk, 2])).status_code == 404
    assert editor_client.get(reverse("revision_detail", args=[article.pk, 0])).status_code == 404
    assert editor_client.get(f"/articles/{article.pk}/revisions/one/").status_code == 404


def test_who_may_read_the_revisions(client, article, revised, researcher):
    outsider = UserFactory.create(username="outsider", role="nobody")
    urls = [
        reverse("revision_list", args=[article.pk]),
        reverse("revision_detail", args=[article.pk, 1]),
        reverse("revision_compare", args=[article.pk]) + "?from=1&to=2",
    ]
    for url in urls:
        assert client.get(url).status_code == 302  # anonymous: sent to sign in
    client.force_login(outsider)
    for url in urls:
        assert client.get(url).status_code == 404
    client.force_login(researcher)
    for url in urls:
        assert client.get(url).status_code == 200
    assert client.get(reverse("revision_list", args=[999_999])).status_code == 404


def test_the_article_page_links_to_its_revisions_once_there_are_two(editor_client, article, revised):
    page = editor_client.get(reverse("article_detail", args=[article.pk])).content.decode()
    assert f'href="{reverse("revision_list", args=[article.pk])}"' in page
