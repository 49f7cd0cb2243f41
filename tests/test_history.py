"""A claim's recorded history (pghistory triggers) and how `annotations.history` tells it to an editor."""

from __future__ import annotations

import pytest
from django.db import connection

from annotations import services
from annotations.history import changes_since, history_entries
from annotations.importing import ArticleInput
from annotations.models import Tag, history_of
from tests.factories import SourceFactory

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
        ("reviewer", ["changed verdict: No verdict → Mostly true"]),
        ("editor", ["attached source “Census table” (refutes)"]),
        ("editor", ["changed note: (empty) → “First note”"]),
        ("editor", [f"created the claim on “{QUOTE}”"]),
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
        ("colleague", ["changed status: Draft → In review"]),
        ("colleague", ["added tag Statistic"]),
    ]
    assert changes_since(claim, claim.version) == []


def test_a_long_value_is_shortened_in_the_entry(article, editor):
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    services.update_claim(claim=claim, by=editor, expected_version=1, note="n" * 200)
    (change,) = history_entries(claim)[0].changes
    assert change == f"changed note: (empty) → “{'n' * 80}…”"


def test_the_system_and_the_reason_are_recorded_for_a_revision_that_moves_a_claim(article, editor):
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    text = article.current_revision.text
    services.import_article(
        article_input=ArticleInput.build(title=article.title, url=article.url, text="UPDATED: " + text)
    )
    newest = history_entries(claim)[0]
    assert (newest.who, newest.reason) == ("the system", "carried to revision 2")
    assert "changed start: “" in " ".join(newest.changes)


def test_an_editors_reattach_and_dismissal_say_why(article, editor):
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    start = article.current_revision.text.index("legislation")
    claim = services.reattach_claim(
        claim=claim, by=editor, expected_version=1, start=start, end=start + len("legislation")
    )
    services.dismiss_attention(claim=claim, by=editor, expected_version=2)
    reasons = [entry.reason for entry in history_entries(claim)]
    assert reasons == ["dismissed by an editor", "re-attached by an editor", ""]
