"""The newsroom's data: articles and their immutable revisions, claims anchored in them, tags and sources.

Integrity lives in the database (constraints, an immutability trigger on revisions, history triggers);
state changes of a single object are methods here, workflows across models are in `services.py`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Count, F, Prefetch, Q
from django.db.models.functions import Length
from django.utils import timezone

from annotations.roles import Action, Role, can

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


class ArticleQuerySet(models.QuerySet["Article"]):
    def visible_to(self, user: User | AnonymousUser) -> ArticleQuerySet:
        return self if may(user, Action.VIEW) else self.none()

    def with_claim_counts(self) -> ArticleQuerySet:
        return self.annotate(
            claim_count=Count("claims", distinct=True),
            attention_count=Count(
                "claims",
                filter=Q(
                    claims__anchor_state__in=Claim.ATTENTION_STATES, claims__attention_dismissed_at=None
                ),
                distinct=True,
            ),
        )


class Article(models.Model):
    title = models.CharField(max_length=500)
    outlet = models.CharField(max_length=200, blank=True)
    byline = models.CharField(max_length=300, blank=True)
    url = models.URLField(max_length=2000, blank=True, help_text="Canonical URL; unique when given.")
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

    def __str__(self) -> str:
        return self.title


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

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
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

    url = models.URLField(max_length=2000, blank=True, help_text="Normalised; unique when given.")
    title = models.CharField(max_length=500)
    publisher = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.OTHER)
    published_on = models.DateField(null=True, blank=True)
    accessed_on = models.DateField(null=True, blank=True)
    archived_url = models.URLField(max_length=2000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["url"], condition=~Q(url=""), name="source_url_unique")
        ]

    def __str__(self) -> str:
        return self.title


class ClaimQuerySet(models.QuerySet["Claim"]):
    def visible_to(self, user: User | AnonymousUser) -> ClaimQuerySet:
        return self if may(user, Action.VIEW) else self.none()

    def for_article(self, article: Article | int) -> ClaimQuerySet:
        return self.filter(article=article)

    def with_status(self, *statuses: str) -> ClaimQuerySet:
        return self.filter(status__in=statuses)

    def with_verdict(self, *verdicts: str) -> ClaimQuerySet:
        return self.filter(verdict__in=verdicts)

    def with_anchor_state(self, *states: str) -> ClaimQuerySet:
        return self.filter(anchor_state__in=states)

    def needing_attention(self) -> ClaimQuerySet:
        """Orphaned or changed claims that no editor has dismissed yet."""
        return self.with_anchor_state(*Claim.ATTENTION_STATES).filter(attention_dismissed_at__isnull=True)

    def tagged(self, *slugs: str) -> ClaimQuerySet:
        return self.filter(tags__slug__in=slugs).distinct()

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
    version = models.PositiveIntegerField(default=1, help_text="Bumped on every change; optimistic locking.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="claims_created"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="claims_updated"
    )
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)

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
            GinIndex(fields=["exact"], name="claim_exact_trgm", opclasses=["gin_trgm_ops"]),
        ]

    def __str__(self) -> str:
        return self.exact if len(self.exact) <= 60 else self.exact[:59] + "…"

    @property
    def needs_attention(self) -> bool:
        return self.anchor_state in self.ATTENTION_STATES and self.attention_dismissed_at is None

    def touch(self, by: User | None) -> None:
        """Record a change made by `by`: bump the version every client's ETag is derived from."""
        self.version += 1
        self.updated_by = by
        self.updated_at = timezone.now()
        self.save(update_fields=["version", "updated_by", "updated_at"])

    def set_tags(self, tags: list[Tag], *, by: User | None) -> None:
        wanted = {tag.pk for tag in tags}
        have = set(self.claim_tags.values_list("tag_id", flat=True))
        self.claim_tags.exclude(tag_id__in=wanted).delete()
        ClaimTag.objects.bulk_create(
            [ClaimTag(claim=self, tag_id=pk, added_by=by) for pk in sorted(wanted - have)]
        )
        if wanted != have:
            self.touch(by)

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


class SuggestionQuerySet(models.QuerySet["Suggestion"]):
    def open(self) -> SuggestionQuerySet:
        """Neither accepted as a claim nor dismissed."""
        return self.filter(dismissed_at__isnull=True, claim__isnull=True)


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
        """How strongly to show it: figures always stand out; sentences by their score."""
        if self.kind == self.Kind.FIGURE or self.score >= 0.2:
            return "high"
        return "medium" if self.score >= 0.15 else "low"
