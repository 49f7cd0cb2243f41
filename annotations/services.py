"""Workflows shared by the HTML views, the API and the management commands.

Plain functions with keyword-only arguments, each one transaction. They check the acting user's role
against the permission table (`roles.py`); which objects a user may see is the views' and API's
access helpers' job. `by=None` means the system itself (an import run from the command line).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

import pghistory
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from procrastinate.contrib.django import app as task_queue

from annotations import anchoring, db, linkchecks
from annotations.importing import ArticleInput
from annotations.matching.figures import Relation, difference, relation
from annotations.models import (
    AnchorRecord,
    Article,
    Claim,
    ClaimCluster,
    ClaimFactCheck,
    ClaimSource,
    DismissedMatch,
    FactCheck,
    Revision,
    Source,
    Suggestion,
    Tag,
    User,
)
from annotations.roles import Action
from annotations.suggesting import store_suggestions
from annotations.text import content_hash, normalise_url, unstorable


class StaleEdit(Exception):
    """The claim changed since the client read it; nothing was saved."""

    def __init__(self, claim: Claim, expected_version: int) -> None:
        self.claim = claim
        self.expected_version = expected_version
        super().__init__(
            f"claim {claim.pk} is at version {claim.version}, not {expected_version}: "
            "someone else changed it since you loaded it"
        )


def _require(by: User | None, action: Action) -> None:
    if by is not None and not by.may(action):
        raise PermissionDenied(f"your role may not {action.value.replace('_', ' ')}")


def _history(by: User | None, **extra: Any) -> pghistory.context:
    return pghistory.context(user=by.pk if by else None, **extra)


def _check_text(field_name: str, value: str) -> None:
    """Text PostgreSQL can store (`text.unstorable`), from every door alike."""
    if reason := unstorable(value):
        raise ValidationError({field_name: [f"{field_name} {reason}"]})


def _check_length(field_name: str, value: str, limit: int) -> None:
    """The input limits of `models.py`, for every door alike (HTML form, API, import command)."""
    _check_text(field_name, value)  # every limited field is user text
    if len(value) > limit:
        raise ValidationError(
            {field_name: [f"{field_name} is {len(value):,} characters long; the limit is {limit:,}"]}
        )


# --- Articles and revisions -----------------------------------------------------------------------------


@dataclass
class ImportResult:
    article: Article
    outcome: str  # "created", "revised" or "unchanged"
    anchor_records: list[AnchorRecord] = field(default_factory=list)


@transaction.atomic
def import_article(*, article_input: ArticleInput, by: User | None = None, now: bool = False) -> ImportResult:
    """Add an article, or a new revision of it, idempotently.

    The same URL (or, without a URL, the same title) with the same text adds nothing; the same URL with
    new text adds a revision and carries every claim to it (for a large article, on the task queue
    unless `now`: see `add_revision`).
    """
    _require(by, Action.IMPORT_ARTICLE)
    digest = content_hash(article_input.text)
    if article_input.url:
        existing = Article.objects.select_for_update().filter(url=article_input.url).first()
    else:
        existing = (
            Article.objects.select_for_update()
            .filter(url="", title=article_input.title, current_revision__content_hash=digest)
            .first()
        )
    if existing is None:
        try:
            with transaction.atomic():
                article = Article.objects.create(
                    title=article_input.title,
                    url=article_input.url,
                    outlet=article_input.outlet,
                    byline=article_input.byline,
                    published_at=article_input.published_at,
                    language=article_input.language,
                )
        except IntegrityError:
            # Another import of the same URL won the race: import against it instead.
            return import_article(article_input=article_input, by=by, now=now)
        _prepare(article, _new_revision(article, article_input, digest, by), by, now=now)
        return ImportResult(article=article, outcome="created")
    return _revise(existing, article_input, digest, by, now=now)


@transaction.atomic
def refresh_article(
    *, article: Article, article_input: ArticleInput, by: User | None = None, now: bool = False
) -> ImportResult:
    """`article` fetched again (monitoring): a new revision if its text changed, else nothing. Matched by
    the article itself, not the URL, so a page that now names another canonical URL stays this article."""
    _require(by, Action.IMPORT_ARTICLE)
    locked = (
        Article.objects.select_for_update(of=("self",)).select_related("current_revision").get(pk=article.pk)
    )
    return _revise(
        locked, replace(article_input, url=locked.url), content_hash(article_input.text), by, now=now
    )


def _revise(
    existing: Article, article_input: ArticleInput, digest: str, by: User | None, *, now: bool
) -> ImportResult:
    current = existing.current_revision
    if current is not None and current.content_hash == digest:
        return ImportResult(article=existing, outcome="unchanged")
    for name in ("title", "outlet", "byline", "published_at", "language"):
        if value := getattr(article_input, name):
            setattr(existing, name, value)
    existing.save()
    existing.current_revision, records = add_revision(
        article=existing, article_input=article_input, by=by, now=now
    )
    return ImportResult(article=existing, outcome="revised", anchor_records=records)


@transaction.atomic
def add_revision(
    *, article: Article, article_input: ArticleInput, by: User | None = None, now: bool = False
) -> tuple[Revision, list[AnchorRecord]]:
    """A new current revision of `article`; every claim is carried to it and none is deleted.

    For a large article that happens on the task queue (`prepare_revision`), unless `now` (a task that
    is on the queue already): until then its claims stay on the revision they were made on, so none is
    ever shown on text it was not carried to, and the records returned are none.
    """
    _require(by, Action.IMPORT_ARTICLE)
    article = Article.objects.select_for_update().get(pk=article.pk)
    revision = _new_revision(article, article_input, content_hash(article_input.text), by)
    return revision, _prepare(article, revision, by, now=now)


# Named here rather than imported: tasks.py, which defines the task, imports this module.
PREPARE_REVISION_TASK = "annotations.prepare_revision"
PREPARE_REVISION_QUEUE = "url_imports"  # what an editor waits for


def _prepared_later(article: Article, revision: Revision) -> bool:
    """Whether a revision is too much work for the request that makes it: carrying 1,400 claims of a
    15,000-word article takes about a second, finding its suggestions half a second more."""
    return (
        len(revision.text) > settings.BACKGROUND_REVISION_CHARS
        or article.claims.count() > settings.BACKGROUND_REVISION_CLAIMS
    )


def _queue_preparation(revision: Revision, by: User | None) -> None:
    # procrastinate's Django connector writes the job in this transaction: it commits with the revision.
    task_queue.configure_task(name=PREPARE_REVISION_TASK, queue=PREPARE_REVISION_QUEUE).defer(
        revision_id=revision.pk, user_id=by.pk if by else None
    )


@transaction.atomic
def prepare_revision(*, revision_id: int, by: User | None = None) -> list[AnchorRecord] | None:
    """The work `add_revision` left to the task queue: the revision's suggestions, and every claim carried
    to it. None when there is nothing to do: the article is gone, or a newer revision came first (its
    own preparation carries the claims there). Safe to run twice (a worker killed mid-task)."""
    revision = Revision.objects.filter(pk=revision_id).first()
    if revision is None:
        return None
    article = Article.objects.select_for_update().get(pk=revision.article_id)
    if article.current_revision_id != revision.pk:
        return None
    if not revision.suggestions.exists():
        store_suggestions(revision)
    return _carry_claims(article, revision, by)


def claims_being_carried(article: Article) -> int:
    """Claims on an older revision that a queued preparation will carry to the current one (an orphaned
    claim stays on its old revision for good, so it is not counted)."""
    if article.current_revision_id is None:
        return 0
    return (
        article.claims.exclude(revision_id=article.current_revision_id)
        .exclude(anchor_state=Claim.AnchorState.ORPHANED)
        .count()
    )


def _new_revision(article: Article, article_input: ArticleInput, digest: str, by: User | None) -> Revision:
    last = article.revisions.order_by("-number").values_list("number", flat=True).first() or 0
    revision = Revision.objects.create(
        article=article,
        number=last + 1,
        text=article_input.text,
        html=article_input.html,
        content_hash=digest,
        created_by=by,
    )
    article.current_revision = revision
    article.save(update_fields=["current_revision", "updated_at"])
    return revision


def _prepare(article: Article, revision: Revision, by: User | None, *, now: bool) -> list[AnchorRecord]:
    """Find the new revision's suggestions and carry the article's claims to it, here or (a large article,
    unless `now`) on the task queue."""
    if not now and _prepared_later(article, revision):
        _queue_preparation(revision, by)
        return []
    store_suggestions(revision)
    return _carry_claims(article, revision, by)


def _carry_claims(article: Article, target: Revision, by: User | None) -> list[AnchorRecord]:
    claims = list(
        article.claims.exclude(revision=target).select_for_update().select_related("revision").order_by("pk")
    )
    by_revision: dict[int, list[Claim]] = defaultdict(list)
    for claim in claims:
        by_revision[claim.revision_id].append(claim)
    records: list[AnchorRecord] = []
    now = timezone.now()
    with _history(by, reason=f"carried to revision {target.number}"):
        for group in by_revision.values():
            old_text = group[0].revision.text
            anchors = anchoring.carry_many(old_text, target.text, [(c.start, c.end) for c in group])
            for claim, anchor in zip(group, anchors, strict=True):
                records.append(_apply_anchor(claim, anchor, target, now, by))
        rechecked = [r.claim for r in records if r.state == Claim.AnchorState.NEEDS_RECHECK]
        clusters = {c.cluster_id for c in rechecked if c.cluster_id}
        for claim in rechecked:
            claim.reopen_review()
        db.update_rows(claims, [*Claim.ANCHOR_FIELDS, *Claim.REVIEW_FIELDS, *Claim.CHANGE_FIELDS])
        _forget_confirmations(rechecked, clusters, by)
    return AnchorRecord.objects.bulk_create(records)


def _apply_anchor(
    claim: Claim, anchor: anchoring.Anchor, target: Revision, now: Any, by: User | None
) -> AnchorRecord:
    record = AnchorRecord(
        claim=claim,
        from_revision_id=claim.revision_id,
        to_revision=target,
        state=anchor.state,
        old_start=claim.start,
        old_end=claim.end,
        old_exact=claim.exact,
    )
    if anchor.state == "orphaned":
        # Kept on its old revision with its old quote, for an editor to re-attach or dismiss.
        claim.anchor_state = anchor.state
    else:
        record.new_start, record.new_end = anchor.start, anchor.end
        record.new_exact = target.text[anchor.start : anchor.end]
        claim.revision = target
        claim.start, claim.end, claim.exact = anchor.start, anchor.end, record.new_exact
        claim.prefix, claim.suffix = anchoring.context_for(target.text, anchor.start, anchor.end)
        claim.anchor_state = anchor.state
        # A needs-recheck claim's verdict was given to the old figure: `_carry_claims` takes it back.
    claim.mark_changed(by, at=now)  # saved by the caller's bulk_update
    return record


# --- Claims ----------------------------------------------------------------------------------------------


def _span_error(message: str, field_name: str = "selector") -> ValidationError:
    return ValidationError({field_name: [message]})


def resolve_span(
    text: str,
    *,
    start: int | None = None,
    end: int | None = None,
    exact: str | None = None,
    prefix: str = "",
    suffix: str = "",
) -> tuple[int, int]:
    """The (start, end) a client means, from offsets or from a quote; a ValidationError says what is wrong."""
    if start is not None or end is not None:
        if start is None or end is None:
            raise _span_error("give both start and end, or neither")
        if not 0 <= start < end <= len(text):
            raise _span_error(
                f"offsets {start}..{end} are out of range: the text has {len(text)} characters "
                "and start must be less than end"
            )
        if exact is not None and text[start:end] != exact:
            raise _span_error(
                f"exact {exact!r} does not match the text at {start}..{end}, which reads {text[start:end]!r}"
            )
        return start, end
    if not exact:
        raise _span_error("give start and end offsets or an exact quote")
    candidates = anchoring.find_candidates(text, exact, prefix, suffix)
    if not candidates:
        raise _span_error(f"the quote {exact!r} does not occur in the article's current text")
    if len(candidates) > 1:
        raise _span_error(
            f"the quote {exact!r} occurs {len(candidates)} times; add a prefix or suffix "
            "(or offsets) to say which one"
        )
    return candidates[0], candidates[0] + len(exact)


def create_claim(
    *,
    article: Article,
    by: User | None,
    start: int | None = None,
    end: int | None = None,
    exact: str | None = None,
    prefix: str = "",
    suffix: str = "",
    note: str = "",
    tags: list[Tag] | None = None,
    revision_number: int | None = None,
) -> Claim:
    """A claim on the current revision, from offsets (checked against `exact` if given) or a quote.

    The claim and its tags are written by one statement (`db.insert_claim`), which is atomic by itself.
    """
    _require(by, Action.CREATE_CLAIM)
    _check_length("note", note, Claim.NOTE_MAX_LENGTH)
    revision = article.current_revision
    if revision is None:
        raise ValidationError({"article": ["the article has no text yet"]})
    if revision_number is not None and revision_number != revision.number:
        raise ValidationError(
            {
                "revision": [
                    f"revision {revision_number} is not the current revision "
                    f"({revision.number}); reload the article"
                ]
            }
        )
    start, end = resolve_span(revision.text, start=start, end=end, exact=exact, prefix=prefix, suffix=suffix)
    quote = revision.text[start:end]
    if not quote.strip():
        raise _span_error("the selection is only white space")
    claim_prefix, claim_suffix = anchoring.context_for(revision.text, start, end)
    claim = Claim(
        article=article,
        revision=revision,
        start=start,
        end=end,
        exact=quote,
        prefix=claim_prefix,
        suffix=claim_suffix,
        note=note,
        created_by=by,
        updated_by=by,
    )
    with _history(by):
        inserted = db.insert_claim(claim, sorted({tag.pk for tag in tags or []}), by)
    if not inserted:
        # One claim per span of a revision: a second (a suggestion accepted twice, two tabs) is refused.
        same = Claim.objects.filter(article=article, revision=revision, start=start, end=end).values_list(
            "pk", flat=True
        )
        raise _span_error(f"these words are already claimed (claim {same.first()}): open that claim instead")
    return claim


UNSET: Any = object()


@transaction.atomic
def update_claim(
    *,
    claim: Claim,
    by: User | None,
    expected_version: int,
    note: str = UNSET,
    status: str = UNSET,
    verdict: str = UNSET,
    tags: list[Tag] = UNSET,
) -> Claim:
    """Change a claim if nobody else has since `expected_version`; otherwise raise StaleEdit."""
    locked = _lock(claim, expected_version)
    changed: list[str] = []
    if status is not UNSET and status != locked.status:
        if status not in Claim.Status.values:
            raise ValidationError({"status": [f"{status!r} is not a status"]})
        needed = (
            Action.REVIEW_CLAIM
            if Claim.Status.REVIEWED in (status, locked.status)
            else Action.SUBMIT_FOR_REVIEW
        )
        _require(by, needed)
        locked.status = status
        changed.append("status")
    if verdict is not UNSET and verdict != locked.verdict:
        if verdict not in Claim.Verdict.values:
            raise ValidationError({"verdict": [f"{verdict!r} is not a verdict"]})
        _require(by, Action.REVIEW_CLAIM)
        locked.verdict = verdict
        changed.append("verdict")
    if note is not UNSET and note != locked.note:
        if by is not None and not (by.may(Action.EDIT_CLAIM) or by.may(Action.REVIEW_CLAIM)):
            raise PermissionDenied("your role may not edit notes")
        _check_length("note", note, Claim.NOTE_MAX_LENGTH)
        locked.note = note
        changed.append("note")
    with _history(by):
        retagged = False
        if tags is not UNSET:
            _require(by, Action.EDIT_CLAIM)
            retagged = locked.set_tags(tags, by=by, touch=False)
        if changed or retagged:
            locked.touch(by, fields=changed)  # one save, one new version, whatever it changed
    return locked


@transaction.atomic
def delete_claim(*, claim: Claim, by: User | None, expected_version: int) -> None:
    _require(by, Action.DELETE_CLAIM)
    locked = _lock(claim, expected_version)
    with _history(by):
        locked.delete()


@transaction.atomic
def reattach_claim(
    *, claim: Claim, by: User | None, expected_version: int, start: int, end: int, exact: str | None = None
) -> Claim:
    """An editor's fix for an orphaned or needs-recheck claim: the span on the current revision they chose."""
    _require(by, Action.EDIT_CLAIM)
    locked = _lock(claim, expected_version)
    revision = locked.article.current_revision
    if revision is None:  # a claim exists, so the article has text
        raise ValueError(f"article {locked.article_id} has no current revision")
    start, end = resolve_span(revision.text, start=start, end=end, exact=exact)
    moved_to_other_words = revision.text[start:end] != locked.exact
    locked.revision, locked.start, locked.end = revision, start, end
    locked.exact = revision.text[start:end]
    cluster = locked.cluster_id
    if moved_to_other_words:
        locked.reopen_review()  # the verdict was given to the old words
    locked.prefix, locked.suffix = anchoring.context_for(revision.text, start, end)
    locked.anchor_state = Claim.AnchorState.ANCHORED
    locked.attention_dismissed_at = None
    with _history(by, reason="re-attached by an editor"):
        locked.touch(
            by,
            fields=[*Claim.ANCHOR_FIELDS, *Claim.REVIEW_FIELDS, "attention_dismissed_at"],
        )
        if moved_to_other_words:
            _forget_confirmations([locked], {cluster} if cluster else set(), by)
    return locked


@transaction.atomic
def dismiss_attention(*, claim: Claim, by: User | None, expected_version: int) -> Claim:
    """An editor has looked at a flagged claim: a changed figure is accepted where it now stands; an orphan is
    taken off the article's list (kept, with its old quote)."""
    _require(by, Action.EDIT_CLAIM)
    locked = _lock(claim, expected_version)
    if locked.anchor_state == Claim.AnchorState.NEEDS_RECHECK:
        locked.anchor_state = Claim.AnchorState.ANCHORED
    else:
        locked.attention_dismissed_at = timezone.now()
    with _history(by, reason="dismissed by an editor"):
        locked.touch(by, fields=["anchor_state", "attention_dismissed_at"])
    return locked


def _lock(claim: Claim, expected_version: int) -> Claim:
    locked = (
        Claim.objects.select_for_update(of=("self",))
        .select_related("article__current_revision")
        .get(pk=claim.pk)
    )
    if locked.version != expected_version:
        raise StaleEdit(locked, expected_version)
    return locked


# --- The same claim elsewhere: clusters and fact-checks (issue 13) ------------------------------------------
# Confirming is always an editor's act (no score was measured safe enough to confirm alone: matches.py),
# and the figure guard is checked here, for every door: a different figure is a related claim at most.


def _same_figures(claim: Claim, other_text: str, field_name: str) -> None:
    if relation(claim.exact, other_text) is not Relation.SAME:
        raise ValidationError(
            {
                field_name: [
                    f"not the same claim: {difference(claim.exact, other_text)} (a related claim at most)"
                ]
            }
        )


def _forget_confirmations(claims: list[Claim], clusters: set[int], by: User | None) -> None:
    """Claims whose words changed: their confirmed fact-checks go (their cluster went in `reopen_review`),
    and a cluster left with one claim is dissolved."""
    ClaimFactCheck.objects.filter(claim__in=claims).delete()
    _prune_clusters(clusters, by)


def _prune_clusters(cluster_ids: set[int], by: User | None) -> None:
    for cluster_id in cluster_ids:
        members = list(Claim.objects.select_for_update().filter(cluster_id=cluster_id))
        if len(members) <= 1:
            for member in members:
                member.cluster = None
                member.save(update_fields=["cluster", *member.mark_changed(by)])
            ClaimCluster.objects.filter(pk=cluster_id).delete()


@transaction.atomic
def confirm_same_claim(*, claim: Claim, other: Claim, by: User | None, expected_version: int) -> Claim:
    """An editor says `other` (in another article) is the same claim: the two clusters become one."""
    _require(by, Action.EDIT_CLAIM)
    if other.article_id == claim.article_id:
        raise ValidationError({"other": ["a claim in the same article is not the same claim elsewhere"]})
    _same_figures(claim, other.exact, "other")
    locked = _lock(claim, expected_version)
    pair = list(Claim.objects.select_for_update(of=("self",)).filter(pk__in=[claim.pk, other.pk]))
    cluster_ids = {c.cluster_id for c in pair if c.cluster_id}
    if len(pair) < 2:
        raise ValidationError({"other": ["that claim is no longer here"]})
    with _history(by, reason="confirmed as the same claim"):
        # The oldest cluster keeps its id (exports cite it).
        target = min(cluster_ids) if cluster_ids else ClaimCluster.objects.create(created_by=by).pk
        moving = list(
            Claim.objects.select_for_update(of=("self",))
            .filter(Q(pk__in=[claim.pk, other.pk]) | Q(cluster_id__in=cluster_ids))
            .exclude(cluster_id=target)
        )
        for member in moving:
            member.cluster_id = target
            member.mark_changed(by)
        db.update_rows(moving, ["cluster", *Claim.CHANGE_FIELDS])
        ClaimCluster.objects.filter(pk__in=cluster_ids - {target}).delete()
        low, high = sorted([claim.pk, other.pk])
        DismissedMatch.objects.filter(claim_id=low, other_claim_id=high).delete()
    locked.refresh_from_db()
    return locked


@transaction.atomic
def leave_cluster(*, claim: Claim, by: User | None, expected_version: int) -> Claim:
    """An editor takes a claim out of its cluster (it was not the same claim after all)."""
    _require(by, Action.EDIT_CLAIM)
    locked = _lock(claim, expected_version)
    cluster_id = locked.cluster_id
    if cluster_id is None:
        return locked
    locked.cluster = None
    with _history(by, reason="taken out of its cluster"):
        locked.touch(by, fields=["cluster"])
        _prune_clusters({cluster_id}, by)
    return locked


@transaction.atomic
def confirm_fact_check(
    *, claim: Claim, fact_check: FactCheck, by: User | None, expected_version: int
) -> Claim:
    """An editor says `fact_check` reviewed this claim."""
    _require(by, Action.EDIT_CLAIM)
    _same_figures(claim, fact_check.claim_reviewed, "fact_check")
    locked = _lock(claim, expected_version)
    with _history(by, reason="fact-check confirmed"):
        _, created = ClaimFactCheck.objects.get_or_create(
            claim=locked, fact_check=fact_check, defaults={"confirmed_by": by}
        )
        if created:
            locked.touch(by)
    return locked


@transaction.atomic
def unconfirm_fact_check(
    *, claim: Claim, fact_check: FactCheck, by: User | None, expected_version: int
) -> Claim:
    _require(by, Action.EDIT_CLAIM)
    locked = _lock(claim, expected_version)
    with _history(by, reason="fact-check taken off"):
        deleted, _ = ClaimFactCheck.objects.filter(claim=locked, fact_check=fact_check).delete()
        if deleted:
            locked.touch(by)
    return locked


@transaction.atomic
def dismiss_match(
    *, claim: Claim, by: User | None, other: Claim | None = None, fact_check: FactCheck | None = None
) -> None:
    """An editor says a suggestion is not the same claim: it is not suggested again (for either claim).
    The claim itself does not change, so its version does not either."""
    _require(by, Action.EDIT_CLAIM)
    if (other is None) == (fact_check is None):
        raise ValueError("dismiss either another claim or a fact-check")
    if other is not None:
        low, high = sorted([claim.pk, other.pk])
        DismissedMatch.objects.get_or_create(claim_id=low, other_claim_id=high, defaults={"dismissed_by": by})
    else:
        DismissedMatch.objects.get_or_create(
            claim=claim, fact_check=fact_check, defaults={"dismissed_by": by}
        )


@transaction.atomic
def adopt_verdict(*, claim: Claim, other: Claim, by: User | None, expected_version: int) -> Claim:
    """A reviewer gives this claim the verdict a colleague gave the same claim elsewhere: offered by the
    panel, never copied on its own; refused when the figures differ (a verdict never follows a changed
    figure) or the other claim has no verdict (only a reviewer gives one)."""
    if other.pk == claim.pk or not other.verdict:
        raise ValidationError({"other": ["that claim has no verdict to use"]})
    _same_figures(claim, other.exact, "other")
    return update_claim(
        claim=claim,
        by=by,
        expected_version=expected_version,
        verdict=other.verdict,
        status=Claim.Status.REVIEWED,
    )


@transaction.atomic
def share_cluster_sources(*, claim: Claim, by: User | None, expected_version: int) -> Claim:
    """Attach to this claim every source another claim of its cluster has (with that claim's relation and
    quote), one new version; sources it already has keep theirs."""
    _require(by, Action.EDIT_CLAIM)
    locked = _lock(claim, expected_version)
    if locked.cluster_id is None:
        raise ValidationError({"cluster": ["this claim is not in a cluster"]})
    have = set(locked.claim_sources.values_list("source_id", flat=True))
    offered = (
        ClaimSource.objects.filter(claim__cluster_id=locked.cluster_id)
        .exclude(claim=locked)
        .exclude(source_id__in=have)
        .order_by("source_id", "pk")
        .distinct("source_id")
    )
    links = [
        ClaimSource(
            claim=locked, source_id=link.source_id, relation=link.relation, quote=link.quote, added_by=by
        )
        for link in offered
    ]
    with _history(by, reason="sources shared from the same claim elsewhere"):
        if links:
            ClaimSource.objects.bulk_create(links)
            locked.touch(by)
    return locked


# --- Sources --------------------------------------------------------------------------------------------


@transaction.atomic
def find_or_create_source(
    *, url: str, title: str, by: User | None, publisher: str = "", kind: str = Source.Kind.OTHER
) -> Source:
    """The source at `url` (normalised), created with `title` if new."""
    _require(by, Action.EDIT_SOURCE)
    try:
        normalised = normalise_url(url)
    except ValueError as error:
        raise ValidationError({"url": [str(error)]}) from None
    if not title.strip():
        raise ValidationError({"title": ["a source needs a title"]})
    _check_length("title", title.strip(), Source.TITLE_MAX_LENGTH)
    _check_length("publisher", publisher, Source.PUBLISHER_MAX_LENGTH)
    source, _ = Source.objects.get_or_create(
        url=normalised,
        defaults={"title": title.strip(), "publisher": publisher, "kind": kind, "created_by": by},
    )
    # Also for a source found: one made without a check (the admin, a fixture) gets its first one now.
    linkchecks.ensure_link_check(source)
    return source


@transaction.atomic
def attach_new_source(
    *,
    claim: Claim,
    url: str,
    title: str,
    relation: str,
    quote: str = "",
    publisher: str = "",
    kind: str = Source.Kind.OTHER,
    by: User | None,
    expected_version: int,
) -> Claim:
    """Find or make the source at `url` and attach it, in one transaction: if the attachment is refused
    (the role may not change the claim, a colleague's edit came first), no new source is left behind."""
    source = find_or_create_source(url=url, title=title, publisher=publisher, kind=kind, by=by)
    return attach_source(
        claim=claim, source=source, relation=relation, quote=quote, by=by, expected_version=expected_version
    )


@transaction.atomic
def attach_source(
    *, claim: Claim, source: Source, relation: str, quote: str = "", by: User | None, expected_version: int
) -> Claim:
    _require(by, Action.EDIT_CLAIM)
    if relation not in ClaimSource.Relation.values:
        raise ValidationError({"relation": [f"{relation!r} is not one of supports, refutes, context"]})
    _check_length("quote", quote, ClaimSource.QUOTE_MAX_LENGTH)
    locked = _lock(claim, expected_version)
    with _history(by):
        locked.attach_source(source, relation=relation, quote=quote, by=by)
    return locked


@transaction.atomic
def detach_source(*, claim: Claim, source: Source, by: User | None, expected_version: int) -> Claim:
    _require(by, Action.EDIT_CLAIM)
    locked = _lock(claim, expected_version)
    with _history(by):
        locked.detach_source(source, by=by)
    return locked


# --- Suggestions ----------------------------------------------------------------------------------------


@transaction.atomic
def accept_suggestion(*, suggestion: Suggestion, by: User | None) -> Claim:
    """Turn a suggestion into a claim on the same words; a figure comes tagged as a statistic."""
    _require(by, Action.CREATE_CLAIM)
    locked = (
        Suggestion.objects.select_for_update(of=("self",))
        .select_related("article__current_revision")
        .get(pk=suggestion.pk)
    )
    if locked.claim_id is not None or locked.dismissed_at is not None:
        raise ValidationError({"suggestion": ["this suggestion was already accepted or dismissed"]})
    if locked.revision_id != locked.article.current_revision_id:
        raise ValidationError({"suggestion": ["this suggestion is for an older revision of the article"]})
    tags = list(Tag.objects.filter(slug="statistic")) if locked.kind == Suggestion.Kind.FIGURE else []
    claim = create_claim(
        article=locked.article, by=by, start=locked.start, end=locked.end, exact=locked.text, tags=tags
    )
    locked.claim = claim
    locked.save(update_fields=["claim"])
    return claim


@transaction.atomic
def dismiss_suggestion(*, suggestion: Suggestion, by: User | None) -> Suggestion:
    """Hide a suggestion from the article for everyone, in this and later revisions."""
    _require(by, Action.CREATE_CLAIM)
    Suggestion.objects.filter(
        article_id=suggestion.article_id, text=suggestion.text, dismissed_at=None
    ).update(dismissed_at=timezone.now(), dismissed_by=by)
    suggestion.refresh_from_db()
    return suggestion
