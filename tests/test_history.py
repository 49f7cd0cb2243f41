"""A claim's recorded history (pghistory triggers) and how `annotations.history` tells it to an editor."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.urls import reverse

from annotations import services
from annotations.history import changes_since, history_entries
from annotations.importing import ArticleInput
from annotations.models import Tag, history_of
from tests.conftest import DEMO_TEXT
from tests.factories import ArticleFactory, SourceFactory

pytestmark = pytest.mark.django_db

QUOTE = "around 160,000 asylum seekers since April 2022"


def test_every_change_is_in_the_history_with_who_and_what(article, editor, reviewer):
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    claim = services.update_claim(
        claim=claim,
        by=editor,
        expected_version=1,
        note="First note",
        tags=[Tag.objects.get(slug="statistic")],
    )
    services.update_claim(claim=claim, by=reviewer, expected_version=claim.version, verdict="mostly_true")
    events = list(history_of(claim))
    labels = [(event.pgh_model, event.pgh_label) for event in events]
    assert ("annotations.ClaimEvent", "insert") in labels
    assert ("annotations.ClaimTagEvent", "insert") in labels
    verdict_change = next(e for e in events if e.pgh_diff and "verdict" in e.pgh_diff)
    assert verdict_change.pgh_diff["verdict"] == ["", "mostly_true"]
    assert verdict_change.pgh_context["user"] == reviewer.pk
    note_change = next(e for e in events if e.pgh_diff and "note" in e.pgh_diff)
    assert note_change.pgh_context["user"] == editor.pk


def test_events_are_indexed_by_the_claim_they_belong_to_and_nothing_else(db):
    # Every index on an event table is written with every claim change; these are the ones
    # `history_of` reads by (settings.PGHISTORY_FOREIGN_KEY_FIELD leaves the other copied keys bare).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.relname, a.attname FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid"
            " JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(i.indkey)"
            " WHERE t.relname IN ('annotations_claimevent', 'annotations_claimtagevent',"
            " 'annotations_claimsourceevent') AND NOT i.indisprimary"
        )
        indexed = set(cursor.fetchall())
    assert indexed == {
        ("annotations_claimevent", "pgh_obj_id"),
        ("annotations_claimtagevent", "claim_id"),
        ("annotations_claimsourceevent", "claim_id"),
    }


@pytest.mark.django_db(transaction=True)  # one transaction would give every event the same time
def test_entries_name_who_changed_what_newest_first_without_the_bookkeeping(article, editor, reviewer):
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    claim = services.update_claim(claim=claim, by=editor, expected_version=1, note="First note")
    services.attach_source(
        claim=claim,
        source=SourceFactory.create(title="Census table"),
        relation="refutes",
        by=editor,
        expected_version=claim.version,
    )
    services.update_claim(claim=claim, by=reviewer, expected_version=3, verdict="mostly_true")
    entries = history_entries(claim)
    assert [(entry.who, entry.changes) for entry in entries] == [
        ("reviewer", ["Verdict: Mostly true"]),
        ("editor", ["Attached source “Census table” (refutes)"]),
        ("editor", ["Note added: “First note”"]),
        ("editor", [f"Claimed “{QUOTE}” on revision 1"]),
    ]


@pytest.mark.django_db(transaction=True)  # each change its own transaction: events are ordered by time
def test_changes_since_a_version_are_only_the_later_ones(article, editor, colleague):
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    claim = services.update_claim(claim=claim, by=editor, expected_version=1, note="Mine")
    claim = services.update_claim(
        claim=claim, by=colleague, expected_version=2, tags=[Tag.objects.get(slug="statistic")]
    )
    claim = services.update_claim(claim=claim, by=colleague, expected_version=3, status="in_review")
    assert [(entry.who, entry.changes) for entry in changes_since(claim, 2)] == [
        ("colleague", ["Status: In review"]),
        ("colleague", ["Tagged Statistic"]),
    ]
    assert changes_since(claim, claim.version) == []


def test_a_long_value_is_shortened_in_the_entry(article, editor):
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    services.update_claim(claim=claim, by=editor, expected_version=1, note="n" * 200)
    (change,) = history_entries(claim)[0].changes
    assert change == f"Note added: “{'n' * 80}…”"


def test_the_system_and_the_reason_are_recorded_for_a_revision_that_moves_a_claim(article, editor):
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    text = article.current_revision.text
    services.import_article(
        article_input=ArticleInput.build(title=article.title, url=article.url, text="UPDATED: " + text)
    )
    newest = history_entries(claim)[0]
    assert (newest.who, newest.reason) == ("the system", "carried to revision 2")
    assert newest.changes == ["Carried to revision 2", "Moved with the text"]


def test_an_editors_reattach_and_dismissal_say_why(article, editor):
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    start = article.current_revision.text.index("legislation")
    claim = services.reattach_claim(
        claim=claim, by=editor, expected_version=1, start=start, end=start + len("legislation")
    )
    services.dismiss_attention(claim=claim, by=editor, expected_version=2)
    reasons = [entry.reason for entry in history_entries(claim)]
    assert reasons == ["dismissed by an editor", "re-attached by an editor", ""]


def _revise(article, text: str):
    services.import_article(article_input=ArticleInput.build(title=article.title, url=article.url, text=text))


def _changes(claim) -> list[str]:
    return [change for entry in history_entries(claim) for change in entry.changes]


def test_a_changed_figure_says_the_verdict_was_cleared_and_why(article, editor, reviewer):
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    services.update_claim(
        claim=claim, by=reviewer, expected_version=1, status="reviewed", verdict="mostly_true"
    )
    _revise(article, DEMO_TEXT.replace("160,000", "180,000"))
    newest = history_entries(claim)[0]
    assert newest.changes == [
        "Carried to revision 2",
        f"Quote: “{QUOTE}” → “{QUOTE.replace('160,000', '180,000')}”",
        "Needs recheck: a figure in it changed",
        "Verdict: Mostly true → (cleared, figure changed)",
        "Status: In review",
    ]


def test_an_orphaned_claim_and_its_dismissal_are_told_in_words(article, editor):
    claim = services.create_claim(article=article, by=editor, exact="legislation in 2018")
    _revise(article, DEMO_TEXT.split(" Former Mayor")[0])
    claim.refresh_from_db()
    services.dismiss_attention(claim=claim, by=editor, expected_version=claim.version)
    entries = history_entries(claim)
    assert [(entry.who, entry.changes) for entry in entries[:2]] == [
        ("editor", ["Dismissed from Needs attention"]),
        ("the system", ["Orphaned: its words are gone from the new revision"]),
    ]


def test_keeping_a_changed_figure_and_re_attaching_say_what_the_editor_did(article, editor, reviewer):
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    claim = services.update_claim(claim=claim, by=reviewer, expected_version=1, verdict="true")
    _revise(article, DEMO_TEXT.replace("160,000", "180,000"))
    claim.refresh_from_db()
    claim = services.dismiss_attention(claim=claim, by=editor, expected_version=claim.version)
    assert history_entries(claim)[0].changes == ["New figure kept"]
    claim = services.update_claim(claim=claim, by=reviewer, expected_version=claim.version, verdict="true")
    text = claim.revision.text
    start = text.index("legislation")
    services.reattach_claim(
        claim=claim, by=editor, expected_version=claim.version, start=start, end=start + len("legislation")
    )
    assert history_entries(claim)[0].changes == [
        "Re-attached on revision 2",
        f"Quote: “{QUOTE.replace('160,000', '180,000')}” → “legislation”",
        "Verdict: True → (cleared, moved to other words)",
    ]


def test_tags_sources_and_notes_are_told_as_an_editor_would(article, editor):
    statistic = Tag.objects.get(slug="statistic")
    source = SourceFactory.create(title="Census table")
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    claim = services.update_claim(claim=claim, by=editor, expected_version=1, tags=[statistic], note="One")
    claim = services.attach_source(
        claim=claim, source=source, relation="supports", by=editor, expected_version=claim.version
    )
    claim = services.attach_source(
        claim=claim, source=source, relation="context", by=editor, expected_version=claim.version
    )
    claim = services.update_claim(claim=claim, by=editor, expected_version=claim.version, note="Two")
    claim = services.update_claim(claim=claim, by=editor, expected_version=claim.version, note="", tags=[])
    services.detach_source(claim=claim, source=source, by=editor, expected_version=claim.version)
    changes = _changes(claim)
    for expected in (
        "Tagged Statistic",
        "Untagged Statistic",
        "Note added: “One”",
        "Note changed: “One” → “Two”",
        "Note removed (was “Two”)",
        "Attached source “Census table” (supports)",
        "Source “Census table” now gives context (was: supports)",
        "Removed source “Census table”",
    ):
        assert expected in changes


def test_no_field_name_or_id_reaches_the_editor(article, editor, reviewer):
    ArticleFactory.create(text="Another article, so that revision ids and numbers differ.")
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    claim = services.update_claim(
        claim=claim, by=editor, expected_version=1, note="n", tags=[Tag.objects.get(slug="statistic")]
    )
    claim = services.attach_source(
        claim=claim,
        source=SourceFactory.create(title="Census table"),
        relation="refutes",
        by=editor,
        expected_version=claim.version,
    )
    services.update_claim(claim=claim, by=reviewer, expected_version=claim.version, verdict="mixed")
    _revise(article, "UPDATED: " + DEMO_TEXT.replace("160,000", "180,000"))
    claim.refresh_from_db()
    claim = services.dismiss_attention(claim=claim, by=editor, expected_version=claim.version)
    told = " ".join([entry.who for entry in history_entries(claim)] + _changes(claim))
    assert claim.revision.pk != claim.revision.number
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", told), told
    for raw in ("revision_id", "updated_by", "anchor_state", "start", "version", "→ “”"):
        assert raw not in told
    assert f"revision {claim.revision.pk}" not in told and "revision 2" in told


def test_the_history_page_tells_a_carried_claim_in_words_and_links_its_revisions(client, article, editor):
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    _revise(article, "UPDATED: " + DEMO_TEXT)
    client.force_login(editor)
    page = client.get(reverse("claim_history", args=[claim.pk])).content.decode()
    assert "Carried to revision 2" in page and "Moved with the text" in page
    assert not re.search(r"\b(revision|updated_by|anchor_state|start)(_id)?:", page)
    assert reverse("revision_detail", args=[article.pk, 2]) in page
    assert reverse("revision_list", args=[article.pk]) in page
