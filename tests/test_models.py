"""Integrity the database itself enforces, whatever code writes to it."""

from __future__ import annotations

from typing import TypedDict, cast

import pytest
from django.db import DatabaseError, IntegrityError, transaction
from django_stubs_ext import WithAnnotations

from annotations.models import Article, Claim, ClaimSource, ClaimTag, Revision, Source, Suggestion, Tag
from tests.factories import ArticleFactory, SourceFactory

pytestmark = pytest.mark.django_db


def _claim(article: Article, **overrides) -> Claim:
    revision = article.current_revision
    assert revision is not None
    fields = {"article": article, "revision": revision, "start": 0, "end": 3, "exact": revision.text[0:3]}
    return Claim(**(fields | overrides))


def test_a_claim_with_start_after_end_is_refused_by_the_database(article):
    with pytest.raises(IntegrityError, match="violates check constraint"), transaction.atomic():
        _claim(article, start=5, end=2, exact="").save()


def test_an_empty_span_is_refused_by_the_database(article):
    with pytest.raises(IntegrityError, match="claim_span_ordered"), transaction.atomic():
        _claim(article, start=4, end=4, exact="").save()


def test_a_quote_that_does_not_fit_its_span_is_refused_by_the_database(article):
    with pytest.raises(IntegrityError, match="claim_exact_fits_span"), transaction.atomic():
        _claim(article, start=0, end=3, exact="four").save()


def test_a_revision_cannot_be_changed_once_written(article):
    revision = article.current_revision
    with (
        pytest.raises(DatabaseError, match="Cannot update rows from annotations_revision"),
        transaction.atomic(),
    ):
        Revision.objects.filter(pk=revision.pk).update(text="rewritten history")
    revision.refresh_from_db()
    assert revision.text.startswith("New York City")


def test_two_articles_cannot_share_a_url(db):
    ArticleFactory.create(url="https://news.example/same")
    with pytest.raises(IntegrityError, match="article_url_unique"), transaction.atomic():
        Article.objects.create(title="Copy", url="https://news.example/same")


def test_articles_without_a_url_may_coexist(db):
    Article.objects.create(title="One")
    Article.objects.create(title="Two")
    assert Article.objects.filter(url="").count() == 2


def test_a_source_url_is_unique(db):
    SourceFactory.create(url="https://stats.example/table")
    with pytest.raises(IntegrityError, match="source_url_unique"), transaction.atomic():
        Source.objects.create(url="https://stats.example/table", title="Again")


def test_a_claim_links_a_source_and_a_tag_only_once(article):
    claim = _claim(article)
    claim.save()
    source = SourceFactory.create()
    tag = Tag.objects.get(slug="statistic")
    ClaimSource.objects.create(claim=claim, source=source, relation="supports")
    ClaimTag.objects.create(claim=claim, tag=tag)
    with pytest.raises(IntegrityError, match="claim_source_unique"), transaction.atomic():
        ClaimSource.objects.create(claim=claim, source=source, relation="refutes")
    with pytest.raises(IntegrityError, match="claim_tag_unique"), transaction.atomic():
        ClaimTag.objects.create(claim=claim, tag=tag)


def test_the_vocabulary_has_claim_types_and_topics(db):
    facets = set(Tag.objects.values_list("facet", flat=True))
    assert facets == {Tag.Facet.CLAIM_TYPE, Tag.Facet.TOPIC}
    assert Tag.objects.filter(slug="statistic", facet=Tag.Facet.CLAIM_TYPE).exists()


def test_a_source_in_use_cannot_be_deleted(article):
    claim = _claim(article)
    claim.save()
    source = SourceFactory.create()
    ClaimSource.objects.create(claim=claim, source=source, relation="context")
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        source.delete()


class _Counts(TypedDict):
    claim_count: int
    attention_count: int


def test_claims_are_filtered_by_chainable_querysets(article):
    first = _claim(article, status=Claim.Status.REVIEWED, verdict=Claim.Verdict.FALSE)
    first.save()
    second = _claim(
        article,
        start=4,
        end=8,
        exact=article.current_revision.text[4:8],
        anchor_state=Claim.AnchorState.ORPHANED,
    )
    second.save()
    ClaimTag.objects.create(claim=first, tag=Tag.objects.get(slug="statistic"))
    assert list(Claim.objects.for_article(article).with_status("reviewed")) == [first]
    assert list(Claim.objects.with_verdict("false").tagged("statistic")) == [first]
    assert list(Claim.objects.needing_attention()) == [second]
    # with_claim_counts() is typed as a plain ArticleQuerySet; the annotations it adds are these.
    counted = cast(
        "WithAnnotations[Article, _Counts]", Article.objects.with_claim_counts().get(pk=article.pk)
    )
    assert (counted.claim_count, counted.attention_count) == (2, 1)


def test_deleting_an_article_deletes_its_revisions_and_claims_but_not_a_revision_alone(article):
    from django.db.models import RestrictedError

    claim = _claim(article)
    claim.save()
    with pytest.raises(RestrictedError):
        Revision.objects.filter(pk=article.current_revision_id).delete()
    article.delete()
    assert not Claim.objects.exists() and not Revision.objects.exists()


def test_a_change_bumps_the_version_and_says_who_and_when(article, editor):
    claim = _claim(article)
    claim.save()
    before = claim.updated_at
    claim.touch(editor, fields=[])
    claim.refresh_from_db()
    assert (claim.version, claim.updated_by) == (2, editor) and claim.updated_at > before
    claim.note = "unsaved until touched"
    claim.touch(None, fields=["note"])
    claim.refresh_from_db()
    assert (claim.version, claim.updated_by, claim.note) == (3, None, "unsaved until touched")


def test_suggestions_show_the_strongest_first_whatever_their_kind_then_in_text_order(article):
    revision = article.current_revision
    made = [
        Suggestion(article=article, revision=revision, kind="sentence", start=0, end=3, text="a", score=0.3),
        Suggestion(article=article, revision=revision, kind="sentence", start=5, end=9, text="b", score=0.9),
        Suggestion(article=article, revision=revision, kind="figure", start=20, end=22, text="c", score=1.0),
        Suggestion(article=article, revision=revision, kind="figure", start=10, end=12, text="d", score=1.0),
        Suggestion(article=article, revision=revision, kind="figure", start=30, end=32, text="f", score=0.1),
        Suggestion(article=article, revision=revision, kind="sentence", start=1, end=4, text="e", score=0.3),
    ]
    Suggestion.objects.filter(revision=revision).delete()
    Suggestion.objects.bulk_create(made)
    ordered = Suggestion.objects.filter(revision=revision).in_showing_order()
    assert [s.text for s in ordered] == ["d", "c", "b", "a", "e", "f"]  # a weak figure comes last
