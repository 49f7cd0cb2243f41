"""Workflows shared by the browser and the API: claims, optimistic locking, revisions, sources."""

from __future__ import annotations

import unicodedata

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from annotations import services
from annotations.history import history_entries
from annotations.importing import ArticleInput
from annotations.models import AnchorRecord, Claim, ClaimSource, Source, Tag
from tests.conftest import DEMO_TEXT
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db

QUOTE = "around 160,000 asylum seekers since April 2022"


def _error_text(error: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(error.value.messages)


# --- creating claims -------------------------------------------------------------------------------------


def test_it_creates_a_claim_from_offsets_with_context(article, editor):
    start = DEMO_TEXT.index(QUOTE)
    claim = services.create_claim(article=article, by=editor, start=start, end=start + len(QUOTE))
    assert claim.exact == QUOTE
    assert claim.revision == article.current_revision
    assert DEMO_TEXT[:start].endswith(claim.prefix) and 0 < len(claim.prefix) <= 32
    assert DEMO_TEXT[start + len(QUOTE) :].startswith(claim.suffix) and 0 < len(claim.suffix) <= 32
    assert (claim.status, claim.anchor_state, claim.version) == ("draft", "anchored", 1)
    assert claim.created_by == editor


def test_it_creates_a_claim_from_a_quote_alone(article, editor):
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    assert (claim.start, claim.end) == (DEMO_TEXT.index(QUOTE), DEMO_TEXT.index(QUOTE) + len(QUOTE))


def test_it_rejects_offsets_past_the_end(article, editor):
    with pytest.raises(ValidationError) as error:
        services.create_claim(article=article, by=editor, start=10, end=len(DEMO_TEXT) + 1)
    assert f"the text has {len(DEMO_TEXT)} characters" in _error_text(error)
    assert not Claim.objects.exists()


@pytest.mark.parametrize(("start", "end"), [(-1, 4), (5, 5), (9, 3)])
def test_it_rejects_offsets_in_the_wrong_order(article, editor, start, end):
    with pytest.raises(ValidationError, match="out of range"):
        services.create_claim(article=article, by=editor, start=start, end=end)


def test_it_rejects_an_exact_that_does_not_match_the_offsets(article, editor):
    start = DEMO_TEXT.index(QUOTE)
    with pytest.raises(ValidationError) as error:
        services.create_claim(article=article, by=editor, start=start, end=start + 14, exact="around 180,000")
    assert "does not match the text" in _error_text(error) and "'around 160,000'" in _error_text(error)


def test_it_rejects_a_quote_that_is_not_in_the_text(article, editor):
    with pytest.raises(ValidationError, match="does not occur"):
        services.create_claim(article=article, by=editor, exact="around 180,000 asylum seekers")


def test_it_rejects_an_ambiguous_quote_and_accepts_it_with_context(article, editor):
    with pytest.raises(ValidationError, match="occurs 2 times"):
        services.create_claim(article=article, by=editor, exact="in 20")
    claim = services.create_claim(article=article, by=editor, exact="in 20", prefix="legislation ")
    assert DEMO_TEXT[claim.start - 12 : claim.end] == "legislation in 20"


def test_it_rejects_a_selection_of_white_space(article, editor):
    with pytest.raises(ValidationError, match="white space"):
        services.create_claim(article=article, by=editor, start=3, end=4)


def test_it_rejects_a_claim_on_an_old_revision(article, editor):
    with pytest.raises(ValidationError, match="not the current revision"):
        services.create_claim(article=article, by=editor, exact=QUOTE, revision_number=7)


def test_a_researcher_cannot_create_claims(article, researcher):
    with pytest.raises(PermissionDenied):
        services.create_claim(article=article, by=researcher, exact=QUOTE)


def test_claim_offsets_count_code_points_not_utf16_units(db, editor):
    from tests.factories import ArticleFactory

    text = "Emoji 😀🇫🇷 first, then e\u0301 and שלום: around 160,000 asylum seekers arrived."
    article = ArticleFactory.create(text=text)
    claim = services.create_claim(article=article, by=editor, exact="160,000 asylum seekers")
    assert article.current_revision is not None
    assert article.current_revision.text == unicodedata.normalize("NFC", text)
    assert claim.start == 41  # e + combining acute is one code point once normalised
    assert article.current_revision.text[claim.start : claim.end] == "160,000 asylum seekers"


# --- editing claims --------------------------------------------------------------------------------------


def test_an_edit_bumps_the_version(article, editor):
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    updated = services.update_claim(
        claim=claim, by=editor, expected_version=1, note="Check the city data.", status="in_review"
    )
    assert (updated.version, updated.note, updated.status, updated.updated_by) == (
        2,
        "Check the city data.",
        "in_review",
        editor,
    )


def test_a_stale_edit_is_refused_and_nothing_is_overwritten(article, editor, colleague):
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    services.update_claim(claim=claim, by=colleague, expected_version=1, note="Colleague's note")
    with pytest.raises(services.StaleEdit) as error:
        services.update_claim(claim=claim, by=editor, expected_version=1, note="My note")
    assert error.value.claim.version == 2 and error.value.claim.note == "Colleague's note"
    claim.refresh_from_db()
    assert claim.note == "Colleague's note"


def test_an_editor_cannot_give_a_verdict_but_a_reviewer_can(article, editor, reviewer):
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    with pytest.raises(PermissionDenied):
        services.update_claim(claim=claim, by=editor, expected_version=1, verdict="false")
    with pytest.raises(PermissionDenied):
        services.update_claim(claim=claim, by=editor, expected_version=1, status="reviewed")
    reviewed = services.update_claim(
        claim=claim, by=reviewer, expected_version=1, verdict="false", status="reviewed"
    )
    assert (reviewed.verdict, reviewed.status) == ("false", "reviewed")


def test_an_unknown_status_or_verdict_is_a_validation_error(article, editor, reviewer):
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    with pytest.raises(ValidationError, match="not a status"):
        services.update_claim(claim=claim, by=editor, expected_version=1, status="published!")
    with pytest.raises(ValidationError, match="not a verdict"):
        services.update_claim(claim=claim, by=reviewer, expected_version=1, verdict="pants on fire")


def test_a_save_of_a_note_and_tags_together_is_one_new_version(article, editor):
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    updated = services.update_claim(
        claim=claim,
        by=editor,
        expected_version=1,
        note="Check the city data.",
        tags=[Tag.objects.get(slug="statistic")],
    )
    assert updated.version == 2
    assert Claim.objects.get(pk=claim.pk).version == 2


def test_tags_and_sources_bump_the_version(article, editor):
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    statistic = Tag.objects.get(slug="statistic")
    claim = services.update_claim(claim=claim, by=editor, expected_version=1, tags=[statistic])
    assert claim.version == 2 and list(claim.tags.all()) == [statistic]
    source = services.find_or_create_source(
        url="https://WWW.NYC.gov/asylum/?utm_source=x#top", title="NYC", by=editor
    )
    assert source.url == "https://www.nyc.gov/asylum/"
    claim = services.attach_source(
        claim=claim, source=source, relation="supports", quote="160,000", by=editor, expected_version=2
    )
    assert claim.version == 3
    assert ClaimSource.objects.get(claim=claim).quote == "160,000"
    claim = services.detach_source(claim=claim, source=source, by=editor, expected_version=3)
    assert claim.version == 4 and not claim.sources.exists()


def test_the_same_url_finds_the_same_source(editor):
    first = services.find_or_create_source(url="http://stats.example:80/t", title="Table", by=editor)
    second = services.find_or_create_source(url="HTTP://stats.example/t", title="Other title", by=editor)
    assert first == second and Source.objects.count() == 1


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://x.example/", "not a url", "https://"])
def test_a_bad_source_url_is_a_validation_error(editor, url):
    with pytest.raises(ValidationError, match="not an absolute http"):
        services.find_or_create_source(url=url, title="x", by=editor)


def test_an_unknown_relation_is_a_validation_error(article, editor):
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    with pytest.raises(ValidationError, match="supports, refutes, context"):
        services.attach_source(
            claim=claim, source=SourceFactory.create(), relation="likes", by=editor, expected_version=1
        )


def test_deleting_needs_the_current_version(article, editor):
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    with pytest.raises(services.StaleEdit):
        services.delete_claim(claim=claim, by=editor, expected_version=5)
    services.delete_claim(claim=claim, by=editor, expected_version=1)
    assert not Claim.objects.exists()


# --- revisions -------------------------------------------------------------------------------------------


def _revise(article, text: str, editor=None):
    return services.import_article(
        article_input=ArticleInput.build(title=article.title, url=article.url, text=text), by=editor
    )


def test_a_new_revision_carries_every_claim_and_records_how(article, editor):
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    law = services.create_claim(article=article, by=editor, exact="legislation in 2018")
    result = _revise(article, "UPDATED: " + DEMO_TEXT, editor)
    assert result.outcome == "revised"
    claim.refresh_from_db()
    law.refresh_from_db()
    revision = claim.article.current_revision
    assert revision is not None
    assert revision.number == 2
    for carried, quote in ((claim, QUOTE), (law, "legislation in 2018")):
        assert carried.revision == revision
        assert revision.text[carried.start : carried.end] == quote
        assert carried.anchor_state == "moved"
    assert AnchorRecord.objects.filter(to_revision=revision).count() == 2


def test_a_changed_figure_flags_the_claim_and_keeps_the_old_quote_on_record(article, editor):
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    _revise(article, DEMO_TEXT.replace("160,000", "180,000"))
    claim.refresh_from_db()
    assert claim.anchor_state == "needs_recheck"
    assert claim.exact != QUOTE
    record = AnchorRecord.objects.get(claim=claim)
    assert record.old_exact == QUOTE and record.state == "needs_recheck"


def _reviewed(claim, reviewer, verdict="mostly_true"):
    return services.update_claim(
        claim=claim, by=reviewer, expected_version=claim.version, status="reviewed", verdict=verdict
    )


def test_a_changed_figure_takes_back_the_verdict_given_to_the_old_one(article, editor, reviewer):
    claim = _reviewed(services.create_claim(article=article, by=editor, exact=QUOTE), reviewer)
    _revise(article, DEMO_TEXT.replace("160,000", "180,000"))
    claim.refresh_from_db()
    assert claim.anchor_state == "needs_recheck" and "180,000" in claim.exact
    assert (claim.verdict, claim.status) == ("", "in_review")
    changes = [change for entry in history_entries(claim) for change in entry.changes]
    assert "Verdict: Mostly true → (cleared, figure changed)" in changes
    assert "Status: In review" in changes


def test_a_claim_carried_with_its_figure_unchanged_keeps_its_verdict(article, editor, reviewer):
    claim = _reviewed(services.create_claim(article=article, by=editor, exact=QUOTE), reviewer)
    _revise(article, "Breaking. " + DEMO_TEXT)
    claim.refresh_from_db()
    assert claim.anchor_state == "moved"
    assert (claim.verdict, claim.status) == ("mostly_true", "reviewed")


def test_reattaching_to_other_words_takes_back_the_verdict_and_to_the_same_words_keeps_it(
    article, editor, reviewer
):
    claim = _reviewed(services.create_claim(article=article, by=editor, exact=QUOTE), reviewer)
    text = DEMO_TEXT
    same = services.reattach_claim(
        claim=claim,
        by=editor,
        expected_version=claim.version,
        start=text.index(QUOTE),
        end=text.index(QUOTE) + len(QUOTE),
    )
    assert (same.verdict, same.status) == ("mostly_true", "reviewed")
    other = "substantial budget cuts"
    moved = services.reattach_claim(
        claim=same,
        by=editor,
        expected_version=same.version,
        start=text.index(other),
        end=text.index(other) + len(other),
    )
    assert (moved.exact, moved.verdict, moved.status) == (other, "", "in_review")


def test_a_claim_whose_text_is_gone_is_orphaned_not_deleted(article, editor):
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    old_revision = claim.revision
    _revise(article, "A completely different story about the weather in Lisbon, nothing else.")
    claim.refresh_from_db()
    assert claim.anchor_state == "orphaned"
    assert (claim.revision, claim.exact) == (old_revision, QUOTE)
    assert list(Claim.objects.needing_attention()) == [claim]


def test_an_editor_reattaches_an_orphaned_claim(article, editor):
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    _revise(article, "Now: the city took in some 170,000 asylum seekers.")
    claim.refresh_from_db()
    assert claim.article.current_revision is not None
    text = claim.article.current_revision.text
    start = text.index("some 170,000")
    claim = services.reattach_claim(
        claim=claim,
        by=editor,
        expected_version=claim.version,
        start=start,
        end=start + len("some 170,000 asylum seekers"),
    )
    assert (claim.anchor_state, claim.exact) == ("anchored", "some 170,000 asylum seekers")
    assert (claim.version, claim.updated_by) == (3, editor)  # created 1, orphaned by the revision 2


def test_every_kind_of_change_bumps_the_version_once_and_records_who(article, editor, colleague):
    claim = services.create_claim(article=article, by=editor, exact=QUOTE)
    seen = []
    claim = services.update_claim(claim=claim, by=colleague, expected_version=1, note="n", status="in_review")
    seen.append((claim.version, claim.updated_by))
    _revise(article, "Now: the city took in some 170,000 asylum seekers.")  # the system orphans it
    claim.refresh_from_db()
    seen.append((claim.version, claim.updated_by))
    claim = services.dismiss_attention(claim=claim, by=editor, expected_version=3)
    seen.append((claim.version, claim.updated_by))
    assert claim.article.current_revision is not None
    text = claim.article.current_revision.text
    start = text.index("170,000")
    claim = services.reattach_claim(
        claim=claim, by=colleague, expected_version=4, start=start, end=start + len("170,000")
    )
    seen.append((claim.version, claim.updated_by))
    assert seen == [(2, colleague), (3, None), (4, editor), (5, colleague)]
    claim.refresh_from_db()
    assert (claim.version, claim.updated_by, claim.exact, claim.attention_dismissed_at) == (
        5,
        colleague,
        "170,000",
        None,
    )


def test_the_same_content_again_adds_nothing(article):
    result = _revise(article, DEMO_TEXT)
    assert result.outcome == "unchanged"
    assert article.revisions.count() == 1


def test_the_same_text_normalised_differently_is_the_same_content(article):
    result = _revise(
        article, "\r\n" + DEMO_TEXT.replace("cuts. ", "cuts.\r\n").replace("cuts.\r\n", "cuts. ")
    )
    assert result.outcome == "unchanged"


@pytest.mark.parametrize("refusal", ["stale", "role"])
def test_a_refused_attachment_of_a_new_source_leaves_no_source_behind(refusal, article, editor, reviewer):
    claim = services.create_claim(article=article, by=editor, exact="160,000 asylum seekers")
    by, version = (editor, claim.version + 1) if refusal == "stale" else (reviewer, claim.version)
    with pytest.raises(services.StaleEdit if refusal == "stale" else PermissionDenied):
        services.attach_new_source(
            claim=claim,
            url="https://stats.example/new",
            title="New statistics",
            relation="supports",
            by=by,
            expected_version=version,
        )
    assert not Source.objects.filter(url="https://stats.example/new").exists()
    claim = services.attach_new_source(
        claim=claim,
        url="https://stats.example/new",
        title="New statistics",
        relation="supports",
        by=editor,
        expected_version=claim.version,
    )
    assert claim.sources.get().url == "https://stats.example/new"
    assert Source.objects.get().link_check is not None
