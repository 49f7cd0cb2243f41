"""The newsroom's data: articles and their immutable revisions, claims anchored in them, tags and sources.

Integrity lives in the database (constraints, an immutability trigger on revisions, history triggers);
state changes of a single object are methods here, workflows across models are in `services.py`.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector, SearchVectorField
from django.core.cache import caches
from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import DEFAULT_DB_ALIAS, models
from django.db.models import Count, F, Func, OuterRef, Prefetch, Q, Subquery, Value
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Coalesce, Length, Lower, Reverse
from django.db.models.sql import Query
from django.utils import timezone

from annotations.roles import Action, Role, can
from annotations.suggestions import covered_by, shown_count
from annotations.suggestions.claim_types import CLAIM_TYPES

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser


class User(AbstractUser):
    role = models.CharField(
        max_length=16, choices=[(r.value, r.value.title()) for r in Role], default=Role.RESEARCHER
    )

    @property
    def effective_role(self) -> Role | None:
        if not self.is_active:
            return None
        if self.is_superuser:
            return Role.ADMIN
        # A role value the table does not know (edited in the database by hand) grants nothing.
        return Role(self.role) if self.role in Role.__members__.values() else None

    def may(self, action: Action) -> bool:
        return can(self.effective_role, action)


def may(user: User | AnonymousUser, action: Action) -> bool:
    """`user.may(action)` that also answers for anonymous visitors (never)."""
    return isinstance(user, User) and user.may(action)


_NOTHING = Q(pk__in=[])


def visibility(user: User | AnonymousUser) -> Q:
    """The one rule of what `user` may see, as a condition on claims or articles (by primary key):
    everything for a role that may view, nothing otherwise. `visible_to` filters by it; the raw-SQL
    paths of the API use it compiled (`visibility_sql`)."""
    return Q() if may(user, Action.VIEW) else _NOTHING


def visibility_sql(
    user: User | AnonymousUser, alias: str = "c", model: type[models.Model] | None = None
) -> tuple[str, list[Any]]:
    """`visibility(user)` as SQL on the table of `model` (claims by default) aliased `alias`: `TRUE`,
    `FALSE` or a condition, with its parameters."""
    sql, params = _compiled_visibility(visibility(user), alias, model or Claim)
    return sql, list(params)


@functools.lru_cache(maxsize=64)
def _compiled_visibility(condition: Q, alias: str, model: type[models.Model]) -> tuple[str, tuple[Any, ...]]:
    # Compiled once per distinct condition: compiling a Q costs more than the statement it goes in.
    query = Query(model)
    compiler = query.get_compiler(DEFAULT_DB_ALIAS)
    try:
        sql, params = compiler.compile(query.build_where(condition))
    except EmptyResultSet:
        return "FALSE", ()
    except FullResultSet:
        return "TRUE", ()
    if not sql:
        return "TRUE", ()
    return sql.replace(f'"{model._meta.db_table}".', f"{alias}."), tuple(params)


class ArticleQuerySet(models.QuerySet["Article"]):
    def visible_to(self, user: User | AnonymousUser) -> ArticleQuerySet:
        return self.filter(visibility(user))

    def with_claim_counts(self) -> ArticleQuerySet:
        """Each article's claims and claims needing attention, counted per row shown: a correlated count runs
        for the page's rows only, where a join and GROUP BY counted every claim of every article (1.6 s at a
        million claims for a page of 25)."""
        return self.annotate(
            claim_count=_count(Claim.objects.all()),
            attention_count=_count(Claim.objects.needing_attention()),
        )

    def matching(self, words: str, *, ranked: bool = False) -> ArticleQuerySet:
        """Articles whose title or current text has `words` (web-search syntax), from the stored documents
        (`ArticleSearch`), never the text itself.

        `ranked`: best first, title words weighing more, among the newest `RANK_WINDOW` matches. A word in
        nearly every article ("said") would otherwise rank every document before the first page (1.5 s at
        50,000 articles); the newest are found by walking the date index and stop there, so a common word
        costs what a rare one does. Unranked (the API, which pages by id) every match counts.
        """
        query = search_query(words)
        if not ranked:
            return self.filter(pk__in=ArticleSearch.objects.filter(document=query).values("article_id"))
        newest = ArticleSearch.objects.filter(document=query).order_by("-published_at", "-article_id")
        return (
            self.filter(pk__in=newest.values("article_id")[: ArticleSearch.RANK_WINDOW])
            .annotate(rank=SearchRank(F("search__document"), query))
            .order_by("-rank", "-published_at", "-pk")
        )


def _count(claims: models.QuerySet[Claim]) -> Coalesce:
    per_article = claims.filter(article=OuterRef("pk")).order_by().values("article").annotate(n=Count("pk"))
    return Coalesce(Subquery(per_article.values("n")), 0)


# Every full-text search reads English stemming and web-search syntax (`"exact phrase"`, `or`, `-word`).
SEARCH_CONFIG = "english"


def search_query(words: str) -> SearchQuery:
    return SearchQuery(words, search_type="websearch", config=SEARCH_CONFIG)


def claim_document() -> CombinedExpression:
    """The words a claim is found by: its quote (weight A) and its note (B), stored (`Claim.search_document`)
    so that neither an index recheck nor a filter on a walk down the date index parses a claim again."""
    return SearchVector("exact", weight="A", config=SEARCH_CONFIG) + SearchVector(
        "note", weight="B", config=SEARCH_CONFIG
    )


# The words an article is found by, kept by the database: inserting an article or changing its title or its
# current revision rewrites the document from the revision's text, and deleting it deletes the document, so
# no search answers from an old revision and no code path can forget it. (Built from constants only.)
ARTICLE_DOCUMENT_SQL = f"""
    IF TG_OP = 'DELETE' THEN
        DELETE FROM annotations_articlesearch WHERE article_id = OLD.id;
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.title IS NOT DISTINCT FROM OLD.title
       AND NEW.current_revision_id IS NOT DISTINCT FROM OLD.current_revision_id THEN
        IF NEW.published_at IS DISTINCT FROM OLD.published_at THEN
            UPDATE annotations_articlesearch SET published_at = NEW.published_at WHERE article_id = NEW.id;
        END IF;
        RETURN NULL;
    END IF;
    INSERT INTO annotations_articlesearch (article_id, published_at, document)
    VALUES (NEW.id, NEW.published_at, setweight(to_tsvector('{SEARCH_CONFIG}', NEW.title), 'A') || setweight(
        to_tsvector('{SEARCH_CONFIG}', coalesce(
            (SELECT text FROM annotations_revision WHERE id = NEW.current_revision_id), ''
        )), 'B'))
    ON CONFLICT (article_id) DO UPDATE SET published_at = EXCLUDED.published_at, document = EXCLUDED.document;
    RETURN NULL;
"""  # noqa: S608


_DOCUMENT_COLUMNS_UPDATED = pgtrigger.UpdateOf(  # type: ignore[no-untyped-call]
    "title", "current_revision_id", "published_at"
)


@pgtrigger.register(
    pgtrigger.Trigger(
        name="article_search_document",
        when=pgtrigger.After,
        operation=pgtrigger.Insert | _DOCUMENT_COLUMNS_UPDATED | pgtrigger.Delete,
        func=pgtrigger.Func(ARTICLE_DOCUMENT_SQL),  # type: ignore[no-untyped-call]
    )
)
class Article(models.Model):
    # Input limits, enforced alike by the HTML form, the API and the import command (importing.py).
    TITLE_MAX_LENGTH = 500
    OUTLET_MAX_LENGTH = 200
    BYLINE_MAX_LENGTH = 300
    URL_MAX_LENGTH = 2000

    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    outlet = models.CharField(max_length=OUTLET_MAX_LENGTH, blank=True)
    byline = models.CharField(max_length=BYLINE_MAX_LENGTH, blank=True)
    url = models.URLField(
        max_length=URL_MAX_LENGTH, blank=True, help_text="Canonical URL; unique when given."
    )
    published_at = models.DateTimeField(null=True, blank=True)
    language = models.CharField(max_length=16, default="en")
    current_revision = models.ForeignKey(
        "Revision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["url"], condition=~Q(url=""), name="article_url_unique"),
        ]
        # The article list's order: a page is the first rows of this index, whatever the table's size.
        indexes = [models.Index(F("published_at").desc(), F("id").desc(), name="article_newest")]

    def __str__(self) -> str:
        return self.title


class ArticleSearch(models.Model):
    """An article's title (weight A) and current text (B) as a stored, GIN-indexed tsvector.

    Written only by the trigger on `Article` (`ARTICLE_DOCUMENT_SQL`). A table of its own, so that loading
    an article, or a claim with its article, never carries a document as large as the text.
    """

    RANK_WINDOW = 1000  # a ranked search ranks the newest this many matches (`ArticleQuerySet.matching`)

    # Deleted by the trigger with its article, not by Django's cascade: Django would delete it first, and
    # then clearing the article's current revision (SET_NULL) would fire the trigger and write it again.
    article = models.OneToOneField(
        Article, primary_key=True, on_delete=models.DO_NOTHING, related_name="search"
    )
    published_at = models.DateTimeField(null=True, help_text="The article's, to find the newest matches.")
    document = SearchVectorField()

    class Meta:
        indexes = [
            GinIndex(fields=["document"], name="article_search_document"),
            models.Index(F("published_at").desc(), F("article").desc(), name="article_search_newest"),
        ]

    def __str__(self) -> str:
        return f"Search document of article {self.article_id}"


@pgtrigger.register(
    # A revision is a snapshot that claims point into: changing its text would move every claim silently.
    pgtrigger.Protect(name="revisions_are_immutable", operation=pgtrigger.Update),
)
class Revision(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    text = models.TextField(help_text="Normalised plain text (NFC, \\n line ends); offsets refer to it.")
    html = models.TextField(blank=True, help_text="Sanitised HTML as imported, for reference.")
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of the normalised text.")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["article", "number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="revision_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="revision_number_positive"),
        ]
        indexes = [models.Index(fields=["content_hash"])]

    def __str__(self) -> str:
        return f"{self.article} (revision {self.number})"


class Tag(models.Model):
    class Facet(models.TextChoices):
        CLAIM_TYPE = "claim_type", "Claim type"
        TOPIC = "topic", "Topic"

    NAME_MAX_LENGTH = 80

    name = models.CharField(max_length=NAME_MAX_LENGTH, unique=True)
    slug = models.SlugField(max_length=NAME_MAX_LENGTH, unique=True)
    facet = models.CharField(max_length=16, choices=Facet.choices)
    description = models.CharField(max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=100, help_text="Order in pickers and shortcuts.")

    class Meta:
        ordering = ["facet", "position", "name"]

    def __str__(self) -> str:
        return self.name


class Source(models.Model):
    class Kind(models.TextChoices):
        ARTICLE = "article", "News article"
        REPORT = "report", "Report or study"
        DATASET = "dataset", "Dataset or statistics"
        OFFICIAL = "official", "Official statement or record"
        DOCUMENT = "document", "Document"
        OTHER = "other", "Other"

    TITLE_MAX_LENGTH = 500
    PUBLISHER_MAX_LENGTH = 200
    URL_MAX_LENGTH = 2000

    url = models.URLField(max_length=URL_MAX_LENGTH, blank=True, help_text="Normalised; unique when given.")
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    publisher = models.CharField(max_length=PUBLISHER_MAX_LENGTH, blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.OTHER)
    published_on = models.DateField(null=True, blank=True)
    accessed_on = models.DateField(null=True, blank=True)
    archived_url = models.URLField(max_length=2000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The URL's host, lower case and reversed ("gov.nyc.www"), written by PostgreSQL: a host and its
    # subdomains are then one prefix, which a B-tree finds (`filters.on_domain`), where a regular
    # expression over every URL read all 20,000 sources for each filtered page.
    host_reversed = models.GeneratedField(
        expression=Reverse(
            Func(Lower("url"), Value(r"^[a-z][a-z0-9+.-]*://([^/?#:@]*)"), function="substring")
        ),
        output_field=models.TextField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["url"], condition=~Q(url=""), name="source_url_unique")
        ]
        indexes = [models.Index(fields=["host_reversed"], opclasses=["text_pattern_ops"], name="source_host")]

    def __str__(self) -> str:
        return self.title


class ClaimQuerySet(models.QuerySet["Claim"]):
    def visible_to(self, user: User | AnonymousUser) -> ClaimQuerySet:
        return self.filter(visibility(user))

    def for_article(self, article: Article | int) -> ClaimQuerySet:
        return self.filter(article=article)

    def with_status(self, *statuses: str) -> ClaimQuerySet:
        return self.filter(status__in=statuses)

    def with_verdict(self, *verdicts: str) -> ClaimQuerySet:
        return self.filter(verdict__in=verdicts)

    def with_anchor_state(self, *states: str) -> ClaimQuerySet:
        return self.filter(anchor_state__in=states)

    def with_source_link(self, *states: str) -> ClaimQuerySet:
        """Claims with an attached source whose link check is in one of `states`. EXISTS, not a join: a
        claim with two such sources comes back once; the few broken or changed checks are read from
        their partial index (`linkcheck_flagged`), not from every check."""
        checked = LinkCheck.objects.filter(state__in=states).values("source_id")
        return self.filter(
            models.Exists(ClaimSource.objects.filter(claim=OuterRef("pk"), source_id__in=checked))
        )

    def needing_attention(self) -> ClaimQuerySet:
        """Orphaned or changed claims that no editor has dismissed yet."""
        return self.with_anchor_state(*Claim.ATTENTION_STATES).filter(attention_dismissed_at__isnull=True)

    def tagged(self, *slugs: str) -> ClaimQuerySet:
        return self.filter(tags__slug__in=slugs).distinct()

    def matching(self, words: str) -> ClaimQuerySet:
        """Claims whose quote or note has `words` (web-search syntax), through the claims' text index."""
        return self.filter(search_document=search_query(words))

    def in_text_order(self) -> ClaimQuerySet:
        return self.order_by("start", "end", "pk")

    def with_related(self) -> ClaimQuerySet:
        """Everything a claim's representation shows, in a fixed number of queries whatever the count."""
        return self.select_related("article", "revision", "created_by", "updated_by").prefetch_related(
            "tags",
            Prefetch("claim_sources", queryset=ClaimSource.objects.select_related("source").order_by("pk")),
        )


def history_of_a_link(name: str) -> dict[str, Any]:
    """The events of a claim's tag or source link are read by claim (`history_of`), never by the link
    row itself: index the claim, not `pgh_obj` (settings.py: the other copied keys go unindexed)."""
    return {
        "obj_field": pghistory.ObjForeignKey(db_index=False),
        "meta": {"indexes": [models.Index(fields=["claim"], name=f"{name}event_claim")]},
    }


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    obj_field=pghistory.ObjForeignKey(db_index=True),  # a claim's own events are read by claim
    exclude=["search_document"],  # derived from the quote and the note, which the events keep
)
class Claim(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        REVIEWED = "reviewed", "Reviewed"

    class Verdict(models.TextChoices):
        NONE = "", "No verdict"
        TRUE = "true", "True"
        MOSTLY_TRUE = "mostly_true", "Mostly true"
        MIXED = "mixed", "Mixed"
        MOSTLY_FALSE = "mostly_false", "Mostly false"
        FALSE = "false", "False"
        UNPROVEN = "unproven", "Unproven"

    class AnchorState(models.TextChoices):
        ANCHORED = "anchored", "Anchored"
        MOVED = "moved", "Moved"
        FUZZY = "fuzzy", "Fuzzy: check the highlight"
        ORPHANED = "orphaned", "Orphaned: text gone"
        NEEDS_RECHECK = "needs_recheck", "Needs recheck: a figure changed"

    ATTENTION_STATES = (AnchorState.ORPHANED, AnchorState.NEEDS_RECHECK)
    # The column is unbounded text: services.py enforces this for every door (form, API, import).
    NOTE_MAX_LENGTH = 10_000
    CHANGE_FIELDS = ("version", "updated_by", "updated_at")  # what `mark_changed` sets
    # Where a claim stands in its article: what carrying it to a revision or re-attaching it changes.
    ANCHOR_FIELDS = ("revision", "start", "end", "exact", "prefix", "suffix", "anchor_state")

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="claims")
    # RESTRICT, not PROTECT: a revision may go only together with its article and that article's claims.
    revision = models.ForeignKey(
        Revision,
        on_delete=models.RESTRICT,
        related_name="claims",
        help_text="The revision the offsets refer to.",
    )
    start = models.PositiveIntegerField(help_text="Code-point offset of the first character.")
    end = models.PositiveIntegerField(help_text="Code-point offset after the last character.")
    exact = models.TextField(help_text="The quoted text, revision.text[start:end].")
    prefix = models.CharField(max_length=64, blank=True)
    suffix = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    verdict = models.CharField(max_length=16, choices=Verdict.choices, default=Verdict.NONE, blank=True)
    note = models.TextField(blank=True)
    anchor_state = models.CharField(max_length=16, choices=AnchorState.choices, default=AnchorState.ANCHORED)
    attention_dismissed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When an editor dismissed this orphaned claim from the article's list.",
    )
    tags = models.ManyToManyField(Tag, through="ClaimTag", related_name="claims", blank=True)
    sources = models.ManyToManyField(Source, through="ClaimSource", related_name="claims", blank=True)
    # The same claim made in other articles, as an editor confirmed it (issue 13; `clusters.py`).
    cluster = models.ForeignKey(
        "ClaimCluster", null=True, blank=True, on_delete=models.SET_NULL, related_name="claims"
    )
    fact_checks: models.ManyToManyField[FactCheck, ClaimFactCheck] = models.ManyToManyField(
        "FactCheck", through="ClaimFactCheck", related_name="claims", blank=True
    )
    version = models.PositiveIntegerField(default=1, help_text="Bumped on every change; optimistic locking.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="claims_created"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="claims_updated"
    )
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Written by PostgreSQL from the quote and the note (`claim_document`).
    search_document = models.GeneratedField(
        expression=claim_document(), output_field=SearchVectorField(), db_persist=True
    )

    objects = ClaimQuerySet.as_manager()

    class Meta:
        ordering = ["article", "start", "end", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__gte=0) & Q(start__lt=F("end")), name="claim_span_ordered"
            ),
            models.CheckConstraint(
                condition=Q(end=F("start") + Length("exact")), name="claim_exact_fits_span"
            ),
        ]
        indexes = [
            models.Index(fields=["article", "start"]),
            # One article's claims in keyset (id) order, as the API lists them: without it PostgreSQL
            # walks the primary key past every other article's claims to fill a page.
            models.Index(fields=["article", "id"], name="claim_article_id_keyset"),
            models.Index(fields=["updated_at", "id"]),
            GinIndex(fields=["search_document"], name="claim_search_document"),
        ]

    def __str__(self) -> str:
        return self.exact if len(self.exact) <= 60 else self.exact[:59] + "…"

    @property
    def needs_attention(self) -> bool:
        return self.anchor_state in self.ATTENTION_STATES and self.attention_dismissed_at is None

    def mark_changed(self, by: User | None, *, at: datetime | None = None) -> list[str]:
        """Record, unsaved, a change made by `by`: bump the version every client's ETag is derived from.

        The one place that rule is written. Returns the fields it set, for `save(update_fields=...)` or a
        `bulk_update`; `touch` is the saving form of it.
        """
        self.version += 1
        self.updated_by = by
        self.updated_at = at or timezone.now()
        return list(self.CHANGE_FIELDS)

    # What `reopen_review` changes.
    REVIEW_FIELDS = ("verdict", "status", "cluster")

    def reopen_review(self) -> bool:
        """Take back a verdict given to other text (a figure in the quote changed, or the claim was moved to
        other words), unsaved: the claim goes back to review, so that no export carries a verdict for text
        nobody checked. An editor's "same claim as..." was said of the old text too: the claim leaves its
        cluster (its confirmed fact-checks go in `services._forget_confirmations`). Whether anything changed
        (the history records the before and after)."""
        left_cluster = self.cluster_id is not None
        self.cluster = None
        if not self.verdict and self.status != self.Status.REVIEWED:
            return left_cluster
        self.verdict = self.Verdict.NONE
        self.status = self.Status.IN_REVIEW
        return True

    def touch(self, by: User | None, *, fields: Sequence[str] = ()) -> None:
        """Save a change made by `by` to `fields` (none: the tags or sources changed) and bump the version."""
        self.save(update_fields=[*fields, *self.mark_changed(by)])

    def set_tags(self, tags: list[Tag], *, by: User | None, touch: bool = True) -> bool:
        """Give the claim exactly `tags`; whether they changed. `touch=False`: the caller saves the claim
        (and bumps its version once) with its other changes."""
        wanted = {tag.pk for tag in tags}
        have = set(self.claim_tags.values_list("tag_id", flat=True))
        self.claim_tags.exclude(tag_id__in=wanted).delete()
        ClaimTag.objects.bulk_create(
            [ClaimTag(claim=self, tag_id=pk, added_by=by) for pk in sorted(wanted - have)]
        )
        if wanted != have and touch:
            self.touch(by)
        return wanted != have

    def attach_source(
        self, source: Source, *, relation: str, quote: str = "", by: User | None
    ) -> ClaimSource:
        link, _ = ClaimSource.objects.update_or_create(
            claim=self, source=source, defaults={"relation": relation, "quote": quote, "added_by": by}
        )
        self.touch(by)
        return link

    def detach_source(self, source: Source, *, by: User | None) -> bool:
        deleted, _ = ClaimSource.objects.filter(claim=self, source=source).delete()
        if deleted:
            self.touch(by)
        return bool(deleted)


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    **history_of_a_link("claimtag"),
)
class ClaimTag(models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="claim_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="claim_tags")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["claim", "tag"], name="claim_tag_unique")]

    def __str__(self) -> str:
        return f"{self.tag} on claim {self.claim_id}"


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    **history_of_a_link("claimsource"),
)
class ClaimSource(models.Model):
    class Relation(models.TextChoices):
        SUPPORTS = "supports", "Supports"
        REFUTES = "refutes", "Refutes"
        CONTEXT = "context", "Gives context"

    # The column is unbounded text: services.py enforces this for every door (form, API, import).
    QUOTE_MAX_LENGTH = 5_000

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="claim_sources")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="claim_sources")
    relation = models.CharField(max_length=16, choices=Relation.choices)
    quote = models.TextField(blank=True, help_text="The passage of the source that matters.")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["claim", "source"], name="claim_source_unique")]

    def __str__(self) -> str:
        return f"{self.source} {self.relation} claim {self.claim_id}"


class AnchorRecord(models.Model):
    """How a claim was carried from one revision to the next: the audit trail of re-anchoring."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="anchor_records")
    from_revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="+")
    to_revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=16, choices=Claim.AnchorState.choices)
    old_start = models.PositiveIntegerField()
    old_end = models.PositiveIntegerField()
    old_exact = models.TextField()
    new_start = models.PositiveIntegerField(null=True, blank=True)
    new_end = models.PositiveIntegerField(null=True, blank=True)
    new_exact = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"claim {self.claim_id}: {self.state} to revision {self.to_revision_id}"


def history_of(claim: Claim) -> Any:
    """Every recorded change of a claim, its tags and its sources, newest first, with who made it."""
    # `pgh_context` is the context's metadata (a dict): {"user": pk, "url": ..., "reason": ...}.
    events = pghistory.models.Events.objects.references(claim)  # type: ignore[no-untyped-call]
    return events.order_by("-pgh_created_at", "-pgh_id")


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
        )


class ApiToken(models.Model):
    """A named bearer token for tools. Only its SHA-256 is stored: the token itself is shown once."""

    PREFIX = "nrc_"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=12, help_text="The first characters, to tell tokens apart.")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @staticmethod
    def hash(raw: str) -> str:
        import hashlib

        return hashlib.sha256(raw.encode("utf-8")).hexdigest()

    @classmethod
    def issue(cls, user: User, *, name: str, expires_in_days: int | None = None) -> tuple[ApiToken, str]:
        """A new token for `user`; returns it with the raw secret, which is never stored."""
        import secrets
        from datetime import timedelta

        raw = cls.PREFIX + secrets.token_urlsafe(32)
        expires_at = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
        token = cls.objects.create(
            user=user, name=name, key_hash=cls.hash(raw), hint=raw[:10], expires_at=expires_at
        )
        return token, raw

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])
        forget(self.key_hash)

    @staticmethod
    def cache_key(key_hash: str) -> str:
        """Where the API's authentication remembers the token with this hash (`api/authentication.py`)."""
        return f"api-token:{key_hash}"


def forget(*key_hashes: str, user: User | None = None) -> None:
    """Drop what the API remembers of these tokens (or of all `user`'s): call it wherever our code
    revokes a token, deactivates a user or changes a role, so that it applies at once (other processes
    with their own memory see it within `API_TOKEN_CACHE_SECONDS`)."""
    hashes = list(key_hashes)
    if user is not None:
        hashes += ApiToken.objects.filter(user=user).values_list("key_hash", flat=True)
    if hashes:
        caches["default"].delete_many([ApiToken.cache_key(key_hash) for key_hash in hashes])


class RateWindow(models.Model):
    """The API's rate-limit count of one key (`token:<id>`, `user:<id>`) in its current fixed window,
    shared by every app process (`api/throttling.py` counts it by a raw upsert). UNLOGGED (migration
    0004): counts lost in a crash only reset the limits."""

    key = models.TextField(primary_key=True)
    window_start = models.DateTimeField()
    hits = models.IntegerField()

    class Meta:
        db_table = "annotations_api_rate_window"

    def __str__(self) -> str:
        return f"{self.key}: {self.hits} since {self.window_start:%H:%M:%S}"


class SuggestionQuerySet(models.QuerySet["Suggestion"]):
    def open(self) -> SuggestionQuerySet:
        """Neither accepted as a claim nor dismissed."""
        return self.filter(dismissed_at__isnull=True, claim__isnull=True)

    def in_showing_order(self) -> SuggestionQuerySet:
        """The most check-worthy first, figures and sentences alike (one score), then in text order."""
        return self.order_by("-score", "start", "end", "pk")

    def shown_on(self, revision: Revision) -> list[Suggestion]:
        """What the page and the API offer on `revision`: its open suggestions that no claim on it covers,
        best first, at most `SUGGESTIONS_PER_1000_WORDS` per thousand words of its text.

        Capped here rather than when storing, so that dismissing or claiming one lets the next best in.
        """
        covered = covered_by(list(Claim.objects.filter(revision=revision).values_list("start", "end")))
        found = self.filter(revision=revision).open().in_showing_order()
        shown = [suggestion for suggestion in found if not covered(suggestion.start, suggestion.end)]
        limit = shown_count(revision.text, settings.SUGGESTIONS_PER_1000_WORDS)
        return shown if limit is None else shown[:limit]


class Suggestion(models.Model):
    """A sentence worth checking or a figure worth claiming, found by `annotations.suggestions` on import.

    Stored per revision, so pages show them without recomputing; a dismissal holds for the article (the
    same text is not suggested again in a later revision).
    """

    class Kind(models.TextChoices):
        SENTENCE = "sentence", "Check-worthy sentence"
        FIGURE = "figure", "Figure"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="suggestions")
    revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="suggestions")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    text = models.TextField()
    score = models.FloatField(help_text="Check-worthiness in [0, 1]; 1 for figures.")
    figure_kind = models.CharField(max_length=16, blank=True, help_text="quantity, money, rate, ...")
    claim_type = models.CharField(
        max_length=16,
        choices=CLAIM_TYPES,
        default="other",
        help_text="What kind of claim (a quantity, a comparison, a prediction, ...): statistics first.",
    )
    claim = models.ForeignKey(
        Claim,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The claim it was accepted as.",
    )
    dismissed_at = models.DateTimeField(null=True, blank=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = SuggestionQuerySet.as_manager()

    class Meta:
        ordering = ["revision", "start", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["revision", "kind", "start", "end"], name="suggestion_unique"),
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="suggestion_span_ordered"),
        ]

    def __str__(self) -> str:
        return self.text if len(self.text) <= 60 else self.text[:59] + "…"

    @property
    def strength(self) -> str:
        """How strongly to show it, by its score (figures and sentences are on one scale)."""
        if self.score >= 0.2:
            return "high"
        return "medium" if self.score >= 0.15 else "low"


class UrlImportQuerySet(models.QuerySet["UrlImport"]):
    def visible_to(self, user: User | AnonymousUser) -> UrlImportQuerySet:
        """An import is the business of whoever asked for it: each user sees their own, admins every one
        (the command's too, which nobody asked for); to anyone else it does not exist."""
        if not isinstance(user, User) or not user.may(Action.VIEW):
            return self.none()
        return self.all() if user.effective_role == Role.ADMIN else self.filter(requested_by=user)


class UrlImport(models.Model):
    """One request to import an article from its URL (issue 11), and how far it got: the editor's page and
    the API read the state and the last error here while the task queue does the work (`tasks.py`)."""

    class State(models.TextChoices):
        QUEUED = "queued"  # waiting for a worker, or for its next try after a failure that may pass
        FETCHING = "fetching"
        EXTRACTING = "extracting"
        IMPORTED = "imported"
        FAILED = "failed"  # for good: a refusal, a page with no article, or no tries left

    FINAL_STATES = (State.IMPORTED, State.FAILED)

    url = models.URLField(max_length=Article.URL_MAX_LENGTH, help_text="The URL as given.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    article = models.ForeignKey(Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    outcome = models.CharField(max_length=16, blank=True, help_text="created, revised or unchanged.")
    error = models.TextField(blank=True, help_text="The last error, if a try failed.")
    attempts = models.PositiveIntegerField(default=0, help_text="Tries started so far.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UrlImportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.url} ({self.state})"

    def begin_attempt(self) -> None:
        self.attempts += 1
        self.move_to(self.State.FETCHING)

    def move_to(self, state: UrlImport.State) -> None:
        self.state = state
        self.save(update_fields=["state", "attempts", "updated_at"])

    def succeed(self, *, article: Article, outcome: str) -> None:
        self.state, self.article, self.outcome, self.error = self.State.IMPORTED, article, outcome, ""
        self.save(update_fields=["state", "article", "outcome", "error", "updated_at"])

    def record_failure(self, error: str, *, will_retry: bool) -> None:
        self.state = self.State.QUEUED if will_retry else self.State.FAILED
        self.error = error
        self.save(update_fields=["state", "error", "updated_at"])


class PageWatchQuerySet(models.QuerySet["PageWatch"]):
    def due(self, at: datetime | None = None) -> PageWatchQuerySet:
        return self.filter(next_check_at__lte=at or timezone.now()).order_by("next_check_at")


class PageWatch(models.Model):
    """An article imported from the web, fetched again on a schedule (issue 11's monitoring): a changed
    text becomes a new revision, an unchanged one waits longer each time before the next look
    (`monitoring.py` holds the rules; the task queue runs them)."""

    article = models.OneToOneField(Article, on_delete=models.CASCADE, related_name="watch")
    url = models.URLField(max_length=Article.URL_MAX_LENGTH, help_text="Where the page is fetched from.")
    interval = models.DurationField(help_text="The wait before the next check; longer while unchanged.")
    next_check_at = models.DateTimeField()
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_changed_at = models.DateTimeField(
        null=True, blank=True, help_text="When a check last found new text."
    )
    last_revision = models.ForeignKey(
        Revision,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The revision the last change became.",
    )
    failures = models.PositiveIntegerField(default=0, help_text="Checks failed in a row.")
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PageWatchQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["next_check_at"], name="pagewatch_due")]

    def __str__(self) -> str:
        return f"{self.url} (next {self.next_check_at:%Y-%m-%d %H:%M})"


class LinkCheckQuerySet(models.QuerySet["LinkCheck"]):
    def due(self, at: datetime | None = None) -> LinkCheckQuerySet:
        return self.filter(next_check_at__lte=at or timezone.now()).order_by("next_check_at")


# The states of a link check an editor should look at (LinkCheck.FLAGGED_STATES; named out here so that
# the index in its Meta can use them too).
LINK_FLAGGED_STATES = ("broken", "changed")


class LinkCheck(models.Model):
    """The last background check of a source's link (issue 11): whether it still answers, where it ends
    up, and whether what it says changed since it was first checked. Kept beside the source, not on it,
    so that checks leave the source's history alone."""

    class State(models.TextChoices):
        UNCHECKED = "unchecked", "Not checked yet"
        OK = "ok", "Link works"
        CHANGED = "changed", "Page changed"
        BROKEN = "broken", "Link broken"

    FLAGGED_STATES = LINK_FLAGGED_STATES

    source = models.OneToOneField(Source, on_delete=models.CASCADE, related_name="link_check")
    state = models.CharField(max_length=16, choices=State.choices, default=State.UNCHECKED)
    status = models.PositiveSmallIntegerField(null=True, blank=True, help_text="The last HTTP status.")
    final_url = models.URLField(max_length=Source.URL_MAX_LENGTH, blank=True, help_text="After redirects.")
    title = models.CharField(max_length=Source.TITLE_MAX_LENGTH, blank=True, help_text="The page's own.")
    content_hash = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the page's text now.")
    first_hash = models.CharField(max_length=64, blank=True, help_text="... when first checked.")
    error = models.TextField(blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    changed_at = models.DateTimeField(
        null=True, blank=True, help_text="When its text was first seen changed."
    )
    next_check_at = models.DateTimeField()

    objects = LinkCheckQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["next_check_at"], name="linkcheck_due"),
            # The claims list's "source link" filter reads the few sources in a state that needs a look.
            models.Index(
                fields=["state"], name="linkcheck_flagged", condition=Q(state__in=LINK_FLAGGED_STATES)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} ({self.state})"

    @property
    def flagged(self) -> bool:
        return self.state in self.FLAGGED_STATES


class FactCheck(models.Model):
    """A published fact-check (issue 13): the claim it reviewed, its rating, who published it and when.

    Imported from schema.org ClaimReview JSON-LD (a page's markup, a file or a feed), the Data Commons /
    Google fact-check feed, or a TSV of `id <TAB> claim <TAB> title`. Our own reviewed claims count as
    fact-checks too, but are matched where they are (claims with a verdict), never copied here.
    """

    class Origin(models.TextChoices):
        CLAIMREVIEW = "claimreview", "schema.org ClaimReview"
        DATACOMMONS = "datacommons", "Data Commons fact-check feed"
        TSV = "tsv", "TSV of verified claims"

    CLAIM_MAX_LENGTH = 5000
    TITLE_MAX_LENGTH = 500
    RATING_MAX_LENGTH = 200
    PUBLISHER_MAX_LENGTH = 200
    EXTERNAL_ID_MAX_LENGTH = 200
    URL_MAX_LENGTH = 2000

    claim_reviewed = models.TextField(help_text="The claim as the fact-check states it.")
    title = models.CharField(max_length=TITLE_MAX_LENGTH, blank=True, help_text="The fact-check's headline.")
    rating_value = models.CharField(max_length=RATING_MAX_LENGTH, blank=True, help_text="e.g. 1 of 5.")
    rating_name = models.CharField(
        max_length=RATING_MAX_LENGTH, blank=True, help_text="The rating in words (alternateName): False."
    )
    publisher = models.CharField(max_length=PUBLISHER_MAX_LENGTH, blank=True)
    publisher_url = models.URLField(max_length=URL_MAX_LENGTH, blank=True)
    reviewed_on = models.DateField(null=True, blank=True, help_text="datePublished of the review.")
    url = models.URLField(max_length=URL_MAX_LENGTH, blank=True, help_text="The review; unique when given.")
    language = models.CharField(max_length=16, blank=True)
    origin = models.CharField(max_length=16, choices=Origin.choices)
    external_id = models.CharField(
        max_length=EXTERNAL_ID_MAX_LENGTH, blank=True, help_text="The id in what it came from (a TSV's)."
    )
    imported_at = models.DateTimeField(auto_now_add=True)
    # Bumped by a re-import too: the matching index reads what changed since it last looked.
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["-reviewed_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["url"], condition=~Q(url=""), name="factcheck_url_unique"),
            models.UniqueConstraint(
                fields=["origin", "external_id"], condition=~Q(external_id=""), name="factcheck_external_id"
            ),
        ]

    def __str__(self) -> str:
        rating = f": {self.rating_name}" if self.rating_name else ""
        return f"{self.publisher or 'Fact-check'}{rating}: {self.claim_reviewed[:80]}"


class ClaimCluster(models.Model):
    """Claims in several articles that editors confirmed to be the same claim (issue 13).

    A claim is in at most one cluster (`Claim.cluster`). Confirming two claims merges their clusters; a
    cluster left with one claim is deleted. Its claims may share sources and be offered one another's
    verdict, never given it (`clusters.py`).
    """

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"cluster {self.pk}"


class ClaimFactCheck(models.Model):
    """An editor confirmed that a published fact-check reviewed this claim."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="fact_check_links")
    fact_check = models.ForeignKey(FactCheck, on_delete=models.CASCADE, related_name="claim_links")
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["claim", "fact_check"], name="claim_fact_check_unique")
        ]

    def __str__(self) -> str:
        return f"{self.fact_check} for claim {self.claim_id}"


class DismissedMatch(models.Model):
    """An editor said a suggested match is not the same claim: it is not suggested for this claim again.

    Exactly one of `other_claim` and `fact_check` is set. A dismissed pair of claims is stored once, with
    the lower id in `claim`, so that it is hidden from both sides.
    """

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="dismissed_matches")
    other_claim = models.ForeignKey(Claim, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    fact_check = models.ForeignKey(
        FactCheck, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    dismissed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(other_claim__isnull=True) ^ Q(fact_check__isnull=True),
                name="dismissed_match_one_target",
            ),
            models.CheckConstraint(
                condition=Q(other_claim__isnull=True) | Q(claim__lt=F("other_claim")),
                name="dismissed_match_pair_ordered",
            ),
            models.UniqueConstraint(
                fields=["claim", "other_claim"],
                condition=Q(other_claim__isnull=False),
                name="dismissed_match_claim_unique",
            ),
            models.UniqueConstraint(
                fields=["claim", "fact_check"],
                condition=Q(fact_check__isnull=False),
                name="dismissed_match_fact_check_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"claim {self.claim_id}: not {self.other_claim_id or self.fact_check}"


class TextEmbedding(models.Model):
    """A stored sentence embedding, addressed by its model and text (`matching.dense.key`).

    Content-addressed rather than a column on claims: the claims table stays narrow, a claim and a
    fact-check with the same words share one row, and a changed text simply has another key. float32
    little-endian bytes (`bytea`): pgvector is not packaged for this machine's PostgreSQL, and the vectors
    are compared in the app's process, not in SQL.
    """

    key = models.CharField(max_length=64, primary_key=True)
    vector = models.BinaryField()

    def __str__(self) -> str:
        return self.key
