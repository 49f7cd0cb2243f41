"""Backup and restore of the newsroom's work as one portable archive (`export_all`, `import_all`).

`pg_dump` copies a whole database; this archive is for moving the newsroom's work to another server or
PostgreSQL version, keeping a readable copy, or checking what changed (the same data always gives the
same bytes, so two archives compare with a checksum).

The archive is a ZIP file (deflated, every member dated 1980-01-01, mode 0644, in a fixed order):

- `manifest.json`: `format` (`"newsroom-claims-archive"`), `format_version` (an integer), `migrations`
  (the last migration applied per app when it was written, for the reader's information), and `tables`:
  one entry per table, in the order they are restored, with its `name`, the `model` it holds, its `file`,
  its `rows`, its `columns` (sorted) and the `sha256` of the file.
- `data/<name>.jsonl`: the table's rows, one JSON object per line, ordered by primary key. Keys are the
  database's column names, sorted; no insignificant white space; UTF-8. Values: null, booleans, integers
  and strings as they are; floats as JSON numbers (`"nan"`, `"inf"`, `"-inf"` as strings); datetimes as
  ISO 8601 in UTC with microseconds (`2026-01-02T03:04:05.000000Z`); dates `YYYY-MM-DD`; durations ISO
  8601 (`P0DT01H00M00S`); decimals and UUIDs as strings; JSON columns as JSON (keys sorted). Primary
  keys are kept, so every relation and every history reference survives.

The tables (format version 3; version 2 lacked the clusters, confirmed fact-checks and dismissed
matches, version 1 also `fact_checks`): `users` (no password: see below), `history_contexts` (pghistory's
who/why of each change), `tags`, `sources`, `link_checks`, `revisions`, `articles`, `page_watches`,
`claim_clusters` (claims editors confirmed to be the same), `claims`, `claim_tags`, `claim_sources`,
`anchor_records`, `suggestions` (all of them: dismissing or accepting one is an editor's work, and open
ones keep their ids), `fact_checks` (published fact-checks imported), `claim_fact_checks` (those an
editor confirmed for a claim), `dismissed_matches` (suggestions an editor turned down), `claim_events`,
`claim_tag_events` and `claim_source_events` (the recorded history). Verdicts and review status are
columns of `claims`.

Left out on purpose (`NOT_EXPORTED` says why for each): password hashes and API tokens (secrets; a
restored user has an unusable password and signs in after a password reset or an admin's
`changepassword`, and makes new tokens), sessions, rate-limit windows and sign-in attempts
(django-axes), the task queue's jobs and URL import requests (job state; the monitoring and link-check
schedules are in `page_watches` and `link_checks`, which the passes each minute pick up again), search
documents (the database rebuilds them from the articles), stored embeddings (recomputed from the texts
at the first lookup), the cache table, the admin's log and Django's
content types, permissions and groups (the app's permissions are the roles in `roles.py`; `migrate`
makes the rest).

The version rule: `format_version` changes whenever the list of tables, the layout of the archive or
the encoding of a value changes. A reader restores only the versions in `READABLE_VERSIONS` and refuses
any other. Columns follow the migrations: the manifest names each table's columns, and a restore refuses
an archive whose columns differ from the database's (written before or after a migration that changed
them): migrate the database to the archive's `migrations` and restore there.

A restore needs an empty, migrated database: it refuses one whose newsroom tables hold anything, except
the tag vocabulary migration 0002 seeds, as long as no tag was changed (it is replaced by the archive's
tags, which are the newsroom's vocabulary as it stood). Everything is written in one transaction, with
the history triggers ignored (`pgtrigger.ignore`), so the history is the archive's, not a record of the
restore; then every id sequence is moved past the restored ids and every table's row count is checked.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import pghistory.trigger
import pgtrigger
from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils.duration import duration_iso_string

from annotations.vocabulary import VOCABULARY

FORMAT = "newsroom-claims-archive"
# 2: `fact_checks` added (issue 13); 3: `claim_clusters`, `claim_fact_checks`, `dismissed_matches`. An
# older archive lacks them and is refused: restore it with the commit that wrote it, then export again.
FORMAT_VERSION = 3
READABLE_VERSIONS = frozenset({3})
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Table:
    name: str
    label: str  # the model, as "app_label.ModelName"
    omit: frozenset[str] = field(default_factory=frozenset)  # columns never written (secrets)

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.label)

    @property
    def file(self) -> str:
        return f"data/{self.name}.jsonl"

    def fields(self) -> list[models.Field[Any, Any]]:
        """The columns the archive holds, sorted: the concrete ones, less those the database computes
        (generated columns) and those left out."""
        concrete = [
            f
            for f in self.model._meta.concrete_fields
            if not getattr(f, "generated", False) and column(f) not in self.omit
        ]
        return sorted(concrete, key=column)


def column(f: models.Field[Any, Any]) -> str:
    """The field's column name (every concrete field has one)."""
    assert f.column is not None  # noqa: S101 - concrete fields only
    return f.column


# In the order they are restored. Revisions come before their articles: the article's trigger writes its
# search document from its current revision's text as the article is inserted, so the text must be there
# (the foreign keys are checked at the end: Django makes them DEFERRABLE INITIALLY DEFERRED).
TABLES = (
    Table("users", "annotations.User", omit=frozenset({"password"})),
    Table("history_contexts", "pghistory.Context"),
    Table("tags", "annotations.Tag"),
    Table("sources", "annotations.Source"),
    Table("link_checks", "annotations.LinkCheck"),
    Table("revisions", "annotations.Revision"),
    Table("articles", "annotations.Article"),
    Table("page_watches", "annotations.PageWatch"),
    Table("claim_clusters", "annotations.ClaimCluster"),
    Table("claims", "annotations.Claim"),
    Table("claim_tags", "annotations.ClaimTag"),
    Table("claim_sources", "annotations.ClaimSource"),
    Table("anchor_records", "annotations.AnchorRecord"),
    Table("suggestions", "annotations.Suggestion"),
    Table("fact_checks", "annotations.FactCheck"),
    Table("claim_fact_checks", "annotations.ClaimFactCheck"),
    Table("dismissed_matches", "annotations.DismissedMatch"),
    Table("claim_events", "annotations.ClaimEvent"),
    Table("claim_tag_events", "annotations.ClaimTagEvent"),
    Table("claim_source_events", "annotations.ClaimSourceEvent"),
)

# Every other model of the project, with the reason it is not in the archive (a test checks that each
# model is in one list or the other, so a new model is a decision, not an omission).
NOT_EXPORTED = {
    "annotations.ApiToken": "secrets: only a token's hash is stored, and a restored user makes new tokens",
    "annotations.RateWindow": "rate-limit counts of the current minute",
    "annotations.TextEmbedding": "derived: a cache of each text's vector, recomputed at the first lookup",
    "annotations.ArticleSearch": "derived: the article's trigger rebuilds it on restore",
    "annotations.UrlImport": "job state of the task queue, whose jobs are not exported",
    "annotations.User_groups": "Django groups: the app's permissions are the roles (roles.py)",
    "annotations.User_user_permissions": "Django permissions: the app's permissions are the roles",
    "auth.Group": "Django groups: the app's permissions are the roles (roles.py)",
    "auth.Group_permissions": "Django permissions: the app's permissions are the roles",
    "auth.Permission": "made by migrate",
    "contenttypes.ContentType": "made by migrate",
    "admin.LogEntry": "the admin's log, keyed by content type ids that differ between databases",
    "sessions.Session": "sign-ins: secrets, and nothing to keep",
    "pghistory.Events": "a view over the event tables, which are exported",
    "pghistory.MiddlewareEvents": "a view over the event tables, which are exported",
    "axes.AccessAttempt": "sign-in failures counted for lockouts: rate limiting, and addresses",
    "axes.AccessAttemptExpiration": "sign-in failures counted for lockouts: rate limiting",
    "axes.AccessFailureLog": "a log of failed sign-ins, with addresses: security, not the newsroom's work",
    "axes.AccessLog": "a log of sign-ins, with addresses: security, not the newsroom's work",
    "procrastinate.ProcrastinateJob": "the task queue",
    "procrastinate.ProcrastinateEvent": "the task queue",
    "procrastinate.ProcrastinatePeriodicDefer": "the task queue",
    "procrastinate.ProcrastinateWorker": "the task queue",
}

# Not exported but still the newsroom's: a restore refuses a database where they hold rows too.
MUST_BE_EMPTY = ("annotations.ApiToken", "annotations.UrlImport", "annotations.ArticleSearch")

_DATE_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a ZIP can say: fixed, so equal data give equal bytes
_CHUNK = 1 << 20
_BATCH_ROWS = 1000
_BATCH_BYTES = 4 << 20  # one INSERT's worth of archive text: revisions can be long


class ArchiveError(Exception):
    """The archive cannot be written or restored; the message says why (the commands show it)."""


# --- Values ----------------------------------------------------------------------------------------------


def encode(value: Any) -> Any:
    """A column's Python value in the archive's canonical JSON form (module docstring)."""
    if value is None or isinstance(value, bool | int | str | dict | list):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ArchiveError(f"a datetime without a time zone: {value!r}")
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return duration_iso_string(value)
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    raise ArchiveError(f"no archive form for a {type(value).__name__} value")


def _line(row: dict[str, Any]) -> bytes:
    text = json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.encode("utf-8") + b"\n"


# --- Writing ---------------------------------------------------------------------------------------------


def _member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_DATE_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # Unix, whatever the machine, for the same bytes everywhere
    info.external_attr = 0o644 << 16
    return info


def _migrations(using: str) -> dict[str, str]:
    latest: dict[str, str] = {}
    for app, name in MigrationRecorder(connections[using]).applied_migrations():
        if app in {"annotations", "pghistory"} and name > latest.get(app, ""):
            latest[app] = name
    return dict(sorted(latest.items()))


def _rows(table: Table, using: str) -> Iterator[bytes]:
    fields = table.fields()
    columns = [column(f) for f in fields]
    rows = (
        table.model._base_manager.using(using)
        .order_by("pk")
        .values_list(*(f.attname for f in fields))
        .iterator(chunk_size=2000)
    )
    for values in rows:
        yield _line({column: encode(value) for column, value in zip(columns, values, strict=True)})


def _write_table(archive: zipfile.ZipFile, table: Table, using: str) -> dict[str, Any]:
    digest, count, buffer = hashlib.sha256(), 0, bytearray()
    # force_zip64: a member may pass 2 GiB, and zipfile must know before it starts writing one.
    with archive.open(_member(table.file), "w", force_zip64=True) as out:
        for line in _rows(table, using):
            buffer += line
            count += 1
            if len(buffer) >= _CHUNK:
                digest.update(buffer)
                out.write(buffer)
                buffer.clear()
        digest.update(buffer)
        out.write(buffer)
    return {
        "name": table.name,
        "model": table.label,
        "file": table.file,
        "rows": count,
        "columns": [column(f) for f in table.fields()],
        "sha256": digest.hexdigest(),
    }


def _write(out: IO[bytes], using: str) -> dict[str, Any]:
    with zipfile.ZipFile(out, "w") as archive:
        entries = [_write_table(archive, table, using) for table in TABLES]
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "migrations": _migrations(using),
            "tables": entries,
        }
        text = json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
        archive.writestr(_member(MANIFEST), text.encode("utf-8"))
    return manifest


def export_archive(path: str | Path, *, using: str = DEFAULT_DB_ALIAS) -> dict[str, Any]:
    """Write the archive of everything to `path`; returns its manifest.

    The tables are read in one REPEATABLE READ transaction, so they agree with each other however busy
    the newsroom is; the file is written beside `path` and renamed onto it only when complete, so a
    failed export leaves no half-written archive (and an older one at `path` stays).
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise ArchiveError(f"no such directory: {directory}")
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(descriptor, "wb") as out, _Snapshot(using):
            manifest = _write(out, using)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)  # mkstemp makes it 0600; an archive is a file like any other
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return manifest


class _Snapshot:
    """One consistent view of every table: a read-only REPEATABLE READ transaction. Inside a transaction
    already (a test, a caller's own), its view is the one used."""

    def __init__(self, using: str) -> None:
        self.using = using
        self.atomic: Any = None

    def __enter__(self) -> None:
        connection = connections[self.using]
        if connection.in_atomic_block:
            return
        self.atomic = transaction.atomic(using=self.using)
        self.atomic.__enter__()
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")

    def __exit__(self, *exc: Any) -> None:
        if self.atomic is not None:
            self.atomic.__exit__(*exc)


# --- Reading ---------------------------------------------------------------------------------------------


def _open(path: str | Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except FileNotFoundError:
        raise ArchiveError(f"no such file: {path}") from None
    except (OSError, zipfile.BadZipFile) as error:
        raise ArchiveError(f"{path} is not a readable archive ({error})") from None


def read_manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    """The manifest, checked: our format, a version this reader restores, and exactly the tables of that
    version, each with the columns this database has."""
    try:
        raw = archive.read(MANIFEST)
    except KeyError:
        raise ArchiveError(f"the archive has no {MANIFEST}: not a newsroom archive") from None
    except (OSError, zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise ArchiveError(f"the archive's {MANIFEST} is damaged ({error})") from None
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ArchiveError(f"the archive's {MANIFEST} is not valid JSON ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArchiveError(f"not a newsroom archive: its format is not {FORMAT!r}")
    version = manifest.get("format_version")
    if type(version) is not int or version not in READABLE_VERSIONS:
        readable = ", ".join(str(v) for v in sorted(READABLE_VERSIONS))
        raise ArchiveError(
            f"the archive is format version {version!r}; this version of the app restores {readable}"
        )
    entries = manifest.get("tables")
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise ArchiveError(f"the archive's {MANIFEST} has no list of tables")
    names = [entry.get("name") for entry in entries]
    if names != [table.name for table in TABLES]:
        raise ArchiveError(
            f"the archive's tables {names} are not those of format version {version}: "
            f"{[table.name for table in TABLES]}"
        )
    migrations = manifest.get("migrations")
    for table, entry in zip(TABLES, entries, strict=True):
        if entry.get("file") != table.file or entry.get("model") != table.label:
            raise ArchiveError(f"the manifest's entry for {table.name} names the wrong file or model")
        rows, digest = entry.get("rows"), entry.get("sha256")
        if type(rows) is not int or rows < 0 or not isinstance(digest, str):
            raise ArchiveError(f"the manifest's entry for {table.name} has no row count or checksum")
        expected = [column(f) for f in table.fields()]
        if entry.get("columns") != expected:
            raise ArchiveError(
                f"the archive's {table.name} has the columns {entry.get('columns')}, this database "
                f"{expected}: it was written by another schema (migrations {migrations}); restore it "
                "into a database migrated to match"
            )
    return manifest


def _lines(archive: zipfile.ZipFile, name: str) -> Iterator[bytes]:
    # Split on b"\n" alone: JSON escapes it inside strings, while U+2028 and friends stay raw.
    with archive.open(name) as member:
        yield from member


def _verify(archive: zipfile.ZipFile, manifest: dict[str, Any]) -> None:
    """Every table file is there, whole and as written (its checksum and row count), before a single row
    reaches the database. zipfile checks each member's CRC as it reads."""
    for entry in manifest["tables"]:
        digest, count, last = hashlib.sha256(), 0, b"\n"
        try:
            with archive.open(entry["file"]) as member:
                while chunk := member.read(_CHUNK):
                    digest.update(chunk)
                    count += chunk.count(b"\n")
                    last = chunk[-1:]
        except KeyError:
            raise ArchiveError(f"the archive has no {entry['file']}") from None
        except (OSError, zipfile.BadZipFile, zlib.error, EOFError) as error:
            raise ArchiveError(f"the archive's {entry['file']} is damaged ({error})") from None
        if digest.hexdigest() != entry["sha256"] or last != b"\n":
            raise ArchiveError(f"the archive's {entry['file']} does not match its checksum: it was changed")
        if count != entry["rows"]:
            raise ArchiveError(
                f"the archive's {entry['file']} has {count} rows, its manifest says {entry['rows']}"
            )


@dataclass
class _Loader:
    """Inserts one table's rows with plain multi-row INSERTs through Django's cursor: the model's save
    path would stamp `auto_now` fields with the time of the restore, and pgtrigger's ignore applies to
    what goes through Django's cursor."""

    table: Table
    using: str
    rows: int = 0

    def load(self, lines: Iterator[bytes], extra: dict[str, Callable[[], Any]]) -> None:
        connection = connections[self.using]
        fields = self.table.fields()
        keys = {column(f) for f in fields}
        columns = [column(f) for f in fields] + list(extra)
        quote = connection.ops.quote_name
        # Names from the models, quoted; every value a parameter.
        table_name = quote(self.table.model._meta.db_table)
        head = f"INSERT INTO {table_name} ({', '.join(map(quote, columns))}) VALUES "  # noqa: S608
        one = "(" + ", ".join(["%s"] * len(columns)) + ")"
        batch: list[Any] = []
        size = count = 0
        with connection.cursor() as cursor:
            for number, line in enumerate(lines, start=1):
                where = f"{self.table.file} line {number}"
                try:
                    row = json.loads(line.decode("utf-8"))
                except (UnicodeDecodeError, ValueError) as error:
                    raise ArchiveError(f"{where}: not valid JSON ({error})") from None
                if not isinstance(row, dict) or row.keys() != keys:
                    raise ArchiveError(f"{where}: not a row with the columns {sorted(keys)}")
                try:
                    batch += [f.get_db_prep_save(f.to_python(row[column(f)]), connection) for f in fields]
                except (ValidationError, ValueError, TypeError) as error:
                    raise ArchiveError(f"{where}: a value does not fit its column ({error})") from None
                batch += [make() for make in extra.values()]
                count += 1
                size += len(line)
                if count >= _BATCH_ROWS or size >= _BATCH_BYTES:
                    cursor.execute(head + ", ".join([one] * count), batch)
                    self.rows += count
                    batch, size, count = [], 0, 0
            if count:
                cursor.execute(head + ", ".join([one] * count), batch)
                self.rows += count


def _history_triggers() -> list[str]:
    """The triggers that record history (pghistory's), which a restore must not fire: the archive holds
    the history as it was, and the restore's own inserts are no change anybody made."""
    return [
        trigger.get_uri(model)
        for model, trigger in pgtrigger.registered()
        if isinstance(trigger, pghistory.trigger.Event)
    ]


def _seeded_vocabulary() -> set[tuple[str, str, str, str, int]]:
    # As `ensure_vocabulary` makes them (slug, name, facet, description, position).
    return {
        (slug, name, facet, description, position)
        for position, (facet, slug, name, description) in enumerate(VOCABULARY, start=1)
    }


def _empty_or_refuse(using: str) -> None:
    """Refuse a database with newsroom data in it; drop the vocabulary migration 0002 seeded, if nobody
    changed it, for the archive's tags to take its place (ids included)."""
    connection = connections[using]
    labels = [table.label for table in TABLES] + list(MUST_BE_EMPTY)
    tables = [apps.get_model(label)._meta.db_table for label in labels]
    with connection.cursor() as cursor:
        # Nobody writes these tables while the restore checks and fills them.
        quote = connection.ops.quote_name
        cursor.execute(f"LOCK TABLE {', '.join(map(quote, tables))} IN SHARE ROW EXCLUSIVE MODE")
    tag_model = apps.get_model("annotations.Tag")
    tags = set(
        tag_model._base_manager.using(using).values_list("slug", "name", "facet", "description", "position")
    )
    if tags and not tags <= _seeded_vocabulary():
        raise ArchiveError(
            "the database is not empty: its tags are not the seeded vocabulary. Restore into a new, "
            "migrated database"
        )
    held = [
        f"{apps.get_model(label)._meta.verbose_name_plural}"
        for label in labels
        if label != "annotations.Tag" and apps.get_model(label)._base_manager.using(using).exists()
    ]
    if held:
        raise ArchiveError(
            f"the database is not empty (it has {', '.join(held)}): restore into a new, migrated "
            "database (create the admin account after restoring)"
        )
    tag_model._base_manager.using(using).all().delete()


# Columns a restore writes that the archive does not hold: a restored user has no usable password (a
# random one per user, as `set_unusable_password` makes), since the archive holds no secrets.
_EXTRA: dict[str, dict[str, Callable[[], Any]]] = {"users": {"password": lambda: make_password(None)}}


def _load(loader: _Loader, archive: zipfile.ZipFile, using: str) -> None:
    """One table, in a savepoint: a row the database refuses rolls back to it, so the transaction is
    usable again for pgtrigger to end its ignoring, and the error that reaches the user is this one, with
    the table's name, not a later "transaction is aborted"."""
    try:
        with transaction.atomic(using=using):
            loader.load(_lines(archive, loader.table.file), _EXTRA.get(loader.table.name, {}))
    except DatabaseError as error:
        raise ArchiveError(f"the archive's {loader.table.name} do not fit this database: {error}") from None


def import_archive(path: str | Path, *, using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """Restore the archive at `path` into an empty database; returns the rows restored per table.

    All or nothing: the archive is checked whole before the first row is written, and the rows are
    written in one transaction that any error rolls back.
    """
    with _open(path) as archive:
        manifest = read_manifest(archive)
        _verify(archive, manifest)
        connection = connections[using]
        try:
            with transaction.atomic(using=using):
                _empty_or_refuse(using)
                with connection.cursor() as cursor:
                    # Rows go in table by table, revisions before their articles: the foreign keys
                    # (Django makes them DEFERRABLE) are checked once everything is in, whatever mode
                    # a caller's transaction had set.
                    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
                loaders = [_Loader(table, using) for table in TABLES]
                with pgtrigger.ignore(*_history_triggers(), databases=[using]):
                    for loader in loaders:
                        _load(loader, archive, using)
                with connection.cursor() as cursor:
                    for statement in connection.ops.sequence_reset_sql(
                        no_style(), [table.model for table in TABLES]
                    ):
                        cursor.execute(statement)
                    # The deferred foreign keys are checked now, inside the transaction, so that a
                    # dangling reference is this error and not a failed commit.
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                _check_counts(manifest, using)
        except (OSError, zipfile.BadZipFile, zlib.error, EOFError) as error:
            raise ArchiveError(f"the archive could not be read ({error})") from None
        except DatabaseError as error:
            raise ArchiveError(f"the archive's rows do not fit this database: {error}") from None
    return {entry["name"]: entry["rows"] for entry in manifest["tables"]}


def _check_counts(manifest: dict[str, Any], using: str) -> None:
    """What the database holds now is exactly the archive: equal counts in the event tables also say
    that no history trigger fired. The search documents were rebuilt, one per article."""
    for table, entry in zip(TABLES, manifest["tables"], strict=True):
        held = table.model._base_manager.using(using).count()
        if held != entry["rows"]:
            raise ArchiveError(f"restored {held} rows of {table.name}, the archive has {entry['rows']}")
    articles = apps.get_model("annotations.Article")._base_manager.using(using).count()
    documents = apps.get_model("annotations.ArticleSearch")._base_manager.using(using).count()
    if documents != articles:
        raise ArchiveError(f"{documents} search documents were rebuilt for {articles} articles")
