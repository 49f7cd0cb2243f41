"""Published fact-checks (issue 13): files parsed into validated `FactCheckInput`s, then stored.

Three sources, one set of rules:

- schema.org `ClaimReview` JSON-LD: a JSON file holding one ClaimReview, a list of them, an `@graph`, or an
  HTML page whose `<script type="application/ld+json">` blocks hold them (origin `claimreview`);
- the Data Commons fact-check feed, `{"@type": "DataFeed", "dataFeedElement": [{"item": [ClaimReview...]}]}`,
  and the Google Fact Check Tools API's answer, `{"claims": [{"text", "claimReview": [...]}]}` (origin
  `datacommons`);
- a TSV of `id <TAB> claim <TAB> title` (CSV quoting, an optional header row: the CLEF-2020
  `verified_claims.docs.tsv`; origin `tsv`, external_id the id).

The rules for what a record may hold (each a refusal names the field; a note is printed and the record kept):

- text fields (the claim, title, rating, publisher) with a NUL or a lone surrogate are refused
  (`unstorable`, as for articles); markup in them is reduced to text by the article parser (`html_to_text`:
  scripts and styles dropped, entities decoded), so no markup is ever stored; then whitespace is collapsed
  and NFC applied;
- the claim is required (a record without `claimReviewed`, or with an empty one, is refused);
- overlong: the claim (`FactCheck.CLAIM_MAX_LENGTH`), the title, the URL and the external id are refused;
  the rating's value and name and the publisher's name are cut to their maximum, ending in "…", with a note;
- the review's URL must be an absolute http(s) URL (`javascript:`, `data:`... are refused); it is stored
  normalised (`normalise_url`: lower-case host, no fragment or tracking tags) so that re-imports find it.
  JSON records need a URL (it is what makes a re-import an update). The publisher's URL is dropped with a
  note when it is not http(s);
- a date that is not ISO 8601 (date or date-time; only the date is kept, as written) is dropped with a note;
  so is a language that is not a language tag;
- JSON nested more deeply than the decoder recurses (about a thousand levels) refuses the file; the search
  for ClaimReviews descends at most MAX_JSON_DEPTH levels. HTML pages pass `check_depth` first;
- a file larger than MAX_FILE_BYTES is refused unread.

Storing (`store_file`) is idempotent and runs in one transaction per file: a record whose URL, or whose
origin and external id, is already stored updates that fact-check; the same key twice in one file refuses
the second. Parsing never touches the database.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from selectolax.lexbor import LexborHTMLParser

from annotations.models import FactCheck
from annotations.text import BadArticle, check_depth, html_to_text, normalise_url, unstorable

JSON_SUFFIXES = (".json", ".jsonld")
HTML_SUFFIXES = (".html", ".htm")
TSV_SUFFIXES = (".tsv",)
SUFFIXES = JSON_SUFFIXES + HTML_SUFFIXES + TSV_SUFFIXES
MAX_FILE_BYTES = 50 * 1024 * 1024  # a feed of ~100,000 reviews; the CLEF TSV is 1.5 MB
MAX_JSON_DEPTH = 64  # how deep the search for ClaimReview objects goes (feeds nest four or five levels)
ELLIPSIS = "…"
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
_TYPES = {
    "claimreview",
    "schema:claimreview",
    "http://schema.org/claimreview",
    "https://schema.org/claimreview",
}
_HTML_HINT = re.compile(r"[<&]")


class BadFactCheck(ValueError):
    """A record that cannot be imported; the message names the field and says why."""


@dataclass(frozen=True)
class FactCheckInput:
    """One validated fact-check, its fields as FactCheck's."""

    claim_reviewed: str
    origin: str
    title: str = ""
    rating_value: str = ""
    rating_name: str = ""
    publisher: str = ""
    publisher_url: str = ""
    reviewed_on: date | None = None
    url: str = ""
    language: str = ""
    external_id: str = ""


STORED_FIELDS = tuple(f.name for f in fields(FactCheckInput))


@dataclass(frozen=True)
class Problem:
    """A refused record or file: where (`line` of a TSV, a JSON path, or nothing for the file) and why."""

    file: str
    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.where}: {self.reason}" if self.where else f"{self.file}: {self.reason}"


@dataclass(frozen=True)
class Entry:
    """One record read from a file: a fact-check to store, or why not; notes on what was dropped."""

    file: str
    where: str
    factcheck: FactCheckInput | None = None
    problem: Problem | None = None
    notes: tuple[str, ...] = ()


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)


# --- field rules --------------------------------------------------------------------------------------


def clean_text(
    name: str, value: Any, *, limit: int, cut: bool = False, notes: list[str] | None = None
) -> str:
    """`value` as stored text: checked, markup reduced to text, whitespace collapsed, within `limit`."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise BadFactCheck(f"{name} must be a string")
    text = str(value)
    if reason := unstorable(text):
        raise BadFactCheck(f"{name} {reason}")
    if _HTML_HINT.search(text):
        try:
            text = html_to_text(text)
        except BadArticle as error:
            raise BadFactCheck(f"{name}: {error}") from None
    text = " ".join(unicodedata.normalize("NFC", text).split())
    if len(text) > limit:
        if not cut:
            raise BadFactCheck(f"{name} is longer than {limit} characters")
        text = text[: limit - 1].rstrip() + ELLIPSIS
        if notes is not None:
            notes.append(f"{name} cut to {limit} characters")
    return text


def clean_url(name: str, value: Any) -> str:
    """An absolute http(s) URL, normalised, or "" when none is given; BadFactCheck otherwise."""
    if value in (None, ""):
        return ""
    if not isinstance(value, str):
        raise BadFactCheck(f"{name} must be a string")
    if reason := unstorable(value):
        raise BadFactCheck(f"{name} {reason}")
    url = value.strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
        url = normalise_url(url)
    except (ValidationError, ValueError):
        shown = url if len(url) <= 80 else url[:77] + "..."
        raise BadFactCheck(f"{name} {shown!r} is not an absolute http(s) URL") from None
    if len(url) > FactCheck.URL_MAX_LENGTH:
        raise BadFactCheck(f"{name} is longer than {FactCheck.URL_MAX_LENGTH} characters")
    return url


def clean_date(name: str, value: Any, notes: list[str]) -> date | None:
    """The date of an ISO 8601 date or date-time (as written, not moved to UTC); None, with a note, if bad."""
    if value in (None, ""):
        return None
    if isinstance(value, str) and not unstorable(value):
        text = value.strip()
        try:
            moment = parse_datetime(text)
            if moment is not None:
                return moment.date()
            day = parse_date(text)
            if day is not None:
                return day
        except ValueError:
            pass
    shown = value if isinstance(value, str) and len(value) <= 40 and not unstorable(value) else "(unreadable)"
    notes.append(f"{name} {shown!r} is not an ISO 8601 date; the date is left out")
    return None


def clean_language(name: str, value: Any, notes: list[str]) -> str:
    if isinstance(value, Mapping):  # schema.org Language: {"name": "English", "alternateName": "en"}
        value = value.get("alternateName") or value.get("name")
    if value in (None, ""):
        return ""
    if isinstance(value, str) and len(value.strip()) <= 16 and _LANGUAGE.match(value.strip()):
        return value.strip()
    notes.append(f"{name} is not a language tag; it is left out")
    return ""


def _first_party(value: Any) -> tuple[Any, Any]:
    """(name, url) of an author or publisher given as a string, an object or a list of either."""
    candidates = value if isinstance(value, list) else [value]
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.strip():
            return candidate, None
        if isinstance(candidate, Mapping) and (candidate.get("name") or candidate.get("url")):
            url = candidate.get("url")
            if url is None and isinstance(site := candidate.get("site"), str) and site.strip():
                url = site if "://" in site else f"https://{site.strip()}"  # the Google API gives a domain
            return candidate.get("name"), url
    return None, None


def build(
    *,
    origin: str,
    claim: Any,
    title: Any = None,
    rating_value: Any = None,
    rating_name: Any = None,
    publisher: Any = None,
    publisher_url: Any = None,
    reviewed_on: Any = None,
    url: Any = None,
    language: Any = None,
    external_id: Any = None,
    require_key: bool = True,
    names: Mapping[str, str] | None = None,
) -> tuple[FactCheckInput, tuple[str, ...]]:
    """A validated FactCheckInput and the notes on what was dropped or cut; BadFactCheck if refused.

    `names` gives the fields' names in the source, for the messages (`claimReviewed`, `reviewRating`...).
    """
    label = {
        "claim": "claim",
        "title": "title",
        "rating_value": "rating value",
        "rating_name": "rating name",
        "publisher": "publisher",
        "publisher_url": "publisher url",
        "reviewed_on": "date",
        "url": "url",
        "language": "language",
        "external_id": "id",
        **(names or {}),
    }
    notes: list[str] = []
    claim_text = clean_text(label["claim"], claim, limit=FactCheck.CLAIM_MAX_LENGTH)
    if not claim_text:
        raise BadFactCheck(f"{label['claim']} is missing")
    ident = clean_text(label["external_id"], external_id, limit=FactCheck.EXTERNAL_ID_MAX_LENGTH)
    review_url = clean_url(label["url"], url)
    if require_key and not review_url and not ident:
        raise BadFactCheck(f"{label['url']} is missing (it is what makes importing the file again an update)")
    try:
        party_url = clean_url(label["publisher_url"], publisher_url)
    except BadFactCheck as error:
        notes.append(f"{error}; it is left out")
        party_url = ""
    rating = FactCheck.RATING_MAX_LENGTH
    factcheck = FactCheckInput(
        claim_reviewed=claim_text,
        origin=origin,
        title=clean_text(label["title"], title, limit=FactCheck.TITLE_MAX_LENGTH),
        rating_value=clean_text(label["rating_value"], rating_value, limit=rating, cut=True, notes=notes),
        rating_name=clean_text(label["rating_name"], rating_name, limit=rating, cut=True, notes=notes),
        publisher=clean_text(
            label["publisher"], publisher, limit=FactCheck.PUBLISHER_MAX_LENGTH, cut=True, notes=notes
        ),
        publisher_url=party_url,
        reviewed_on=clean_date(label["reviewed_on"], reviewed_on, notes),
        url=review_url,
        language=clean_language(label["language"], language, notes),
        external_id=ident,
    )
    return factcheck, tuple(notes)


# --- ClaimReview JSON-LD and feeds --------------------------------------------------------------------

_CLAIMREVIEW_NAMES = {
    "claim": "claimReviewed",
    "title": "headline",
    "rating_value": "reviewRating.ratingValue",
    "rating_name": "reviewRating.alternateName",
    "publisher": "author.name",
    "publisher_url": "author.url",
    "reviewed_on": "datePublished",
    "url": "url",
    "language": "inLanguage",
}
_GOOGLE_NAMES = {
    "claim": "text",
    "title": "title",
    "rating_name": "textualRating",
    "publisher": "publisher.name",
    "publisher_url": "publisher.site",
    "reviewed_on": "reviewDate",
    "url": "url",
    "language": "languageCode",
}


def from_claimreview(data: Mapping[str, Any], *, origin: str) -> tuple[FactCheckInput, tuple[str, ...]]:
    """One schema.org ClaimReview object."""
    rating = data.get("reviewRating")
    if isinstance(rating, list):
        rating = rating[0] if rating else None
    if not isinstance(rating, Mapping):
        rating = {}
    name, url = _first_party(data.get("author"))
    if name is None and url is None:
        name, url = _first_party(data.get("publisher"))
    return build(
        origin=origin,
        claim=data.get("claimReviewed"),
        title=data.get("headline") or data.get("name"),
        rating_value=rating.get("ratingValue"),
        rating_name=rating.get("alternateName"),
        publisher=name,
        publisher_url=url,
        reviewed_on=data.get("datePublished"),
        url=data.get("url"),
        language=data.get("inLanguage"),
        names=_CLAIMREVIEW_NAMES,
    )


def _is_claimreview(node: Mapping[str, Any]) -> bool:
    kinds = node.get("@type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return any(isinstance(kind, str) and kind.strip().lower() in _TYPES for kind in kinds)


def _claimreviews(node: Any, path: str, depth: int = 0) -> Iterator[tuple[str, Mapping[str, Any] | str]]:
    """(path, ClaimReview) for each ClaimReview in a JSON-LD document, or (path, reason) where too deep."""
    if depth > MAX_JSON_DEPTH:
        yield path, f"nested more than {MAX_JSON_DEPTH} levels deep; not searched further"
        return
    if isinstance(node, list):
        for index, child in enumerate(node):
            yield from _claimreviews(child, f"{path}[{index}]", depth + 1)
    elif isinstance(node, Mapping):
        if _is_claimreview(node):
            yield path or "[0]", node
            return
        for key, child in node.items():
            if isinstance(child, list | Mapping) and not str(key).startswith("@context"):
                yield from _claimreviews(child, f"{path}.{key}" if path else str(key), depth + 1)


def _google_claims(file: str, data: Mapping[str, Any]) -> Iterator[Entry]:
    """The Fact Check Tools API answer: each claim's reviews, the claim's text as the claim reviewed."""
    claims = data.get("claims")
    if not isinstance(claims, list):
        yield _problem(file, "claims", "claims must be a list")
        return
    for index, claim in enumerate(claims):
        reviews = claim.get("claimReview") if isinstance(claim, Mapping) else None
        if not isinstance(reviews, list) or not reviews:
            yield _problem(file, f"claims[{index}]", "claimReview is missing")
            continue
        for number, review in enumerate(reviews):
            where = f"claims[{index}].claimReview[{number}]"
            if not isinstance(review, Mapping):
                yield _problem(file, where, "a claimReview must be an object")
                continue
            name, url = _first_party(review.get("publisher"))
            yield _entry(
                file,
                where,
                lambda claim=claim, review=review, name=name, url=url: build(
                    origin=FactCheck.Origin.DATACOMMONS,
                    claim=claim.get("text"),
                    title=review.get("title"),
                    rating_name=review.get("textualRating"),
                    publisher=name,
                    publisher_url=url,
                    reviewed_on=review.get("reviewDate"),
                    url=review.get("url"),
                    language=review.get("languageCode") or claim.get("languageCode"),
                    names=_GOOGLE_NAMES,
                ),
            )


def read_jsonld(file: str, data: Any, *, prefix: str = "") -> Iterator[Entry]:
    """Every ClaimReview in a decoded JSON(-LD) document, a feed or an API answer."""
    if isinstance(data, Mapping) and "claims" in data and "dataFeedElement" not in data:
        yield from _google_claims(file, data)
        return
    is_feed = isinstance(data, Mapping) and "dataFeedElement" in data
    origin = FactCheck.Origin.DATACOMMONS if is_feed else FactCheck.Origin.CLAIMREVIEW
    found = False
    for where, node in _claimreviews(data, prefix):
        if isinstance(node, str):
            yield _problem(file, where, node)
            continue
        found = True
        yield _entry(file, where, lambda node=node: from_claimreview(node, origin=origin))
    if not found and not prefix:
        yield _problem(file, "", "no ClaimReview found")


def read_json_text(file: str, content: str) -> Iterator[Entry]:
    try:
        data = json.loads(content)
    except json.JSONDecodeError as error:
        yield _problem(file, str(error.lineno), f"invalid JSON: {error.msg} at column {error.colno}")
        return
    except RecursionError:  # the decoder recurses once per level: that is the depth limit (as the API's)
        yield _problem(file, "", "invalid JSON: nested too deeply")
        return
    yield from read_jsonld(file, data)


def read_html_text(file: str, content: str) -> Iterator[Entry]:
    """The ClaimReviews in a page's `<script type="application/ld+json">` blocks."""
    try:
        check_depth(content)
    except BadArticle as error:
        yield _problem(file, "", str(error))
        return
    tree = LexborHTMLParser(content)
    found = False
    for number, script in enumerate(tree.css('script[type="application/ld+json"]'), start=1):
        where = f"script[{number}]"
        try:
            data = json.loads(script.text(deep=True) or "")
        except json.JSONDecodeError as error:
            yield _problem(
                file, where, f"invalid JSON: {error.msg} at line {error.lineno} column {error.colno}"
            )
            continue
        except RecursionError:
            yield _problem(file, where, "invalid JSON: nested too deeply")
            continue
        for entry in read_jsonld(file, data, prefix=where):
            found = True
            yield entry
    if not found:
        yield _problem(file, "", "no ClaimReview found in the page's JSON-LD")


# --- TSV ----------------------------------------------------------------------------------------------


def read_tsv_text(file: str, content: str) -> Iterator[Entry]:
    """`id <TAB> claim <TAB> title` (the title may be left out), CSV-quoted; a header row is skipped. Read
    by match_claims' own reader (`matching.tsv.parse`), each problem reported and the rest imported."""
    # Imported here: the matching package's other modules load models the import does not need.
    from annotations.matching import tsv

    for item in tsv.parse(io.StringIO(content, newline=""), (2, 3), "id, claim, title", text_name="claim"):
        if isinstance(item, tsv.Problem):
            rest = "; the rest of the file is not read" if item.final else ""
            yield _problem(file, str(item.line), item.message + rest)
        else:
            yield _entry(
                file,
                str(item.line),
                lambda row=item: build(
                    origin=FactCheck.Origin.TSV, external_id=row.id, claim=row.text, title=row.title
                ),
            )


# --- files --------------------------------------------------------------------------------------------


def read_file(path: Path) -> Iterator[Entry]:
    """Every record of one file, its format from the extension, or else from its first character."""
    name = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            yield _problem(name, "", f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
            return
        raw = path.read_bytes()
    except OSError as error:
        yield _problem(name, "", f"cannot read the file: {error.strerror or error}")
        return
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        yield _problem(name, "", f"not UTF-8 text (byte {error.start})")
        return
    yield from read_text(name, content, suffix=path.suffix.lower())


def read_text(name: str, content: str, *, suffix: str = "") -> Iterator[Entry]:
    if suffix not in SUFFIXES:
        start = content.lstrip()[:1]
        suffix = (
            ".json" if start in ("{", "[") else ".html" if start == "<" else ".tsv" if "\t" in content else ""
        )
    if suffix in JSON_SUFFIXES:
        yield from read_json_text(name, content)
    elif suffix in HTML_SUFFIXES:
        yield from read_html_text(name, content)
    elif suffix in TSV_SUFFIXES:
        yield from read_tsv_text(name, content)
    else:
        yield _problem(name, "", "not a fact-check file: use .json, .jsonld, .html, .htm or .tsv")


def _entry(file: str, where: str, make: Any) -> Entry:
    try:
        factcheck, notes = make()
    except BadFactCheck as error:
        return _problem(file, where, str(error))
    return Entry(file=file, where=where, factcheck=factcheck, notes=notes)


def _problem(file: str, where: str, reason: str) -> Entry:
    return Entry(file=file, where=where, problem=Problem(file=file, where=where, reason=reason))


# --- storing ------------------------------------------------------------------------------------------


def store_file(path: Path) -> Outcome:
    """Read one file and store its good records in one transaction; report the rest."""
    return store(read_file(path))


def store(entries: Iterator[Entry] | list[Entry]) -> Outcome:
    """Store the entries' fact-checks (creating or updating), in one transaction, in bulk."""
    outcome = Outcome()
    good: list[Entry] = []
    keys: dict[tuple[str, str], str] = {}
    for entry in entries:
        for note in entry.notes:
            outcome.notes.append(Problem(entry.file, entry.where, note))
        if entry.problem is not None:
            outcome.problems.append(entry.problem)
            continue
        factcheck = entry.factcheck
        if factcheck is None:
            raise TypeError("an entry has neither a fact-check nor a problem")
        own = [("url", factcheck.url)] if factcheck.url else []
        if factcheck.external_id:
            own.append((factcheck.origin, factcheck.external_id))
        if clash := next((key for key in own if key in keys), None):
            what = "url" if clash[0] == "url" else "id"
            reason = f"the same {what} as the record at {keys[clash]}; not imported"
            outcome.problems.append(Problem(entry.file, entry.where, reason))
            continue
        keys.update(dict.fromkeys(own, entry.where))
        good.append(entry)
    if not good:
        return outcome
    with transaction.atomic():
        urls = [e.factcheck.url for e in good if e.factcheck and e.factcheck.url]
        by_url = {fc.url: fc for fc in FactCheck.objects.filter(url__in=urls)} if urls else {}
        by_id: dict[tuple[str, str], FactCheck] = {}
        for origin in {e.factcheck.origin for e in good if e.factcheck and e.factcheck.external_id}:
            ids = [e.factcheck.external_id for e in good if e.factcheck and e.factcheck.origin == origin]
            for fc in FactCheck.objects.filter(origin=origin, external_id__in=[i for i in ids if i]):
                by_id[(fc.origin, fc.external_id)] = fc
        new: list[FactCheck] = []
        changed: list[FactCheck] = []
        now = timezone.now()
        for entry in good:
            data = entry.factcheck
            if data is None:
                continue
            at_url = by_url.get(data.url) if data.url else None
            at_id = by_id.get((data.origin, data.external_id)) if data.external_id else None
            if at_url is not None and at_id is not None and at_url.pk != at_id.pk:
                reason = (
                    f"its url is fact-check {at_url.pk}'s and its id fact-check {at_id.pk}'s; not imported"
                )
                outcome.problems.append(Problem(entry.file, entry.where, reason))
                continue
            existing = at_url or at_id
            if existing is None:
                new.append(FactCheck(**{name: getattr(data, name) for name in STORED_FIELDS}))
                continue
            if all(getattr(existing, name) == getattr(data, name) for name in STORED_FIELDS):
                outcome.unchanged += 1
                continue
            for name in STORED_FIELDS:
                setattr(existing, name, getattr(data, name))
            existing.updated_at = now  # bulk_update skips auto_now; the matching index reads it
            changed.append(existing)
        if new:
            FactCheck.objects.bulk_create(new, batch_size=1000)
        if changed:
            FactCheck.objects.bulk_update(changed, [*STORED_FIELDS, "updated_at"], batch_size=1000)
        outcome.created, outcome.updated = len(new), len(changed)
    return outcome


__all__ = [
    "BadFactCheck",
    "Entry",
    "FactCheckInput",
    "Outcome",
    "Problem",
    "build",
    "from_claimreview",
    "read_file",
    "read_text",
    "store",
    "store_file",
]
