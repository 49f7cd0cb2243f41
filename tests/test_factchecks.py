"""Importing fact-checks (issue 13): ClaimReview JSON-LD, feeds, TSV; hostile fields; the command."""

from __future__ import annotations

import csv
import json
from datetime import date
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from annotations import factchecks
from annotations.models import FactCheck

pytestmark = pytest.mark.django_db

VERIFIED = Path(__file__).resolve().parents[1] / "data" / "claim-matching" / "verified_claims.docs.tsv"


def review(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": "https://factcheck.example/asylum-160000",
        "claimReviewed": "Around 160,000 asylum seekers arrived since April 2022.",
        "headline": "Did 160,000 asylum seekers arrive?",
        "datePublished": "2024-03-05T10:00:00+01:00",
        "inLanguage": "en",
        "author": {"@type": "Organization", "name": "PolitiFact", "url": "https://www.politifact.com/"},
        "reviewRating": {"@type": "Rating", "ratingValue": 2, "alternateName": "Mostly False"},
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def run(*paths: Path) -> tuple[str, str, bool]:
    out, err = StringIO(), StringIO()
    try:
        call_command("import_factchecks", *map(str, paths), stdout=out, stderr=err)
        failed = False
    except CommandError:
        failed = True
    return out.getvalue(), err.getvalue(), failed


def write(tmp_path: Path, name: str, content: Any) -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


# --- each format ----------------------------------------------------------------------------------


def test_one_claimreview_in_a_json_file(tmp_path):
    out, err, failed = run(write(tmp_path, "one.json", review()))
    assert not failed, err
    assert out.strip() == "1 created, 0 updated, 0 unchanged; 0 refused"
    fc = FactCheck.objects.get()
    assert fc.claim_reviewed == "Around 160,000 asylum seekers arrived since April 2022."
    assert fc.title == "Did 160,000 asylum seekers arrive?"
    assert (fc.rating_value, fc.rating_name) == ("2", "Mostly False")
    assert (fc.publisher, fc.publisher_url) == ("PolitiFact", "https://www.politifact.com/")
    assert fc.reviewed_on == date(2024, 3, 5)  # the date as written, not moved to UTC
    assert (fc.url, fc.language, fc.origin) == (
        "https://factcheck.example/asylum-160000",
        "en",
        "claimreview",
    )


def test_a_list_and_a_graph_of_claimreviews(tmp_path):
    listed = [review(url=f"https://fc.example/{n}", claimReviewed=f"Claim {n}") for n in range(3)]
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebPage", "name": "not a review"},
            review(url="https://fc.example/g", claimReviewed="In a graph", **{"@type": ["ClaimReview"]}),
        ],
    }
    out, err, failed = run(write(tmp_path, "list.jsonld", listed), write(tmp_path, "graph.json", graph))
    assert not failed, err
    assert out.startswith("4 created")
    assert FactCheck.objects.filter(claim_reviewed="In a graph").exists()


def test_publisher_as_a_string_or_a_list_and_name_as_title(tmp_path):
    items = [
        review(url="https://fc.example/a", author=None, publisher="Full Fact", headline=None, name="A name"),
        review(url="https://fc.example/b", author=[{"name": "Snopes", "url": "https://www.snopes.com"}, "X"]),
    ]
    run(write(tmp_path, "p.json", items))
    a, b = (
        FactCheck.objects.get(url="https://fc.example/a"),
        FactCheck.objects.get(url="https://fc.example/b"),
    )
    assert (a.publisher, a.title) == ("Full Fact", "A name")
    assert (b.publisher, b.publisher_url) == ("Snopes", "https://www.snopes.com/")


def test_claimreviews_in_an_html_page(tmp_path):
    page = f"""<!doctype html><html><head><title>Check</title>
    <script type="application/ld+json">{json.dumps({"@type": "NewsArticle", "headline": "x"})}</script>
    <script type="application/ld+json">{json.dumps(review())}</script>
    <script type="application/ld+json">{{ not json</script>
    </head><body><p>Text</p></body></html>"""
    out, err, failed = run(write(tmp_path, "page.html", page))
    assert failed  # the broken block is reported...
    assert "page.html:script[3]: invalid JSON" in err
    assert out.startswith("1 created")  # ...and the good one imported
    assert FactCheck.objects.get().origin == "claimreview"


def test_the_data_commons_feed(tmp_path):
    feed = {
        "@context": "https://schema.org",
        "@type": "DataFeed",
        "dataFeedElement": [
            {
                "@type": "DataFeedItem",
                "item": [review(url="https://fc.example/1"), review(url="https://fc.example/2")],
            },
            {"@type": "DataFeedItem", "item": review(url="https://fc.example/3", claimReviewed=None)},
        ],
    }
    out, err, failed = run(write(tmp_path, "feed.json", feed))
    assert failed
    assert "feed.json:dataFeedElement[1].item: claimReviewed is missing" in err
    assert out.startswith("2 created")
    assert set(FactCheck.objects.values_list("origin", flat=True)) == {"datacommons"}


def test_the_google_fact_check_tools_answer(tmp_path):
    answer = {
        "claims": [
            {
                "text": "The moon is made of cheese",
                "claimant": "Someone",
                "claimReview": [
                    {
                        "publisher": {"name": "Full Fact", "site": "fullfact.org"},
                        "url": "https://fullfact.org/moon",
                        "title": "No, the moon is not cheese",
                        "reviewDate": "2023-11-02T00:00:00Z",
                        "textualRating": "False",
                        "languageCode": "en",
                    }
                ],
            }
        ]
    }
    out, err, failed = run(write(tmp_path, "google.json", answer))
    assert not failed, err
    fc = FactCheck.objects.get()
    assert (fc.claim_reviewed, fc.rating_name, fc.publisher) == (
        "The moon is made of cheese",
        "False",
        "Full Fact",
    )
    assert (fc.publisher_url, fc.reviewed_on, fc.origin) == (
        "https://fullfact.org/",
        date(2023, 11, 2),
        "datacommons",
    )


def test_a_tsv_with_and_without_a_header(tmp_path):
    with_header = write(
        tmp_path, "a.tsv", '\tvclaim\ttitle\n0\t"A ""quoted"" claim."\tIts title\n1\tTwo\tT2\n'
    )
    without = write(tmp_path, "b.tsv", "x7\tSeven\tT7\n")
    out, err, failed = run(with_header, without)
    assert not failed, err
    assert out.startswith("3 created")
    zero = FactCheck.objects.get(external_id="0")
    assert (zero.claim_reviewed, zero.title, zero.origin, zero.url) == (
        'A "quoted" claim.',
        "Its title",
        "tsv",
        "",
    )


def test_format_is_sniffed_when_the_extension_says_nothing(tmp_path):
    out, err, failed = run(write(tmp_path, "feed.txt", [review()]), write(tmp_path, "ids.dat", "1\tOne\tT\n"))
    assert not failed, err
    assert out.startswith("2 created")


# --- idempotency ----------------------------------------------------------------------------------


def test_importing_again_updates_rather_than_duplicates(tmp_path):
    path = write(tmp_path, "one.json", review())
    tsv = write(tmp_path, "v.tsv", "1\tOne\tT\n2\tTwo\tT\n")
    run(path, tsv)
    out, _, _ = run(path, tsv)
    assert out.strip() == "0 created, 0 updated, 3 unchanged; 0 refused"
    write(
        tmp_path,
        "one.json",
        review(reviewRating={"alternateName": "False"}, url="https://FACTCHECK.example/asylum-160000#x"),
    )
    write(tmp_path, "v.tsv", "1\tOne, revised\tT\n")
    out, _, _ = run(path, tsv)
    assert out.strip() == "0 created, 2 updated, 0 unchanged; 0 refused"
    assert FactCheck.objects.count() == 3
    assert FactCheck.objects.get(origin="claimreview").rating_name == "False"
    assert FactCheck.objects.get(external_id="1").claim_reviewed == "One, revised"


def test_the_same_key_twice_in_one_file_refuses_the_second(tmp_path):
    out, err, failed = run(write(tmp_path, "d.tsv", "1\tOne\tT\n1\tAgain\tT\n"))
    assert failed and "d.tsv:2: the same id as the record at 1; not imported" in err
    assert FactCheck.objects.get().claim_reviewed == "One"


def test_the_same_url_twice_in_one_file_refuses_the_second_however_spelt(tmp_path):
    items = [
        review(),
        review(url="HTTPS://factcheck.example/asylum-160000?utm_medium=x", claimReviewed="Other"),
    ]
    _, err, failed = run(write(tmp_path, "d.json", items))
    assert failed and "d.json:[1]: the same url as the record at [0]; not imported" in err
    assert FactCheck.objects.get().claim_reviewed.startswith("Around 160,000")


def test_tsv_ids_and_claimreview_urls_do_not_collide_across_origins(tmp_path):
    run(write(tmp_path, "a.tsv", "1\tOne\tT\n"))
    run(write(tmp_path, "b.json", review()))
    assert FactCheck.objects.count() == 2


# --- hostile and missing fields -------------------------------------------------------------------

LONG = "x" * (FactCheck.CLAIM_MAX_LENGTH + 1)

REFUSED = [
    ({"claimReviewed": None}, "claimReviewed is missing"),
    ({"claimReviewed": "   "}, "claimReviewed is missing"),
    ({"claimReviewed": "<p></p>"}, "claimReviewed is missing"),  # markup and nothing else
    ({"claimReviewed": ["a list"]}, "claimReviewed must be a string"),
    ({"claimReviewed": "nul \x00 here"}, "claimReviewed contains a NUL character"),
    ({"claimReviewed": "lone \ud800"}, "claimReviewed contains a lone surrogate (U+D800)"),
    ({"headline": "bad \x00"}, "headline contains a NUL character"),
    ({"claimReviewed": LONG}, f"claimReviewed is longer than {FactCheck.CLAIM_MAX_LENGTH} characters"),
    ({"headline": "t" * 501}, f"headline is longer than {FactCheck.TITLE_MAX_LENGTH} characters"),
    ({"url": "javascript:alert(1)"}, "url 'javascript:alert(1)' is not an absolute http(s) URL"),
    ({"url": "data:text/html,hi"}, "url 'data:text/html,hi' is not an absolute http(s) URL"),
    ({"url": "/relative/path"}, "url '/relative/path' is not an absolute http(s) URL"),
    ({"url": None}, "url is missing"),
    ({"url": "https://e.example/" + "p" * 2000}, "url is longer than 2000 characters"),
]


@pytest.mark.parametrize(("overrides", "reason"), REFUSED, ids=[r for _, r in REFUSED])
def test_hostile_records_are_refused_naming_the_field_and_store_nothing(tmp_path, overrides, reason):
    path = write(tmp_path, "bad.json", [review(**overrides), review(url="https://fc.example/good")])
    out, err, failed = run(path)
    assert failed
    assert f"bad.json:[0]: {reason}" in err
    assert out.startswith("1 created")
    assert list(FactCheck.objects.values_list("url", flat=True)) == ["https://fc.example/good"]


CLEANED = [
    ({"claimReviewed": "<b>Bold</b> claim<script>alert(1)</script>"}, "claim_reviewed", "Bold claim", ""),
    ({"claimReviewed": "Fish &amp; chips &lt;3"}, "claim_reviewed", "Fish & chips <3", ""),
    ({"headline": "<img src=x onerror=alert(1)>Title"}, "title", "Title", ""),
    ({"claimReviewed": "e\u0301  spaced\n\tout"}, "claim_reviewed", "\u00e9 spaced out", ""),
    (
        {"datePublished": "5 March 2024"},
        "reviewed_on",
        None,
        "datePublished '5 March 2024' is not an ISO 8601",
    ),
    ({"datePublished": "2024-02-30"}, "reviewed_on", None, "is not an ISO 8601 date; the date is left out"),
    ({"datePublished": "2024-02-01"}, "reviewed_on", date(2024, 2, 1), ""),
    ({"author": {"name": "X", "url": "javascript:alert(1)"}}, "publisher_url", "", "author.url 'javascript:"),
    ({"reviewRating": {"alternateName": "F" * 300}}, "rating_name", "F" * 199 + "…", "cut to 200 characters"),
    ({"author": {"name": "P" * 300}}, "publisher", "P" * 199 + "…", "author.name cut to 200"),
    ({"inLanguage": "<script>"}, "language", "", "inLanguage is not a language tag"),
    ({"inLanguage": {"name": "English", "alternateName": "en-GB"}}, "language", "en-GB", ""),
    ({"reviewRating": "five stars"}, "rating_name", "", ""),
    ({"url": "https://fc.example/x?utm_source=t#frag"}, "url", "https://fc.example/x", ""),
]


@pytest.mark.parametrize(
    ("overrides", "name", "stored", "note"), CLEANED, ids=[str(c[0])[:40] for c in CLEANED]
)
def test_hostile_fields_are_cleaned_or_dropped_with_a_note(tmp_path, overrides, name, stored, note):
    out, err, failed = run(write(tmp_path, "odd.json", review(**overrides)))
    assert not failed, err
    assert getattr(FactCheck.objects.get(), name) == stored
    if note:
        assert "odd.json:[0]: " in err and note in err and "(note)" in err


def test_deeply_nested_json_is_refused_and_other_files_import(tmp_path):
    deep = write(tmp_path, "deep.json", "[" * 100_000 + "]" * 100_000)
    rather_deep = write(
        tmp_path, "rather.json", {"a": json.loads("[" * 200 + json.dumps(review()) + "]" * 200)}
    )
    out, err, failed = run(deep, rather_deep, write(tmp_path, "ok.json", review(url="https://fc.example/ok")))
    assert failed
    assert "deep.json: invalid JSON: nested too deeply" in err
    assert "rather.json:a" in err and "levels deep; not searched further" in err
    assert out.startswith("1 created")


def test_deeply_nested_html_markup_is_refused(tmp_path):
    page = "<div>" * 1000 + f'<script type="application/ld+json">{json.dumps(review())}</script>'
    _, err, failed = run(write(tmp_path, "deep.html", page))
    assert failed and "deep.html: the HTML is nested more than 256 elements deep" in err
    assert not FactCheck.objects.exists()


def test_a_file_over_the_cap_is_refused_unread(tmp_path, monkeypatch):
    monkeypatch.setattr(factchecks, "MAX_FILE_BYTES", 100)
    _, err, failed = run(write(tmp_path, "big.json", [review()] * 5))
    assert failed and "big.json: the file is larger than" in err


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("bin.json", b"\xff\xfe{}", "not UTF-8 text (byte 0)"),
        ("broken.json", b'{"a": ', "broken.json:1: invalid JSON"),
        ("none.json", b'{"@type": "Article"}', "none.json: no ClaimReview found"),
        ("plain.html", b"<p>no markup</p>", "no ClaimReview found in the page's JSON-LD"),
        ("narrow.tsv", b"1\tone\n2\n", "narrow.tsv:2: 1 tab-separated field(s), expected 2 or 3"),
        ("quote.tsv", b'1\t"unterminated\n', "malformed TSV"),
        ("empty.tsv", b"1\t\tT\n", "empty.tsv:1: claim is missing"),
        ("no-id.tsv", b"1\tOne\tT\n\tTwo\tT\n", "no-id.tsv:2: id is missing"),
        ("space-id.tsv", b"a b\tOne\tT\n", "space-id.tsv:1: id 'a b' contains whitespace"),
        ("long-id.tsv", b"i" * 201 + b"\tC\tT\n", "id is longer than 200 characters"),
        ("what.bin", b"just words", "not a fact-check file"),
    ],
)
def test_malformed_files_are_reported(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    _, err, failed = run(path)
    assert failed and reason in err, err


def test_the_command_summarises_and_fails_when_anything_was_refused(tmp_path):
    good = write(tmp_path, "good.tsv", "1\tOne\tT\n")
    out, err, failed = run(good, tmp_path / "missing.tsv", tmp_path)
    assert failed
    assert out.strip() == "1 created, 0 updated, 0 unchanged; 2 refused"
    assert f"{tmp_path / 'missing.tsv'}: no such file" in err
    assert f"{tmp_path}: is a folder, not a file" in err
    out, err, failed = run(good)
    assert (out.strip(), err, failed) == ("0 created, 0 updated, 1 unchanged; 0 refused", "", False)


def test_a_file_is_one_transaction(tmp_path, monkeypatch):
    from django.db import DatabaseError

    def boom(*args: Any, **kwargs: Any) -> None:
        raise DatabaseError("disk full")

    run(write(tmp_path, "a.tsv", "1\tOne\tT\n"))
    monkeypatch.setattr(FactCheck.objects, "bulk_update", boom)
    _, err, failed = run(write(tmp_path, "b.tsv", "1\tChanged\tT\n2\tNew\tT\n"))
    assert failed and "b.tsv: the database refused the file: disk full" in err
    assert list(FactCheck.objects.values_list("claim_reviewed", flat=True)) == ["One"]  # "New" rolled back


def test_the_real_verified_claims_import_all_and_again_change_nothing():
    # Its time is a benchmark's (BENCHMARKS.md, "Claim matching"), not this test's.
    with VERIFIED.open(encoding="utf-8", newline="") as handle:
        expected = sum(1 for _ in csv.reader(handle, delimiter="\t")) - 1  # less the header
    out, err, failed = run(VERIFIED)
    assert not failed, err[:2000]
    assert out.strip() == f"{expected} created, 0 updated, 0 unchanged; 0 refused"
    assert expected == 10_375
    out, _, _ = run(VERIFIED)
    assert out.strip() == f"0 created, 0 updated, {expected} unchanged; 0 refused"
    assert FactCheck.objects.filter(origin="tsv").count() == expected
