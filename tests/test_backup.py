"""export_all / import_all (annotations/backup.py): a full round trip on real PostgreSQL, byte for byte,
no secrets in the archive, and every refusal leaving the database as it was."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from annotations import backup, services
from annotations.importing import ArticleInput
from annotations.models import (
    AnchorRecord,
    ApiToken,
    Article,
    ArticleSearch,
    Claim,
    FactCheck,
    PageWatch,
    Revision,
    Source,
    Suggestion,
    Tag,
    User,
    history_of,
)
from annotations.roles import Role
from annotations.vocabulary import ensure_vocabulary
from tests.factories import ArticleFactory, UserFactory

pytestmark = pytest.mark.django_db

TEXT_ONE = (
    "New York City has accepted around 160,000 asylum seekers since April 2022, forcing leaders to make "
    "substantial budget cuts. Former Mayor Bill de Blasio in 2014 signed into law a bill, and he enacted "
    "legislation in 2018 that doubled down on this policy. The city spent 4.3 billion dollars last year."
)
TEXT_TWO = (
    "The council approved a budget of 112 billion dollars on Friday. Unemployment fell to 5.3 percent, "
    "the lowest since 2019, officials said. Rents rose by 7 percent across the five boroughs."
)


def _tags(*slugs: str) -> list[Tag]:
    return list(Tag.objects.filter(slug__in=slugs))


def _fresh(claim: Claim) -> Claim:
    return Claim.objects.get(pk=claim.pk)


@pytest.fixture
def newsroom(editor, colleague, reviewer, researcher, admin_user):
    """A newsroom with some history: two articles of two and more revisions, claims tagged, sourced,
    reviewed, re-attached, deleted; suggestions accepted and dismissed; an admin's own tags; tokens."""
    UserFactory.create(
        username="gone", role=Role.EDITOR, is_active=False, first_name="Gö", email="g@x.example"
    )
    for user in (editor, reviewer, researcher, admin_user):
        ApiToken.issue(user, name="laptop")
    Tag.objects.filter(slug="climate").update(name="Climate and energy")  # an admin renamed one
    Tag.objects.create(name="Housing", slug="housing", facet=Tag.Facet.TOPIC, position=30)

    one = ArticleFactory.create(text=TEXT_ONE, title="Asylum seekers", url="https://news.example/one")
    two = ArticleFactory.create(text=TEXT_TWO, title="Budget", url="https://news.example/two")
    count = services.create_claim(
        article=one, by=editor, exact="around 160,000 asylum seekers", tags=_tags("statistic", "immigration")
    )
    law = services.create_claim(
        article=one, by=colleague, exact="in 2014 signed into law a bill", note="Which law? «quote»\u2028"
    )
    spent = services.create_claim(article=one, by=editor, exact="4.3 billion dollars", tags=_tags("climate"))
    budget = services.create_claim(article=two, by=editor, exact="112 billion dollars", tags=_tags("housing"))
    doomed = services.create_claim(article=two, by=editor, exact="Rents rose by 7 percent")

    source = services.find_or_create_source(
        url="https://www.nyc.gov/asylum", title="The city's figures", by=editor, publisher="NYC"
    )
    other = services.find_or_create_source(url="https://data.example/budget", title="Budget data", by=editor)
    Source.objects.create(title="A printed report", kind=Source.Kind.REPORT, published_on="2024-02-29")
    count = services.attach_source(
        claim=count, source=source, relation="supports", quote="160,000", by=editor, expected_version=1
    )
    count = services.update_claim(
        claim=count, by=reviewer, expected_version=count.version, status="reviewed", verdict="mostly_true"
    )
    budget = services.attach_source(
        claim=budget, source=other, relation="refutes", by=editor, expected_version=budget.version
    )
    budget = services.detach_source(claim=budget, source=other, by=editor, expected_version=budget.version)
    services.update_claim(
        claim=law,
        by=colleague,
        expected_version=law.version,
        note="Local Law 58",
        tags=_tags("law-or-policy"),
    )
    services.delete_claim(claim=doomed, by=editor, expected_version=doomed.version)

    # New revisions: a figure changes (needs recheck, the verdict taken back), words go (orphaned).
    services.import_article(
        article_input=ArticleInput.build(
            title="Asylum seekers",
            url="https://news.example/one",
            text=TEXT_ONE.replace("160,000", "180,000"),
        ),
        now=True,
    )
    services.import_article(
        article_input=ArticleInput.build(
            title="Asylum seekers (updated)",
            url="https://news.example/one",
            text=TEXT_ONE.replace("160,000", "180,000").replace(
                "The city spent 4.3 billion dollars last year.", ""
            ),
        ),
        now=True,
    )
    services.import_article(
        article_input=ArticleInput.build(
            title="Budget", url="https://news.example/two", text=TEXT_TWO.replace("Friday", "Thursday")
        ),
        by=editor,
        now=True,
    )
    spent = _fresh(spent)
    services.dismiss_attention(claim=spent, by=editor, expected_version=spent.version)

    suggestions = list(Suggestion.objects.filter(article=two, revision=_fresh(budget).revision).open())
    assert len(suggestions) >= 2
    services.dismiss_suggestion(suggestion=suggestions[0], by=editor)
    taken = next(s for s in suggestions[1:] if not Claim.objects.filter(article=two, start=s.start).exists())
    services.accept_suggestion(suggestion=taken, by=editor)

    now = timezone.now()
    PageWatch.objects.create(
        article=two, url=two.url, interval=timedelta(hours=2, microseconds=5), next_check_at=now, failures=1
    )
    FactCheck.objects.create(
        claim_reviewed="Around 160,000 asylum seekers have arrived since April 2022",
        title="Fact check: the asylum figure",
        rating_name="Mostly true",
        publisher="A fact-checker",
        reviewed_on=date(2024, 5, 1),
        url="https://factcheck.example/asylum",
        origin=FactCheck.Origin.CLAIMREVIEW,
    )
    FactCheck.objects.create(
        claim_reviewed="A verified claim", origin=FactCheck.Origin.TSV, external_id="vclaim-1"
    )
    return {"claims": [count, law, spent, budget], "articles": [one, two]}


def _truncate() -> None:
    """As a new database is after `migrate`: the newsroom's tables empty, ids from 1, the vocabulary
    seeded. (The foreign keys checked first: TRUNCATE refuses while deferred checks are pending.)"""
    tables = [apps.get_model(label)._meta.db_table for label in [t.label for t in backup.TABLES]]
    tables += [apps.get_model(label)._meta.db_table for label in backup.MUST_BE_EMPTY]
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    ensure_vocabulary(Tag)


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _rewrite(path: Path, target: Path, change) -> None:
    """A copy of the archive with its members changed by `change(name, data) -> data`, a valid ZIP (CRCs
    recomputed): only the archive's own checks can tell."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in _members(path).items():
            archive.writestr(name, change(name, data))
    target.write_bytes(out.getvalue())


def _snapshot() -> dict[str, int]:
    return {t.name: t.model._base_manager.count() for t in backup.TABLES}


def test_every_model_is_exported_or_left_out_for_a_reason():
    exported = {table.label for table in backup.TABLES}
    models = {model._meta.label for model in apps.get_models(include_auto_created=True)}
    assert not exported & set(backup.NOT_EXPORTED)
    assert models - exported - set(backup.NOT_EXPORTED) == set()


def test_a_round_trip_restores_everything_byte_for_byte(newsroom, tmp_path):
    first, second = tmp_path / "first.zip", tmp_path / "second.zip"
    claims = newsroom["claims"]
    before: dict[str, Any] = {
        "claims": {
            c.pk: Claim.objects.filter(pk=c.pk).values(*Claim.ANCHOR_FIELDS, "verdict").get() for c in claims
        },
        "tags": {c.pk: sorted(_fresh(c).tags.values_list("slug", flat=True)) for c in claims},
        "history": {c.pk: history_of(c).count() for c in claims},
        "users": list(User.objects.order_by("pk").values("pk", "username", "email", "role", "is_active")),
        "search": Article.objects.matching("asylum").count(),
        "counts": _snapshot(),
    }
    assert before["counts"]["claim_events"] > len(claims) and before["counts"]["anchor_records"] > 0
    assert before["counts"]["revisions"] >= 5 and before["counts"]["history_contexts"] > 0

    call_command("export_all", str(first), stdout=io.StringIO())
    _truncate()
    assert not Claim.objects.exists() and Tag.objects.count() == 15
    call_command("import_all", str(first), stdout=io.StringIO())
    call_command("export_all", str(second), stdout=io.StringIO())

    assert first.read_bytes() == second.read_bytes()
    assert _snapshot() == before["counts"]
    for claim in claims:
        assert (
            Claim.objects.filter(pk=claim.pk).values(*Claim.ANCHOR_FIELDS, "verdict").get()
            == (before["claims"][claim.pk])
        )
        assert sorted(_fresh(claim).tags.values_list("slug", flat=True)) == before["tags"][claim.pk]
        assert history_of(claim).count() == before["history"][claim.pk]
    assert (
        list(User.objects.order_by("pk").values("pk", "username", "email", "role", "is_active"))
        == (before["users"])
    )
    assert Tag.objects.get(slug="climate").name == "Climate and energy"
    assert ArticleSearch.objects.count() == Article.objects.count()
    assert Article.objects.matching("asylum").count() == before["search"] == 1
    assert PageWatch.objects.get().interval == timedelta(hours=2, microseconds=5)
    assert all(not user.has_usable_password() for user in User.objects.all())
    assert not ApiToken.objects.exists()


def test_the_restored_database_goes_on_working(newsroom, tmp_path, editor):
    path = tmp_path / "archive.zip"
    call_command("export_all", str(path), stdout=io.StringIO())
    highest = {model: max(model.objects.values_list("pk", flat=True)) for model in (Claim, Tag)}
    _truncate()
    call_command("import_all", str(path), stdout=io.StringIO())

    # The sequences are past the restored ids, and history records again.
    article = Article.objects.get(url="https://news.example/two")
    claim = services.create_claim(
        article=article, by=User.objects.get(username="editor"), exact="5.3 percent"
    )
    assert claim.pk > highest[Claim]
    assert Tag.objects.create(name="New", slug="new", facet="topic").pk > highest[Tag]
    assert history_of(claim).count() == 1
    restored = User.objects.get(username="editor")
    restored.set_password("a new password")
    restored.save()
    assert User.objects.get(username="editor").check_password("a new password")


def test_no_secret_reaches_the_archive(newsroom, tmp_path, editor):
    _, raw = ApiToken.issue(editor, name="secret one")
    secrets = [raw, *ApiToken.objects.values_list("key_hash", flat=True)]
    secrets += [password.split("$")[-1] for password in User.objects.values_list("password", flat=True)]
    path = tmp_path / "archive.zip"
    call_command("export_all", str(path), stdout=io.StringIO())

    contents = _members(path)
    everything = path.read_bytes() + b"".join(contents.values())
    assert all(secret.encode() not in everything for secret in secrets)
    users = [json.loads(line) for line in contents["data/users.jsonl"].splitlines()]
    assert users and all("password" not in user for user in users)
    assert {user["username"] for user in users} >= {"editor", "reviewer", "researcher", "admin", "gone"}
    assert not any("token" in name or "session" in name for name in contents)


def test_the_archive_is_documented_and_canonical(newsroom, tmp_path):
    path = tmp_path / "archive.zip"
    call_command("export_all", str(path), stdout=io.StringIO())
    contents = _members(path)
    manifest = json.loads(contents["manifest.json"])

    assert (manifest["format"], manifest["format_version"]) == ("newsroom-claims-archive", 3)
    assert [entry["name"] for entry in manifest["tables"]] == [t.name for t in backup.TABLES]
    for entry in manifest["tables"]:
        lines = contents[entry["file"]].splitlines()
        assert len(lines) == entry["rows"]
        rows = [json.loads(line) for line in lines]
        pk = backup.column(backup.TABLES[[t.name for t in backup.TABLES].index(entry["name"])].model._meta.pk)
        assert [row[pk] for row in rows] == sorted(row[pk] for row in rows)
        assert all(list(row) == sorted(row) == entry["columns"] for row in rows)
    claim = json.loads(contents["data/claims.jsonl"].splitlines()[0])
    assert claim["created_at"].endswith("Z") and len(claim["created_at"]) == len(
        "2026-01-01T00:00:00.000000Z"
    )
    assert "search_document" not in claim
    with zipfile.ZipFile(path) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_it_refuses_a_database_that_holds_data(newsroom, tmp_path):
    path = tmp_path / "archive.zip"
    call_command("export_all", str(path), stdout=io.StringIO())
    before = _snapshot()
    with pytest.raises(CommandError, match="not empty"):
        call_command("import_all", str(path), stdout=io.StringIO())
    assert _snapshot() == before


def test_it_refuses_a_database_with_only_a_user_or_a_changed_vocabulary(newsroom, tmp_path):
    path = tmp_path / "archive.zip"
    call_command("export_all", str(path), stdout=io.StringIO())
    _truncate()
    Tag.objects.filter(slug="health").update(description="changed by an admin")
    with pytest.raises(CommandError, match="not empty"):
        call_command("import_all", str(path), stdout=io.StringIO())
    _truncate()
    UserFactory.create(username="early-admin")
    with pytest.raises(CommandError, match="not empty"):
        call_command("import_all", str(path), stdout=io.StringIO())
    assert User.objects.count() == 1 and not Claim.objects.exists()


def _break_manifest(key, value):
    def change(name, data):
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest[key] = value
        return json.dumps(manifest).encode()

    return change


def _change_a_note(name, data):
    return data.replace(b"Local Law 58", b"Local Law 59") if name == "data/claims.jsonl" else data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_break_manifest("format_version", 99), "format version 99"),
        (_break_manifest("format_version", "1"), "format version '1'"),
        (_break_manifest("format", "something-else"), "not a newsroom archive"),
        (_break_manifest("tables", [{"name": "users"}]), "tables"),
        (_change_a_note, "checksum"),
        (lambda name, data: b"{not json" if name == "manifest.json" else data, "not valid JSON"),
    ],
)
def test_it_refuses_a_changed_or_unknown_archive_and_writes_nothing(newsroom, tmp_path, change, message):
    path, broken = tmp_path / "archive.zip", tmp_path / "broken.zip"
    call_command("export_all", str(path), stdout=io.StringIO())
    _rewrite(path, broken, change)
    _truncate()
    before = _snapshot()
    with pytest.raises(CommandError, match=message):
        call_command("import_all", str(broken), stdout=io.StringIO())
    assert _snapshot() == before and not User.objects.exists()


def test_a_consistent_but_malformed_archive_is_refused_before_any_row_stays(newsroom, tmp_path):
    """A row that does not fit, with checksums made to match: found while loading, all rolled back."""
    path, broken = tmp_path / "archive.zip", tmp_path / "broken.zip"
    call_command("export_all", str(path), stdout=io.StringIO())
    contents = _members(path)
    data = contents["data/claims.jsonl"].replace(b'"start":', b'"start":"first","x":', 1)
    manifest = json.loads(contents["manifest.json"])
    entry = next(e for e in manifest["tables"] if e["name"] == "claims")
    entry["sha256"] = hashlib.sha256(data).hexdigest()
    contents.update({"data/claims.jsonl": data, "manifest.json": json.dumps(manifest).encode()})
    _rewrite(path, broken, lambda name, old: contents[name])
    _truncate()
    with pytest.raises(CommandError, match=r"claims.jsonl line 1"):
        call_command("import_all", str(broken), stdout=io.StringIO())
    assert not User.objects.exists() and not Revision.objects.exists() and Tag.objects.count() == 15


def test_a_dangling_reference_is_refused(newsroom, tmp_path):
    path, broken = tmp_path / "archive.zip", tmp_path / "broken.zip"
    call_command("export_all", str(path), stdout=io.StringIO())
    contents = _members(path)
    lines = contents["data/revisions.jsonl"].splitlines(keepends=True)
    data = b"".join(lines[1:])  # a revision that articles and claims point to, gone
    manifest = json.loads(contents["manifest.json"])
    entry = next(e for e in manifest["tables"] if e["name"] == "revisions")
    entry["sha256"], entry["rows"] = hashlib.sha256(data).hexdigest(), entry["rows"] - 1
    contents.update({"data/revisions.jsonl": data, "manifest.json": json.dumps(manifest).encode()})
    _rewrite(path, broken, lambda name, old: contents[name])
    _truncate()
    with pytest.raises(CommandError, match="do not fit this database"):
        call_command("import_all", str(broken), stdout=io.StringIO())
    assert not User.objects.exists() and not AnchorRecord.objects.exists()


def test_it_refuses_a_truncated_or_missing_archive(newsroom, tmp_path):
    path, cut = tmp_path / "archive.zip", tmp_path / "cut.zip"
    call_command("export_all", str(path), stdout=io.StringIO())
    data = path.read_bytes()
    _truncate()
    for length in (len(data) // 2, len(data) - 10, 0):
        cut.write_bytes(data[:length])
        with pytest.raises(CommandError, match="not a readable archive"):
            call_command("import_all", str(cut), stdout=io.StringIO())
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_all", str(tmp_path / "nowhere.zip"), stdout=io.StringIO())
    assert not User.objects.exists() and Tag.objects.count() == 15


def test_a_damaged_member_is_refused(newsroom, tmp_path):
    """Bytes flipped inside a compressed member: zipfile's CRC (or zlib) says so, clearly."""
    path = tmp_path / "archive.zip"
    call_command("export_all", str(path), stdout=io.StringIO())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("data/revisions.jsonl")
    data = bytearray(path.read_bytes())
    middle = info.header_offset + 30 + len(info.filename) + len(info.extra) + info.compress_size // 2
    data[middle] ^= 0xFF
    path.write_bytes(bytes(data))
    _truncate()
    with pytest.raises(CommandError, match="damaged|checksum"):
        call_command("import_all", str(path), stdout=io.StringIO())
    assert not User.objects.exists()


def test_a_failed_export_leaves_the_old_archive(newsroom, tmp_path, monkeypatch):
    path = tmp_path / "archive.zip"
    path.write_bytes(b"the previous backup")

    def boom(*args, **kwargs):
        raise backup.ArchiveError("no archive form for a memoryview value")

    monkeypatch.setattr(backup, "_migrations", boom)
    with pytest.raises(CommandError, match="no archive form"):
        call_command("export_all", str(path), stdout=io.StringIO())
    assert path.read_bytes() == b"the previous backup"
    assert [p.name for p in tmp_path.iterdir()] == ["archive.zip"]
    with pytest.raises(CommandError, match="no such directory"):
        call_command("export_all", str(tmp_path / "missing" / "a.zip"), stdout=io.StringIO())
