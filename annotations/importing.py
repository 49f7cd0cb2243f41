"""Reading articles from files (.txt, .html, .jsonl) into validated inputs for `services.import_article`.

Shared by the `import_articles` command, the browser's upload form and the API, so that every way in
applies the same rules and reports the same errors. Parsing never touches the database.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.dateparse import parse_date, parse_datetime

from annotations.models import Article
from annotations.text import BadArticle as BadArticle  # defined beside the HTML limits that raise it
from annotations.text import html_metadata, html_to_text, normalise, sanitise_html, unstorable

SUFFIXES = (".txt", ".html", ".htm", ".jsonl")
MAX_TITLE = Article.TITLE_MAX_LENGTH
MAX_URL = Article.URL_MAX_LENGTH
MAX_TEXT = 2_000_000  # code points; far above any article, far below what would hurt the database


@dataclass(frozen=True)
class ArticleInput:
    title: str
    text: str
    html: str = ""
    url: str = ""
    outlet: str = ""
    byline: str = ""
    published_at: datetime | None = None
    language: str = "en"

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ArticleInput:
        """Validate one article given as fields (a JSONL line, an API body, a form)."""
        if not isinstance(data, Mapping):
            raise BadArticle("expected an object with title and text or html")
        unknown = set(data) - {"title", "url", "outlet", "byline", "published_at", "text", "html", "language"}
        if unknown:
            raise BadArticle(f"unknown field(s): {', '.join(sorted(unknown))}")
        for name in ("title", "url", "outlet", "byline", "text", "html", "language"):
            if data.get(name) is not None and not isinstance(data[name], str):
                raise BadArticle(f"{name} must be a string")
            _check_text(name, data.get(name) or "")  # before the HTML is parsed or cleaned
        raw_text, raw_html = data.get("text") or "", data.get("html") or ""
        if raw_text and raw_html:
            raise BadArticle("give either text or html, not both")
        html = sanitise_html(raw_html) if raw_html else ""
        text = html_to_text(raw_html) if raw_html else normalise(raw_text)
        if raw_html and not data.get("title"):
            title = html_metadata(raw_html)["title"]
        else:
            title = data.get("title") or ""
        return cls.build(
            title=title,
            text=text,
            html=html,
            url=data.get("url") or "",
            outlet=data.get("outlet") or "",
            byline=data.get("byline") or "",
            published_at=data.get("published_at"),
            language=data.get("language") or "en",
        )

    @classmethod
    def build(
        cls,
        *,
        title: str,
        text: str,
        html: str = "",
        url: str = "",
        outlet: str = "",
        byline: str = "",
        published_at: Any = None,
        language: str = "en",
    ) -> ArticleInput:
        fields = {"title": title, "text": text, "html": html, "url": url, "outlet": outlet, "byline": byline}
        for name, value in {**fields, "language": language}.items():
            _check_text(name, value)
        title = " ".join(title.split())
        text = normalise(text)
        if not title:
            raise BadArticle("title is missing")
        if len(title) > MAX_TITLE:
            raise BadArticle(f"title is longer than {MAX_TITLE} characters")
        if not text.strip():
            raise BadArticle("the article has no text")
        if len(text) > MAX_TEXT:
            raise BadArticle(f"the article is longer than {MAX_TEXT:,} characters")
        url = url.strip()
        if url:
            if len(url) > MAX_URL:
                raise BadArticle(f"url is longer than {MAX_URL} characters")
            try:
                URLValidator(schemes=["http", "https"])(url)
            except ValidationError:
                raise BadArticle(f"url {url!r} is not a valid http(s) URL") from None
        return cls(
            title=title,
            text=text,
            html=html,
            url=url,
            outlet=" ".join(outlet.split())[: Article.OUTLET_MAX_LENGTH],
            byline=" ".join(byline.split())[: Article.BYLINE_MAX_LENGTH],
            published_at=parse_published(published_at),
            language=language.strip()[:16] or "en",
        )


def _check_text(name: str, value: str) -> None:
    if reason := unstorable(value):
        raise BadArticle(f"{name} {reason}")


def parse_published(value: Any) -> datetime | None:
    """An ISO 8601 date or date-time; a date alone means midnight UTC, a naive time means UTC."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment_or_none = parse_datetime(value.strip())
            day = None if moment_or_none else parse_date(value.strip())
        except ValueError:
            moment_or_none, day = None, None
        if moment_or_none is None and day is None:
            raise BadArticle(f"published_at {value!r} is not an ISO 8601 date or date-time")
        moment = moment_or_none or datetime.combine(day, time.min)  # type: ignore[arg-type]
    else:
        raise BadArticle("published_at must be an ISO 8601 string")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Problem:
    """Something in a file that could not be imported: where, and why."""

    file: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class Entry:
    """One article read from a file, with where it came from for error reports."""

    file: str
    line: int | None
    article: ArticleInput | None = None
    problem: Problem | None = field(default=None)


def read_paths(paths: list[Path]) -> Iterator[Entry]:
    """Every article in the given files and folders (searched for .txt, .html, .jsonl), in order."""
    for path in paths:
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file()):
                yield from read_file(child)
        else:
            yield from read_file(path)


def read_file(path: Path) -> Iterator[Entry]:
    name = str(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        yield _problem(name, None, f"unsupported file type {suffix or '(none)'}; use .txt, .html or .jsonl")
        return
    try:
        raw = path.read_bytes()
    except OSError as error:
        yield _problem(name, None, f"cannot read the file: {error.strerror or error}")
        return
    if suffix == ".jsonl":
        try:
            content = _decode(raw)
        except BadArticle as error:
            yield _problem(name, None, str(error))
            return
        yield from _read_jsonl(name, content)
        return
    try:
        article = article_from_document(path.name, raw)
    except BadArticle as error:
        yield _problem(name, None, str(error))
        return
    yield Entry(file=name, line=None, article=article)


def article_from_document(filename: str, raw: bytes) -> ArticleInput:
    """One article from the bytes of a .txt or .html file (an upload, or a file on disk)."""
    suffix = Path(filename).suffix.lower()
    content = _decode(raw)
    if suffix == ".txt":
        return ArticleInput.build(title=title_from_filename(Path(filename)), text=content)
    if suffix not in (".html", ".htm"):
        raise BadArticle(f"unsupported file type {suffix or '(none)'}; use .txt or .html")
    meta = html_metadata(content)
    return ArticleInput.build(
        title=meta["title"] or title_from_filename(Path(filename)),
        text=html_to_text(content),
        html=sanitise_html(content),
        url=meta["url"],
        outlet=meta["outlet"],
        byline=meta["byline"],
        published_at=_lenient_date(meta["published_at"]),
    )


def read_uploaded(filename: str, raw: bytes, *, overrides: Mapping[str, Any]) -> ArticleInput:
    """An uploaded document, with what the editor typed in the form taking precedence over the file's own."""
    article = article_from_document(filename, raw)
    fields = {
        name: overrides.get(name) or getattr(article, name)
        for name in ("title", "url", "outlet", "byline", "published_at")
    }
    return ArticleInput.build(text=article.text, html=article.html, language=article.language, **fields)


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BadArticle(f"not UTF-8 text (byte {error.start})") from None


def _read_jsonl(name: str, content: str) -> Iterator[Entry]:
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            yield _problem(name, number, f"invalid JSON: {error.msg} at column {error.colno}")
            continue
        except RecursionError:  # the decoder recurses once per level: this is its depth limit
            yield _problem(name, number, "invalid JSON: nested too deeply")
            continue
        try:
            yield Entry(file=name, line=number, article=ArticleInput.from_mapping(data))
        except BadArticle as error:
            yield _problem(name, number, str(error))


def _lenient_date(value: str) -> datetime | None:
    # A page's own date metadata comes in many dialects; an odd one must not block the article.
    try:
        return parse_published(value)
    except BadArticle:
        return None


def title_from_filename(path: Path) -> str:
    return path.stem.replace("-", " ").replace("_", " ").strip().capitalize()


def _problem(name: str, line: int | None, reason: str) -> Entry:
    return Entry(file=name, line=line, problem=Problem(file=name, line=line, reason=reason))
