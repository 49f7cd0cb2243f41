"""Has this claim been made, or checked, before? The app's side of claim matching (issue 13).

Two indexes per process (`matching.live.LiveIndex`): every claim's quote, and every imported fact-check's
claim and headline. Each is built from the database on first use and brought up to date at every lookup by
reading what changed since it last looked: rows with a higher id, and rows whose `updated_at` is at most
`MARGIN` older than the newest it saw (a transaction that committed late still has its change read; a
carried or re-attached claim's `mark_changed` bumps it). A deleted row is dropped when it comes up as a
candidate. Embeddings are stored (`TextEmbedding`, addressed by model and text), so that a restart or a
second process embeds nothing twice.

A lookup returns what a user may see, in three tiers: *confirmed* (an editor said so: the claim's cluster,
its confirmed fact-checks), *suggested* (a fused score of at least `SUGGEST_AT` and figures that agree),
*related* (as close, but the figures differ: shown with the difference, never offered as the same claim).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db import connections
from django.db.models import Model, Q

from annotations.matching import dense
from annotations.matching.figures import Relation, difference, relation
from annotations.matching.index import Match
from annotations.matching.live import LiveIndex
from annotations.models import Claim, ClaimFactCheck, DismissedMatch, FactCheck, TextEmbedding

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from annotations.models import User

# The fused score from which a match is suggested. Chosen on the CLEF-2020 training tweets only (the best
# F1 of "is this candidate a true match" over each tweet's top 10: precision 0.62, recall 0.62), measured
# on the development tweets (0.55, 0.59): see BENCHMARKS.md. No score was found at which a match is safe to
# confirm without an editor (0.85 still gives 0.78 precision on the development tweets), so confirming is
# always an editor's act.
SUGGEST_AT = 0.60
CANDIDATES = 50  # best-scoring stored items looked at per lookup, before visibility and thresholds
MARGIN = timedelta(minutes=2)
EMBED_BATCH = 5_000
# Up to this many rows an index is built inside the first lookup (a second or two); a larger one is built
# in a thread of its own, and lookups answer `Warming` until it is there (a million claims take minutes
# the first time, while every vector is embedded and stored; then about a minute per process start).
INLINE_BUILD = 20_000


class Warming(Exception):
    """The process is still building an index: nothing can be matched yet (the caller says so, and when
    to ask again; nothing is answered as "no match")."""

    def __init__(self, rows: int) -> None:
        self.rows = rows
        super().__init__(f"the matching index of {rows:,} texts is being built; try again in a minute")


class Tier(StrEnum):
    CONFIRMED = "confirmed"
    SUGGESTED = "suggested"
    RELATED = "related"


# --- Stored embeddings ------------------------------------------------------------------------------------


def embeddings_for(texts: Sequence[str]) -> dense.Matrix:
    """The unit vectors of `texts`, read from `TextEmbedding` where stored; the rest embedded and stored."""
    keys = [dense.key(t) for t in texts]
    stored: dict[str, dense.Matrix] = {}
    unique = list(dict.fromkeys(keys))
    for i in range(0, len(unique), EMBED_BATCH):
        rows = TextEmbedding.objects.filter(key__in=unique[i : i + EMBED_BATCH]).values_list("key", "vector")
        stored.update((key, dense.from_bytes(bytes(vector))) for key, vector in rows)
    missing = [k for k in unique if k not in stored]
    if missing:
        text_of = dict(zip(keys, texts, strict=True))
        for i in range(0, len(missing), EMBED_BATCH):
            batch = missing[i : i + EMBED_BATCH]
            vectors = dense.embed([text_of[k] for k in batch])
            stored.update(zip(batch, vectors, strict=True))
            TextEmbedding.objects.bulk_create(
                [TextEmbedding(key=k, vector=dense.to_bytes(v)) for k, v in zip(batch, vectors, strict=True)],
                ignore_conflicts=True,  # another process stored the same text meanwhile: same vector
            )
    if not keys:
        return np.zeros((0, dense.DIMENSIONS), dtype=np.float32)
    return np.vstack([stored[k] for k in keys]).astype(np.float32)


# --- The process's indexes ---------------------------------------------------------------------------------


@dataclass
class Corpus:
    """One model's rows as a `LiveIndex`, kept current by `matches`. Thread-safe: one lock per corpus."""

    model: type[Model]
    fields: tuple[str, ...]
    text: Callable[[tuple[Any, ...]], str]  # a row of `fields` -> the text that is matched
    index: LiveIndex | None = None
    max_pk: int = 0
    seen_until: datetime | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    building: threading.Thread | None = None
    generation: int = 0  # bumped by `reset`: a build started before it does not install its index

    def _rows(self, condition: Q | None = None) -> list[tuple[Any, ...]]:
        """Every row (a server-side cursor, in chunks), or those matching `condition` (a few)."""
        objects = (
            self.model._default_manager.all()
            if condition is None
            else self.model._default_manager.filter(condition)
        )
        rows = objects.values_list("pk", "updated_at", *self.fields)
        return list(rows.iterator(chunk_size=10_000)) if condition is None else list(rows)

    def _note(self, rows: Iterable[tuple[Any, ...]]) -> None:
        for pk, updated_at, *_ in rows:
            self.max_pk = max(self.max_pk, pk)
            if self.seen_until is None or updated_at > self.seen_until:
                self.seen_until = updated_at

    def _build(self) -> tuple[LiveIndex, list[tuple[Any, ...]]]:
        rows = self._rows()
        pairs = [(str(r[0]), self.text(r[2:])) for r in rows]
        return LiveIndex(pairs, embeddings_for([t for _, t in pairs])), rows

    def _build_in_background(self, generation: int) -> None:
        try:
            index, rows = self._build()
            with self.lock:
                if generation == self.generation and self.index is None:
                    self.index = index
                    self._note(rows)
        finally:
            connections.close_all()  # this thread's own database connection
            with self.lock:
                self.building = None

    def _catch_up(self) -> LiveIndex:
        if self.index is None:
            rows_now = self.model._default_manager.count()
            if rows_now > INLINE_BUILD:
                if self.building is None:
                    self.building = threading.Thread(
                        target=self._build_in_background, args=(self.generation,), daemon=True
                    )
                    self.building.start()
                raise Warming(rows_now)
            self.index, rows = self._build()
        else:
            since = Q(pk__gt=self.max_pk)
            if self.seen_until is not None:
                since |= Q(updated_at__gte=self.seen_until - MARGIN)
            rows = self._rows(since)
            pairs = [(str(r[0]), self.text(r[2:])) for r in rows]
            pairs = [(i, t) for i, t in pairs if self.index.text_of(i) != t]
            if pairs:
                self.index.upsert(pairs, embeddings_for([t for _, t in pairs]))
        self._note(rows)
        if self.index.stale:
            if len(self.index.base) <= INLINE_BUILD:
                self.index = self.index.rebuilt()
            elif self.building is None:
                # Rebuilt beside the one in use, from a snapshot; the changes read after it are read
                # again once the new one is in (`seen`: the snapshot's watermark).
                seen = (self.max_pk, self.seen_until)
                self.building = threading.Thread(
                    target=self._rebuild_in_background, args=(*self.index.items(), seen, self.generation)
                )
                self.building.start()
        return self.index

    def _rebuild_in_background(
        self, pairs: list[tuple[str, str]], vectors: dense.Matrix, seen: tuple[int, Any], generation: int
    ) -> None:
        try:
            index = LiveIndex(pairs, vectors)
            with self.lock:
                if generation == self.generation:
                    self.index, (self.max_pk, self.seen_until) = index, seen
        finally:
            with self.lock:
                self.building = None

    def matches(self, text: str, vector: dense.Matrix, top: int = CANDIDATES) -> list[Match]:
        with self.lock:
            return self._catch_up().matches(text, top, vector)

    def forget(self, pks: Iterable[int]) -> None:
        """Drop rows found deleted."""
        with self.lock:
            if self.index is not None:
                self.index.remove(str(pk) for pk in pks)

    def reset(self) -> None:
        with self.lock:
            self.index, self.max_pk, self.seen_until = None, 0, None
            self.generation += 1


def fact_check_text(claim_reviewed: str, title: str) -> str:
    """What a fact-check is matched by: its claim, then its headline (the verified claims' TSV format)."""
    return f"{claim_reviewed} {title}".strip()


CLAIMS = Corpus(Claim, ("exact",), lambda row: row[0])
FACT_CHECKS = Corpus(FactCheck, ("claim_reviewed", "title"), lambda row: fact_check_text(*row))


def reset() -> None:
    """Forget both indexes (tests, or after a restore): the next lookup rebuilds them from the database."""
    CLAIMS.reset()
    FACT_CHECKS.reset()


# --- Lookups --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimMatch:
    claim: Claim
    tier: Tier
    score: float | None  # None: confirmed by an editor without being among this lookup's candidates
    difference: str = ""  # for a related claim: how the figures differ

    @property
    def checked(self) -> bool:
        """Our own verdicts count as fact-checks (only a reviewer gives one: `roles.py`)."""
        return bool(self.claim.verdict)


@dataclass(frozen=True)
class FactCheckMatch:
    fact_check: FactCheck
    tier: Tier
    score: float | None
    difference: str = ""


@dataclass(frozen=True)
class Matches:
    claims: list[ClaimMatch]
    fact_checks: list[FactCheckMatch]

    def of(self, tier: Tier) -> list[ClaimMatch]:
        return [m for m in self.claims if m.tier == tier]

    def fact_checks_of(self, tier: Tier) -> list[FactCheckMatch]:
        return [m for m in self.fact_checks if m.tier == tier]

    @property
    def article_count(self) -> int:
        """In how many other articles the same claim is made (confirmed or suggested)."""
        return len({m.claim.article_id for m in self.claims if m.tier != Tier.RELATED})

    @property
    def checks(self) -> list[ClaimMatch]:
        """Our own verdicts on the same claim elsewhere (confirmed or suggested), to offer, never to copy."""
        return [m for m in self.claims if m.tier != Tier.RELATED and m.checked]


def _tier(text: str, other: str, score: float) -> tuple[Tier, str] | None:
    if score < SUGGEST_AT:
        return None
    if relation(text, other) is Relation.SAME:
        return Tier.SUGGESTED, ""
    return Tier.RELATED, difference(text, other)


def _dismissed(claim: Claim | None) -> tuple[set[int], set[int]]:
    if claim is None:
        return set(), set()
    dismissed = DismissedMatch.objects
    pairs = dismissed.filter(Q(claim=claim) | Q(other_claim=claim), other_claim__isnull=False)
    claims = {pk for pair in pairs.values_list("claim_id", "other_claim_id") for pk in pair} - {claim.pk}
    fact_checks = dismissed.filter(claim=claim, fact_check__isnull=False).values_list(
        "fact_check_id", flat=True
    )
    return claims, set(fact_checks)


def _claim_matches(
    text: str,
    vector: dense.Matrix,
    user: User | AnonymousUser,
    claim: Claim | None,
    article_id: int | None,
    dismissed: set[int],
) -> list[ClaimMatch]:
    hits = [m for m in CLAIMS.matches(text, vector) if m.score >= SUGGEST_AT]
    visible = Claim.objects.visible_to(user).select_related("article")
    confirmed: list[ClaimMatch] = []
    if claim is not None and claim.cluster_id is not None:
        members = visible.filter(cluster_id=claim.cluster_id).exclude(pk=claim.pk).order_by("pk")
        confirmed = [ClaimMatch(c, Tier.CONFIRMED, None) for c in members]
    ids = [int(m.id) for m in hits]
    found = {c.pk: c for c in visible.filter(pk__in=ids)}
    if gone := set(ids) - set(found) - set(Claim.objects.filter(pk__in=ids).values_list("pk", flat=True)):
        CLAIMS.forget(gone)
    scores = {int(m.id): m.score for m in hits}
    seen = {m.claim.pk for m in confirmed}
    confirmed = [replace(m, score=scores.get(m.claim.pk)) for m in confirmed]
    out: list[ClaimMatch] = []
    for pk in ids:
        other = found.get(pk)
        if other is None or pk in seen or pk in dismissed:
            continue
        if (claim is not None and pk == claim.pk) or other.article_id == article_id:
            continue  # the claim itself, and its own article's claims, are not "elsewhere"
        if tier := _tier(text, other.exact, scores[pk]):
            out.append(ClaimMatch(other, tier[0], scores[pk], tier[1]))
    return confirmed + out


def _fact_check_matches(
    text: str, vector: dense.Matrix, claim: Claim | None, dismissed: set[int]
) -> list[FactCheckMatch]:
    hits = [m for m in FACT_CHECKS.matches(text, vector) if m.score >= SUGGEST_AT]
    confirmed: list[FactCheckMatch] = []
    if claim is not None:
        # Confirmed for this claim, or for another claim of its cluster: the same claim.
        owners = Q(claim=claim) | (
            Q(claim__cluster_id=claim.cluster_id) if claim.cluster_id else Q(pk__in=[])
        )
        links = ClaimFactCheck.objects.filter(owners).select_related("fact_check").order_by("confirmed_at")
        confirmed = [FactCheckMatch(link.fact_check, Tier.CONFIRMED, None) for link in links]
    seen = {m.fact_check.pk for m in confirmed}
    ids = [int(m.id) for m in hits]
    found = FactCheck.objects.in_bulk(ids)
    if gone := set(ids) - set(found):
        FACT_CHECKS.forget(gone)
    out: list[FactCheckMatch] = []
    for match in hits:
        fact_check = found.get(int(match.id))
        if fact_check is None or fact_check.pk in seen or fact_check.pk in dismissed:
            continue
        seen.add(fact_check.pk)
        if tier := _tier(text, fact_check.claim_reviewed, match.score):
            out.append(FactCheckMatch(fact_check, tier[0], match.score, tier[1]))
    return confirmed + out


def find_matches(claim: Claim, user: User | AnonymousUser) -> Matches:
    """The same claim in other articles and the fact-checks that cover it, best first, for `user`."""
    return find_for_text(claim.exact, user, claim=claim, article_id=claim.article_id)


def find_for_text(
    text: str, user: User | AnonymousUser, *, claim: Claim | None = None, article_id: int | None = None
) -> Matches:
    """The same for any sentence (a suggestion, a query): nothing is confirmed for it."""
    vector = dense.embed([text])[0]
    claims, fact_checks = _dismissed(claim)
    return Matches(
        claims=_claim_matches(text, vector, user, claim, article_id, claims),
        fact_checks=_fact_check_matches(text, vector, claim, fact_checks),
    )
