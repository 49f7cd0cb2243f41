"""A newsroom's real volume: 10,000, 100,000 and 1,000,000 claims, every path of issue 10 timed over HTTP.

    .venv/bin/python benchmarks/bench_scale.py [--sizes 10000,100000,1000000] [--reload]
    .venv/bin/python benchmarks/bench_scale.py --quick          # or BENCH_QUICK=1: 10,000 only (make bench)

For each size, a database of its own (`bench_scale_<size>`, on the embedded server or on `DATABASE_URL`'s),
built by `manage.py migrate` and bulk-loaded with COPY in the app's own shape:

- articles of 2,500-5,500 characters of real English (sentences of the CLEF-2019 debate transcripts in
  `data/checkworthiness/`, set as news paragraphs with quotes and attributions, figures included, the
  digits of each article permuted so figures differ), one revision each, with the suggestions the app
  stores on import (computed by `annotations.suggesting` once per paragraph of the pool);
- 20 claims an article whose start/end/exact/prefix/suffix match the revision's text (figures, whole
  sentences and phrases), tagged from the vocabulary (a claim type and the article's topics), plus one
  article of about 60,000 characters with 1,000 claims;
- a third of the claims with one or two sources from a pool of 20,000 on about 90 domains (a few sources
  on a rare one, `comptroller.nyc.gov`), a fifth reviewed with a verdict, some in review, a quarter with
  a note;
- history as the app writes it: a pghistory context per request (`{"url": ..., "user": ...}`), the insert
  event of each claim and its tags in the create's context, an update event per attached source, status
  change and verdict, with the claim's row as it stood.

The load runs the generator in a child process while the parent COPYs its chunks (one transaction per
1,000 articles), so Python and PostgreSQL each have a core. Only pghistory's insert triggers are switched
off, for the load only (the events they would write are loaded instead, with their contexts); every
other trigger (the article search document's, the foreign-key checks), index, constraint and generated
column stays as the migrations made it and fills itself on COPY. Then VACUUM ANALYZE. A database whose
comment says it holds this size (and this generator's version) is reused after `migrate` has applied the
migrations added since; it is loaded again when a migration applied to it was edited since, or with
`--reload`.

Then gunicorn serves it (DEBUG off, two gthread workers as in `bench_api.py`, statements cut off after
30 s by `PGOPTIONS`, static files collected as production does) and a client on loopback, signed in with
a session for the pages (a superuser for the admin) and a bearer token for the API, times each path: the
median of several requests after one warm-up (fewer when a path is slow; one that takes over 30 s is
reported as "> 30 s", not repeated, and what the app still runs for it is cancelled). Then the full
JSONL export, a full sync, and the writes: creates, a patch, new revisions. Prints a table per size, the
growth between the two largest sizes (100,000 to 1,000,000 in the full run), the requests the app
answered with a 500, and every figure as JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import itertools
import json
import multiprocessing
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote, urlencode, urlsplit

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _serve import (
    ROOT,
    collect_static,
    free_port,
    maintenance_url,
    quick,
    recreate_database,
    server_url,
    start_gunicorn,
    stop_gunicorn,
)

# Bump when the generated data changes: a database loaded by another version is loaded again.
GENERATOR_VERSION = 1
SIZES = (10_000, 100_000, 1_000_000)
CLAIMS_PER_ARTICLE = 20
BIG_ARTICLE_CLAIMS = 1_000
BIG_ARTICLE_CHARS = 60_000
SOURCES = 20_000
CHUNK_ARTICLES = 1_000
COMMON_WORD = "said"  # in nearly every article: quotes are attributed
RARE_WORD = "ombudsman"  # not in the corpus: in one article in 2,000 and in one of its claims
RARE_EVERY = 2_000
CLAIM_WORD = "percent"  # in the quotes of a few claims in a hundred
TAG = "immigration"  # the commonest topic
RARE_DOMAIN = "comptroller.nyc.gov"  # three sources, cited by one claim in 50,000
RARE_SOURCE_EVERY = 50_000
KEEP_ALIVE = 30  # gunicorn's --keep-alive in _serve.py, seconds
TIMEOUT = 30.0  # seconds, per request (and PostgreSQL's statement_timeout in the served app)
BULK_DEADLINE = 900.0  # seconds, for the whole export or the whole sync
PASSWORD = "bench-scale-password-not-secret"  # noqa: S105  (benchmark accounts only)
EDITORS, REVIEWERS = 20, 5
CORPUS = ROOT / "data" / "checkworthiness"
NEWS_TEXT = ROOT / "benchmarks" / "ice-nyc-sanctuary-talks.txt"

PAGE, API, ADMIN, WORKSPACE = 150.0, 100.0, 500.0, 500.0  # targets in ms (issue 10)


# --- The shape of the data ---------------------------------------------------------------------------

# The columns this generator writes, in its order; COPY names them, so columns it does not know keep
# their defaults and generated columns compute themselves.
CLAIM_FIELDS = [
    "id", "article_id", "revision_id", "start", "end", "exact", "prefix", "suffix", "note", "anchor_state",
    "created_at", "created_by_id", "attention_dismissed_at",
    "status", "verdict", "version", "updated_at", "updated_by_id",
]  # fmt: skip
EVENT_FIELDS = ["pgh_id", "pgh_created_at", "pgh_label", "pgh_context_id", "pgh_obj_id"]
COLUMNS: dict[str, list[str]] = {
    "annotations_user": [
        "id", "password", "last_login", "is_superuser", "username", "first_name", "last_name", "email",
        "is_staff", "is_active", "date_joined", "role",
    ],
    "annotations_source": [
        "id", "url", "title", "publisher", "kind", "published_on", "accessed_on", "archived_url",
        "created_by_id", "created_at",
    ],
    "annotations_article": [
        "id", "title", "outlet", "byline", "url", "published_at", "language", "current_revision_id",
        "created_at", "updated_at",
    ],
    "annotations_revision": ["id", "article_id", "number", "text", "html", "content_hash", "created_at",
                             "created_by_id"],
    "annotations_suggestion": [
        "id", "article_id", "revision_id", "kind", "start", "end", "text", "score", "figure_kind", "claim_id",
        "dismissed_at", "dismissed_by_id",
    ],
    "annotations_claim": CLAIM_FIELDS,
    "annotations_claimtag": ["id", "claim_id", "tag_id", "added_by_id", "added_at"],
    "annotations_claimsource": [
        "id", "claim_id", "source_id", "relation", "quote", "added_by_id", "added_at",
    ],
    "pghistory_context": ["id", "created_at", "updated_at", "metadata"],
    "annotations_claimevent": EVENT_FIELDS + CLAIM_FIELDS,
    "annotations_claimtagevent": EVENT_FIELDS + ["id", "claim_id", "tag_id", "added_by_id", "added_at"],
    "annotations_claimsourceevent": EVENT_FIELDS
    + ["id", "claim_id", "source_id", "relation", "quote", "added_by_id", "added_at"],
}  # fmt: skip
# What each chunk of articles writes, in this order (foreign keys are checked at commit): revisions
# before their articles, because a trigger on articles reads the current revision's text (its search
# document, migration 0011).
CHUNK_TABLES = ["annotations_revision", "annotations_article", *list(COLUMNS)[4:]]
HISTORY_TABLES = ("annotations_claim", "annotations_claimtag", "annotations_claimsource")
ID_COLUMN = {"pghistory_context": None, "annotations_claimevent": "pgh_id",
             "annotations_claimtagevent": "pgh_id", "annotations_claimsourceevent": "pgh_id"}  # fmt: skip

SPEAKERS_SKIPPED = {"SYSTEM", "QUESTION", "AUDIENCE", "UNIDENTIFIED MALE", "UNIDENTIFIED FEMALE"}
ROLES = {
    "TRUMP": "the president", "CLINTON": "the former secretary of state", "SANDERS": "the senator",
    "KAINE": "the senator", "PENCE": "the governor", "RUBIO": "the senator", "CRUZ": "the senator",
    "KASICH": "the governor", "CARSON": "the candidate", "PELOSI": "the House speaker",
    "SCHUMER": "the Senate leader",
}  # fmt: skip
OUTLETS = [
    ("The City Ledger", "cityledger.example"), ("Metro Daily", "metrodaily.example"),
    ("The Harbor Times", "harbortimes.example"), ("State House News", "statehousenews.example"),
    ("The Valley Courier", "valleycourier.example"), ("Borough Report", "boroughreport.example"),
    ("The Evening Post", "eveningpost.example"), ("Civic Wire", "civicwire.example"),
]  # fmt: skip
FIRST = ["Maria", "James", "Aisha", "Daniel", "Sofia", "Kwame", "Elena", "Thomas", "Priya", "Lucas",
         "Hana", "Omar", "Grace", "Mateo", "Ingrid"]  # fmt: skip
LAST = ["Alvarez", "Okafor", "Chen", "Novak", "Haddad", "Murphy", "Kowalski", "Reyes", "Lindqvist",
        "Mensah", "Duarte", "Tanaka", "Brennan"]  # fmt: skip
HEAD_SUBJECTS = [
    "City council", "The mayor", "State lawmakers", "A federal judge", "The governor", "Police union",
    "School board", "Shelter operators", "Advocates", "Budget office", "Transit agency", "County officials",
    "Hospital chiefs", "Landlords", "Tenant groups",
]  # fmt: skip
HEAD_VERBS = ["weighs", "rejects", "backs", "questions", "delays", "expands", "cuts", "defends",
              "revisits", "doubles", "freezes", "audits"]  # fmt: skip
HEAD_OBJECTS = ["shelter funding", "sanctuary rules", "tax plan", "housing vouchers", "transit fares",
                "police overtime", "climate targets", "border policy", "migrant busing", "hospital merger",
                "school budget", "rent rules", "election audit", "bail reform", "water rates"]  # fmt: skip
NOTES = ["check against the city's own count", "source?", "compare with the census figures",
         "ask the press office for the underlying data", "the figure looks high", "find the original report",
         "needs the date range", "does this include the suburbs?", "rounded: check the exact number",
         "quoted elsewhere with a different figure"]  # fmt: skip
TOPICS = [("immigration", 25), ("local-government", 20), ("public-budget", 15), ("law-enforcement", 12),
          ("economy", 10), ("health", 8), ("elections", 6), ("climate", 4)]  # fmt: skip
SENTENCE_TYPES = ["quote", "event", "attribution", "prediction", "law-or-policy", "comparison"]
CLAIM_TYPES = ["statistic", "quote", "law-or-policy", "event", "prediction", "comparison", "attribution"]
SOURCE_KINDS = ["annual report", "data release", "fact sheet", "statement", "analysis", "hearing transcript"]
VERDICTS = ["true", "mostly_true", "mixed", "mostly_false", "false", "unproven"]
RELATIONS = ["supports", "supports", "refutes", "context"]
# Where sources live: domain | publisher | kind | weight (its relative share of the 20,000 sources).
DOMAINS = [
    (domain, publisher, kind, int(weight))
    for domain, publisher, kind, weight in (
        [cell.strip() for cell in line.split("|")]
        for line in """
www.nyc.gov | City of New York | official | 60
www.census.gov | U.S. Census Bureau | dataset | 50
www.bls.gov | Bureau of Labor Statistics | dataset | 40
www.nytimes.com | The New York Times | article | 40
apnews.com | Associated Press | article | 35
www.reuters.com | Reuters | article | 35
www.dhs.gov | Department of Homeland Security | official | 30
www.cbp.gov | U.S. Customs and Border Protection | dataset | 30
www.uscis.gov | USCIS | official | 20
www.justice.gov | Department of Justice | official | 20
www.congress.gov | Congress.gov | document | 20
www.gao.gov | Government Accountability Office | report | 18
www.cbo.gov | Congressional Budget Office | report | 18
www.pewresearch.org | Pew Research Center | report | 18
www.migrationpolicy.org | Migration Policy Institute | report | 15
www.brookings.edu | Brookings | report | 12
www.washingtonpost.com | The Washington Post | article | 15
www.wsj.com | The Wall Street Journal | article | 12
www.bbc.co.uk | BBC | article | 10
www.theguardian.com | The Guardian | article | 10
nypost.com | New York Post | article | 10
www.politico.com | Politico | article | 10
www.npr.org | NPR | article | 10
www.propublica.org | ProPublica | article | 8
www.thecity.nyc | THE CITY | article | 8
gothamist.com | Gothamist | article | 8
data.cityofnewyork.us | NYC Open Data | dataset | 12
www.cdc.gov | CDC | dataset | 10
www.epa.gov | EPA | official | 6
www.noaa.gov | NOAA | dataset | 6
www.fec.gov | Federal Election Commission | dataset | 6
www.kff.org | KFF | report | 6
www.urban.org | Urban Institute | report | 5
www.cato.org | Cato Institute | report | 5
www.heritage.org | Heritage Foundation | report | 5
www.rand.org | RAND | report | 5
data.worldbank.org | World Bank | dataset | 5
www.oecd.org | OECD | report | 5
www.unhcr.org | UNHCR | report | 5
www.who.int | WHO | report | 4
www.imf.org | IMF | report | 4
www.whitehouse.gov | The White House | official | 8
www.ny.gov | New York State | official | 8
www.osc.ny.gov | NYS Comptroller | report | 4
www.ibo.nyc.gov | Independent Budget Office | report | 4
www.latimes.com | Los Angeles Times | article | 5
www.chicagotribune.com | Chicago Tribune | article | 4
www.texastribune.org | The Texas Tribune | article | 4
www.bostonglobe.com | The Boston Globe | article | 3
www.axios.com | Axios | article | 4
www.bloomberg.com | Bloomberg | article | 5
www.cnn.com | CNN | article | 5
www.foxnews.com | Fox News | article | 5
www.factcheck.org | FactCheck.org | article | 4
www.politifact.com | PolitiFact | article | 4
www.fullfact.org | Full Fact | article | 2
www.snopes.com | Snopes | article | 2
www.supremecourt.gov | Supreme Court | document | 3
www.uscourts.gov | U.S. Courts | document | 3
www.federalregister.gov | Federal Register | document | 4
www.ice.gov | ICE | official | 8
www.hud.gov | HUD | official | 4
www.ed.gov | Department of Education | official | 3
www.irs.gov | IRS | dataset | 3
www.treasury.gov | Treasury | dataset | 3
www.federalreserve.gov | Federal Reserve | dataset | 3
fred.stlouisfed.org | FRED | dataset | 4
www.nber.org | NBER | report | 2
www.ssa.gov | Social Security Administration | dataset | 2
www.medicare.gov | Medicare | official | 2
www.cms.gov | CMS | dataset | 2
mta.info | MTA | official | 4
www.nyiso.com | NYISO | dataset | 1
www.vera.org | Vera Institute | report | 2
www.aclu.org | ACLU | report | 2
trac.syr.edu | TRAC | dataset | 4
www.americanimmigrationcouncil.org | American Immigration Council | report | 2
cis.org | Center for Immigration Studies | report | 2
www.nyclu.org | NYCLU | report | 1
www.citizensbudgetcommission.org | Citizens Budget Commission | report | 2
www.nycourts.gov | NY Courts | document | 2
www.legislature.ny.gov | NY Legislature | document | 1
council.nyc.gov | New York City Council | official | 6
legistar.council.nyc.gov | NYC Council Legistar | document | 3
www1.nyc.gov | City of New York | official | 6
archive.org | Internet Archive | document | 1
www.jstor.org | JSTOR | report | 1
""".strip().splitlines()
    )
]

NULL = "\\N"


def esc(value: str) -> str:
    """A text value as COPY's text format writes it."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


def ts(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(sep=" ")


def one(conn: Any, query: str, params: list[Any] | None = None) -> Any:
    """The one row `query` returns (a tuple)."""
    row = conn.execute(query, params).fetchone()
    assert row is not None, query
    return row


class Paragraph(NamedTuple):
    text: str
    # (kind, start, end, score, figure_kind), relative to the paragraph
    suggestions: list[tuple[str, int, int, float, str]]
    figures: list[tuple[int, int]]
    sentences: list[tuple[int, int]]
    phrases: list[tuple[int, int]]


def corpus_sentences() -> list[list[tuple[str, str]]]:
    """Each transcript's (speaker, sentence) runs, in order."""
    transcripts = []
    for path in sorted(CORPUS.glob("*.tsv")):
        rows = []
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) < 3:
                continue
            speaker, text = parts[1].strip(), " ".join(parts[2].split())
            if speaker.upper() in SPEAKERS_SKIPPED or len(text) < 30 or text.startswith("("):
                continue
            rows.append((speaker.upper(), text))
        transcripts.append(rows)
    return transcripts


def build_pool(rng: random.Random, count: int) -> tuple[list[Paragraph], list[Paragraph]]:
    """`count` news paragraphs from the corpus (and the news story in this folder), each with the
    suggestions the app would store for it and the spans an editor might claim; and the few paragraphs
    that carry the rare word."""
    from annotations.suggesting import suggestions_for
    from annotations.suggestions.sentences import split_sentences
    from annotations.text import normalise

    transcripts = corpus_sentences()
    texts: list[str] = [
        " ".join(p.split()) for p in NEWS_TEXT.read_text(encoding="utf-8").split("\n\n") if p.strip()
    ]
    while len(texts) < count:
        rows = rng.choice(transcripts)
        i = rng.randrange(len(rows))
        speaker = rows[i][0]
        run = [text for who, text in rows[i : i + rng.randint(1, 4)] if who == speaker]
        name = speaker.split()[-1].title()
        quoted = " ".join(run)
        style = rng.random()
        if style < 0.45:
            role = ROLES.get(speaker.split()[-1], "the speaker")
            texts.append(f"“{quoted}” {name}, {role}, said.")
        elif style < 0.65:
            texts.append(f"{name} said: “{quoted}”")
        else:
            texts.append(quoted)
    rare_texts = [
        f"The city’s {RARE_WORD}, {first} {last}, said the office had received {n:,} complaints about the "
        f"shelter program since {month}, more than {k} times as many as the year before."
        for first, last, n, month, k in [
            ("Maria", "Okafor", 1_482, "March", 3),
            ("Daniel", "Reyes", 2_317, "January", 2),
            ("Priya", "Novak", 964, "April", 4),
        ]
    ]
    pool = [_paragraph(normalise(t), rng, suggestions_for, split_sentences) for t in texts[:count]]
    rare = [_paragraph(normalise(t), rng, suggestions_for, split_sentences) for t in rare_texts]
    return pool, rare


def _paragraph(
    text: str, rng: random.Random, suggestions_for: Callable[..., Any], split_sentences: Callable[..., Any]
) -> Paragraph:
    suggestions = []
    for s in suggestions_for(text):
        kind = s["kind"]
        suggestions.append((kind, s["start"], s["end"], float(s["score"]), s.get("figure_kind") or ""))
    figures = [(start, end) for kind, start, end, _, _ in suggestions if kind == "figure"]
    sentences, phrases = [], []
    for span in split_sentences(text):
        sentences.append((span.start, span.end))
        words = [(m.start() + span.start, m.end() + span.start) for m in re.finditer(r"\S+", span.text)]
        for _ in range(2):
            if len(words) >= 5:
                n = rng.randint(3, min(10, len(words) - 1))
                first = rng.randrange(len(words) - n + 1)
                phrases.append((words[first][0], words[first + n - 1][1]))
    return Paragraph(text, suggestions, figures, sentences, phrases)


@dataclass
class Plan:
    """Everything the generator needs to know, fixed before it forks."""

    size: int
    seed: int
    users: dict[str, list[int]]  # "editors", "reviewers", "cms"
    tags: dict[str, int]  # slug -> id
    rare_sources: list[int]
    extras: dict[str, str]  # table -> the constant tail of every line (columns it does not know)
    now: float
    pool_size: int

    @property
    def articles(self) -> int:
        return 1 + (self.size - BIG_ARTICLE_CLAIMS) // CLAIMS_PER_ARTICLE


class Generator:
    """Writes COPY text, table by table, for chunks of articles; ids are assigned here (a fresh database)."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.rng = random.Random(plan.seed)
        self.pool, self.rare = build_pool(random.Random(plan.seed + 1), plan.pool_size)
        self.ids = dict.fromkeys(CHUNK_TABLES, 0)
        self.claims_made = 0
        self.out: dict[str, list[str]] = {table: [] for table in CHUNK_TABLES}
        self.start_time = plan.now - 2 * 365 * 86400
        self.tag_ids = plan.tags
        self.topics = [(slug, weight) for slug, weight in TOPICS if slug in plan.tags]
        sources = SOURCES - len(plan.rare_sources)
        # Citations follow a long tail: a few sources (the census tables) are cited a lot.
        self.source_cumulative = list(itertools.accumulate(1 / (rank + 10) for rank in range(sources)))
        self.source_ids = list(range(1, sources + 1))

    def next_id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def line(self, table: str, fields: list[str]) -> None:
        self.out[table].append("\t".join(fields) + self.plan.extras[table] + "\n")

    def context(self, when: str, user: int, url: str) -> str:
        """A pghistory context, as its middleware opens one per request that writes; its id."""
        bits = self.rng.getrandbits(128)
        bits = (bits & ~(0xF000 << 64) | (0x4000 << 64)) & ~(0xC000 << 48) | (0x8000 << 48)  # a UUID 4
        hexed = f"{bits:032x}"
        uid = f"{hexed[:8]}-{hexed[8:12]}-{hexed[12:16]}-{hexed[16:20]}-{hexed[20:]}"
        metadata = orjson.dumps({"url": url, "user": user}).decode()
        self.line("pghistory_context", [uid, when, when, metadata])
        return uid

    def chunks(self) -> Iterator[dict[str, list[str]]]:
        total = self.plan.articles
        for first in range(0, total, CHUNK_ARTICLES):
            for index in range(first, min(total, first + CHUNK_ARTICLES)):
                self.article(index)
            yield self.out
            self.out = {table: [] for table in CHUNK_TABLES}

    def compose(self, index: int, length: int) -> tuple[str, list[Paragraph], list[int], int | None]:
        rng = self.rng
        chosen: list[Paragraph] = []
        size = 0
        while size < length:
            paragraph = self.pool[rng.randrange(len(self.pool))]
            chosen.append(paragraph)
            size += len(paragraph.text) + 2
        rare_at = None
        if index % RARE_EVERY == 1:
            rare_at = rng.randrange(len(chosen) + 1)
            chosen.insert(rare_at, self.rare[(index // RARE_EVERY) % len(self.rare)])
        offsets, position = [], 0
        for paragraph in chosen:
            offsets.append(position)
            position += len(paragraph.text) + 2
        digits = list("123456789")
        rng.shuffle(digits)
        text = "\n\n".join(p.text for p in chosen).translate(str.maketrans("123456789", "".join(digits)))
        return text, chosen, offsets, rare_at

    def article(self, index: int) -> None:
        plan, rng = self.plan, self.rng
        big = index == 0
        article_id = self.next_id("annotations_article")
        revision_id = self.next_id("annotations_revision")
        created = self.start_time + (index + rng.random()) * (plan.now - 86400 * 3 - self.start_time) / max(
            1, plan.articles
        )
        length = BIG_ARTICLE_CHARS if big else rng.randint(2_500, 5_500)
        text, chosen, offsets, rare_at = self.compose(index, length)
        outlet, domain = OUTLETS[index % len(OUTLETS)]
        day = datetime.fromtimestamp(created, UTC)
        if big:
            title = "The long read: a year inside the city’s shelter system"
            url = "https://bench-scale.example/long-read"
        else:
            title = f"{rng.choice(HEAD_SUBJECTS)} {rng.choice(HEAD_VERBS)} {rng.choice(HEAD_OBJECTS)}"
            slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
            url = f"https://{domain}/{day:%Y/%m/%d}/{slug}-{index}"
        byline = f"By {rng.choice(FIRST)} {rng.choice(LAST)}"
        cms = rng.choice(plan.users["cms"])
        self.line(
            "annotations_article",
            [str(article_id), esc(title), esc(outlet), esc(byline), esc(url),
             ts(created - rng.random() * 21600), "en", str(revision_id), ts(created), ts(created)],
        )  # fmt: skip
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        self.line(
            "annotations_revision",
            [str(revision_id), str(article_id), "1", esc(text), "", digest, ts(created), str(cms)],
        )
        # Candidate spans, in the article's offsets.
        figures, sentences, phrases, rare_spans = [], [], [], []
        suggestions = []
        for number, (paragraph, offset) in enumerate(zip(chosen, offsets, strict=True)):
            shifted = [(offset + s, offset + e) for s, e in paragraph.sentences]
            if number == rare_at:
                rare_spans += shifted
            figures += [(offset + s, offset + e, "figure") for s, e in paragraph.figures]
            sentences += [(s, e, "sentence") for s, e in shifted]
            phrases += [(offset + s, offset + e, "phrase") for s, e in paragraph.phrases]
            suggestions += [
                (k, offset + s, offset + e, score, fk) for k, s, e, score, fk in paragraph.suggestions
            ]
        wanted = BIG_ARTICLE_CLAIMS if big else CLAIMS_PER_ARTICLE
        spans = self.pick_spans(text, wanted, rare_spans, figures, sentences, phrases)
        topics = self.article_topics()
        claimed: dict[tuple[int, int], int] = {}
        editors = plan.users["editors"]
        for start, end, kind in spans:
            claim_id = self.claim(article_id, revision_id, text, start, end, kind, topics, created, editors)
            claimed[(start, end)] = claim_id
        for kind, start, end, score, figure_kind in suggestions:
            suggestion_id = self.next_id("annotations_suggestion")
            claim = claimed.get((start, end))
            dismissed = claim is None and rng.random() < 0.05
            self.line(
                "annotations_suggestion",
                [str(suggestion_id), str(article_id), str(revision_id), kind, str(start), str(end),
                 esc(text[start:end]), repr(score), figure_kind, str(claim) if claim else NULL,
                 ts(created + 3600 + rng.random() * 86400) if dismissed else NULL,
                 str(rng.choice(editors)) if dismissed else NULL],
            )  # fmt: skip

    def pick_spans(
        self,
        text: str,
        wanted: int,
        rare: list[tuple[int, int]],
        figures: list[tuple[int, int, str]],
        sentences: list[tuple[int, int, str]],
        phrases: list[tuple[int, int, str]],
    ) -> list[tuple[int, int, str]]:
        rng = self.rng
        picked: list[tuple[int, int, str]] = []
        seen: set[tuple[int, int]] = set()

        def take(candidates: list[tuple[int, int, str]], limit: int) -> None:
            rng.shuffle(candidates)
            for start, end, kind in candidates:
                if len(picked) >= wanted or limit <= 0:
                    return
                if (start, end) not in seen and text[start:end].strip():
                    seen.add((start, end))
                    picked.append((start, end, kind))
                    limit -= 1

        take([(s, e, "sentence") for s, e in rare if RARE_WORD in text[s:e]], 1)
        take(figures, round(wanted * 0.4))
        take(sentences, round(wanted * 0.25))
        take(phrases, wanted)
        take(figures + sentences, wanted)
        if len(picked) < wanted:  # a long article: phrases anywhere in it, as editors select them
            words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
            while len(picked) < wanted:
                n = rng.randint(2, 12)
                first = rng.randrange(len(words) - n)
                take([(words[first][0], words[first + n - 1][1], "phrase")], 1)
        picked.sort()
        return picked

    def article_topics(self) -> list[str]:
        slugs = [slug for slug, _ in self.topics]
        weights = [weight for _, weight in self.topics]
        first = self.rng.choices(slugs, weights)[0]
        if self.rng.random() < 0.4:
            second = self.rng.choices(slugs, weights)[0]
            return sorted({first, second})
        return [first]

    def claim_tags(self, kind: str, exact: str, topics: list[str]) -> list[int]:
        rng = self.rng
        if rng.random() < 0.08:
            return []
        if kind == "figure":
            claim_type = "statistic" if rng.random() < 0.85 else "comparison"
        elif kind == "sentence":
            claim_type = "quote" if exact.startswith("“") else rng.choice(SENTENCE_TYPES)
        else:
            claim_type = rng.choice(CLAIM_TYPES)
        slugs = {claim_type, *(topic for topic in topics if rng.random() < 0.6)}
        return sorted(self.tag_ids[slug] for slug in slugs if slug in self.tag_ids)

    def claim(
        self,
        article_id: int,
        revision_id: int,
        text: str,
        start: int,
        end: int,
        kind: str,
        topics: list[str],
        article_created: float,
        editors: list[int],
    ) -> int:
        """One claim as the app writes it: created with its tags (one request), then perhaps sources
        attached, sent for review or given a verdict (a request each), every step in the history."""
        plan, rng, out = self.plan, self.rng, self.out
        latest = plan.now - 120
        claim_id = self.next_id("annotations_claim")
        self.claims_made += 1
        exact = text[start:end]
        creator = rng.choice(editors)
        created = min(latest, article_created + 60 + rng.random() ** 2 * 3 * 86400)
        when = ts(created)
        note = rng.choice(NOTES) if rng.random() < 0.25 else ""
        from_api = rng.random() < 0.4
        static = "\t".join(
            [str(claim_id), str(article_id), str(revision_id), str(start), str(end), esc(exact),
             esc(text[max(0, start - 32) : start]), esc(text[end : end + 32]), esc(note), "anchored",
             when, str(creator), NULL]
        )  # fmt: skip
        status, verdict, version, updated, updated_by = "draft", "", 1, when, creator
        event_tail = plan.extras["annotations_claimevent"]

        def event(label: str, context: str, at: str) -> None:
            pgh_id = self.next_id("annotations_claimevent")
            out["annotations_claimevent"].append(
                f"{pgh_id}\t{at}\t{label}\t{context}\t{claim_id}\t{static}\t{status}\t{verdict}\t"
                f"{version}\t{updated}\t{updated_by}{event_tail}\n"
            )

        url = "/api/v1/claims/" if from_api else f"/articles/{article_id}/claims/"
        context = self.context(when, creator, url)
        event("insert", context, when)
        for tag_id in self.claim_tags(kind, exact, topics):
            link_id = self.next_id("annotations_claimtag")
            fields = f"{link_id}\t{claim_id}\t{tag_id}\t{creator}\t{when}"
            out["annotations_claimtag"].append(f"{fields}{plan.extras['annotations_claimtag']}\n")
            pgh_id = self.next_id("annotations_claimtagevent")
            out["annotations_claimtagevent"].append(
                f"{pgh_id}\t{when}\tinsert\t{context}\t{link_id}\t{fields}"
                f"{plan.extras['annotations_claimtagevent']}\n"
            )
        at = created
        sources: list[int] = []
        if self.claims_made % RARE_SOURCE_EVERY == 7 and plan.rare_sources:
            sources.append(rng.choice(plan.rare_sources))
        elif rng.random() < 1 / 3:
            count = 1 if rng.random() < 0.8 else 2
            sources += set(rng.choices(self.source_ids, cum_weights=self.source_cumulative, k=count))
        for source_id in sources:
            at = min(latest, at + 30 + rng.random() * 86400)
            at_s = ts(at)
            editor = rng.choice(editors)
            path = f"/api/v1/claims/{claim_id}/sources/" if from_api else f"/claims/{claim_id}/sources/"
            context = self.context(at_s, editor, path)
            link_id = self.next_id("annotations_claimsource")
            quote = "" if rng.random() < 0.6 else esc(rng.choice(self.pool).text[:120])
            fields = f"{link_id}\t{claim_id}\t{source_id}\t{rng.choice(RELATIONS)}\t{quote}\t{editor}\t{at_s}"
            out["annotations_claimsource"].append(f"{fields}{plan.extras['annotations_claimsource']}\n")
            pgh_id = self.next_id("annotations_claimsourceevent")
            out["annotations_claimsourceevent"].append(
                f"{pgh_id}\t{at_s}\tinsert\t{context}\t{link_id}\t{fields}"
                f"{plan.extras['annotations_claimsourceevent']}\n"
            )
            version, updated, updated_by = version + 1, at_s, editor
            event("update", context, at_s)
        edit_path = f"/api/v1/claims/{claim_id}/" if from_api else f"/claims/{claim_id}/edit/"
        roll = rng.random()
        if roll < 0.35:
            if roll < 0.2:  # reviewed, with a verdict
                at = min(latest, at + 3600 + rng.random() * 10 * 86400)
                updated_by = rng.choice(plan.users["reviewers"])
                status, verdict = "reviewed", rng.choice(VERDICTS)
            else:  # sent for review
                at = min(latest, at + 600 + rng.random() * 2 * 86400)
                updated_by, status = rng.choice(editors), "in_review"
            version, updated = version + 1, ts(at)
            event("update", self.context(updated, updated_by, edit_path), updated)
        out["annotations_claim"].append(
            f"{static}\t{status}\t{verdict}\t{version}\t{updated}\t{updated_by}"
            f"{plan.extras['annotations_claim']}\n"
        )
        return claim_id


def generate(plan: Plan, folder: Path, queue: Any, slots: Any) -> None:
    """The child process: chunk after chunk of COPY files, announced on `queue`."""
    try:
        generator = Generator(plan)
        for number, chunk in enumerate(generator.chunks()):
            slots.acquire()  # at most a few chunks on disk ahead of the loader
            counts = {}
            for table, lines in chunk.items():
                (folder / f"{number:05d}.{table}").write_text("".join(lines), encoding="utf-8")
                counts[table] = len(lines)
            queue.put(("chunk", number, counts))
        queue.put(("done", generator.ids, None))
    except BaseException:
        queue.put(("error", traceback.format_exc(), None))
        raise


# --- Loading ------------------------------------------------------------------------------------------


def column_spec(conn: Any, table: str, mine: list[str]) -> tuple[list[str], str]:
    """The columns to COPY into `table`: ours, plus any required column added since that has no default
    (given a neutral constant); fails if a column we write is gone or is generated now."""
    rows = conn.execute(
        "SELECT column_name, is_nullable, column_default, is_generated, is_identity, data_type"
        " FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = %s",
        [table],
    ).fetchall()
    if not rows:
        raise SystemExit(f"bench_scale: table {table} is missing: did a migration rename it?")
    insertable = {name for name, _, _, generated, _, _ in rows if generated == "NEVER"}
    if missing := [name for name in mine if name not in insertable]:
        raise SystemExit(
            f"bench_scale: {table} has no (plain) column {missing}: update COLUMNS in bench_scale.py"
        )
    constants = {
        "text": "", "character varying": "", "integer": "0", "bigint": "0", "smallint": "0",
        "double precision": "0", "real": "0", "numeric": "0", "boolean": "f", "jsonb": "{}", "json": "{}",
        "tsvector": "", "timestamp with time zone": ts(time.time()), "date": f"{datetime.now(UTC):%Y-%m-%d}",
    }  # fmt: skip
    extra, values = [], []
    for name, nullable, default, generated, identity, data_type in rows:
        if (
            name in mine
            or generated != "NEVER"
            or nullable == "YES"
            or default is not None
            or identity == "YES"
        ):
            continue
        if data_type not in constants:
            raise SystemExit(f"bench_scale: {table}.{name} ({data_type}) is required and has no default")
        extra.append(name)
        values.append(constants[data_type])
    return mine + extra, "".join("\t" + value for value in values)


def copy_sql(table: str, columns: list[str]) -> str:
    names = ", ".join(f'"{name}"' for name in columns)
    return f'COPY "{table}" ({names}) FROM STDIN'


def history_insert_triggers(conn: Any) -> list[tuple[str, str]]:
    """pghistory's insert triggers on the tracked tables (their events are loaded instead)."""
    rows = conn.execute(
        "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
        " WHERE NOT t.tgisinternal AND c.relname = ANY(%s) AND t.tgname LIKE 'pgtrigger_insert_insert_%%'",
        [list(HISTORY_TABLES)],
    ).fetchall()
    return [(table, name) for table, name in rows]


def users_and_sources(conn: Any, specs: dict[str, tuple[list[str], str]], now: float) -> Plan:
    from django.contrib.auth.hashers import make_password

    rng = random.Random(7)
    password = make_password(PASSWORD)
    joined = ts(now - 3 * 365 * 86400)
    users = [
        ("bench-admin", True, "admin"),
        ("bench-cms", False, "editor"),
        ("bench-researcher", False, "researcher"),
    ]
    users += [(f"bench-editor-{n:02d}", False, "editor") for n in range(1, EDITORS + 1)]
    users += [(f"bench-reviewer-{n}", False, "reviewer") for n in range(1, REVIEWERS + 1)]
    first_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM annotations_user").fetchone()[0]
    ids: dict[str, list[int]] = {"editors": [], "reviewers": [], "cms": []}
    columns, tail = specs["annotations_user"]
    with conn.cursor().copy(copy_sql("annotations_user", columns)) as copy:
        for offset, (name, superuser, role) in enumerate(users):
            uid = first_id + offset
            first, last = rng.choice(FIRST), rng.choice(LAST)
            flag = "t" if superuser else "f"
            fields = [str(uid), password, NULL, flag, name, first, last, f"{name}@bench.example", flag, "t",
                      joined, role]  # fmt: skip
            copy.write("\t".join(fields) + tail + "\n")
            key = {"editor": "editors", "reviewer": "reviewers"}.get(role)
            if name == "bench-cms":
                ids["cms"].append(uid)
            elif key:
                ids[key].append(uid)
    # Sources: 20,000 on the domains above, the commonest domains holding the most; three on a rare one.
    weights = [weight for *_, weight in DOMAINS]
    columns, tail = specs["annotations_source"]
    rare_sources = []
    seen: set[str] = set()
    with conn.cursor().copy(copy_sql("annotations_source", columns)) as copy:
        for sid in range(1, SOURCES + 1):
            if sid > SOURCES - 3:
                domain, publisher, kind = RARE_DOMAIN, "New York City Comptroller", "report"
                rare_sources.append(sid)
            else:
                domain, publisher, kind, _ = rng.choices(DOMAINS, weights)[0]
            while True:
                path = "/".join(
                    rng.choice(
                        ["reports", "data", "news", "press", "2023", "2024", "2025", "budget", "stats"]
                    )
                    for _ in range(rng.randint(1, 3))
                )
                url = f"https://{domain}/{path}/{rng.randrange(10**6):06d}"
                if url not in seen:
                    seen.add(url)
                    break
            title = f"{rng.choice(HEAD_OBJECTS).capitalize()}: {rng.choice(SOURCE_KINDS)} {sid}"
            published = datetime.fromtimestamp(now - rng.random() * 5 * 365 * 86400, UTC)
            archived = f"https://web.archive.org/web/2025/{url}" if rng.random() < 0.1 else ""
            fields = [str(sid), url, title, publisher, kind, f"{published:%Y-%m-%d}", NULL, archived,
                      str(rng.choice(ids["editors"])), ts(now - rng.random() * 2 * 365 * 86400)]  # fmt: skip
            copy.write("\t".join(esc(f) if f != NULL else f for f in fields) + tail + "\n")
    tags = dict(conn.execute("SELECT slug, id FROM annotations_tag").fetchall())
    extras = {table: specs[table][1] for table in CHUNK_TABLES}
    return Plan(
        size=0, seed=20261202, users=ids, tags=tags, rare_sources=rare_sources, extras=extras, now=now,
        pool_size=0,
    )  # fmt: skip


def load(url: str, size: int) -> dict[str, Any]:
    """Fill the freshly migrated database at `url` with `size` claims; what was loaded, and how fast."""
    import psycopg

    started = time.perf_counter()
    now = time.time()
    counts: dict[str, int] = {}
    with psycopg.connect(url) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET statement_timeout = 0")
        if one(conn, "SELECT EXISTS (SELECT 1 FROM annotations_claim)")[0]:
            raise SystemExit("bench_scale: the database to load already holds claims")
        specs = {table: column_spec(conn, table, columns) for table, columns in COLUMNS.items()}
        plan = users_and_sources(conn, specs, now)
        plan.size, plan.pool_size = size, 3_000 if size > 10_000 else 1_200
        triggers = history_insert_triggers(conn)
        for table, trigger in triggers:
            conn.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER "{trigger}"')
        conn.commit()
        folder = Path(tempfile.mkdtemp(prefix="bench_scale_"))
        context = multiprocessing.get_context("fork")
        queue, slots = context.Queue(), context.Semaphore(3)
        child = context.Process(target=generate, args=(plan, folder, queue, slots), daemon=True)
        try:
            child.start()
            while True:
                message, value, chunk_counts = _next_message(queue, child)
                if message == "error":
                    raise SystemExit(f"bench_scale: the generator failed:\n{value}")
                if message == "done":
                    ids = value
                    break
                with conn.transaction(), conn.cursor() as cursor:
                    for table in CHUNK_TABLES:
                        path = folder / f"{value:05d}.{table}"
                        with path.open("rb") as data, cursor.copy(copy_sql(table, specs[table][0])) as copy:
                            while block := data.read(1 << 20):
                                copy.write(block)
                        path.unlink()
                slots.release()
                for table, n in chunk_counts.items():
                    counts[table] = counts.get(table, 0) + n
                done = counts["annotations_claim"]
                elapsed = time.perf_counter() - started
                print(f"  loaded {done:,} claims in {elapsed:.0f} s", file=sys.stderr, flush=True)
            child.join()
        finally:
            if child.is_alive():
                child.kill()
            shutil.rmtree(folder, ignore_errors=True)
            conn.rollback()
            for table, trigger in triggers:
                conn.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER "{trigger}"')
            conn.commit()
        for table in ["annotations_user", "annotations_source", *CHUNK_TABLES]:
            column = ID_COLUMN.get(table, "id")
            if column is not None:
                # Names from COLUMNS above, not from input.
                conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'),"  # noqa: S608
                    f' (SELECT coalesce(max("{column}"), 1) FROM "{table}"))'
                )
        conn.commit()
        copied = time.perf_counter() - started
        conn.autocommit = True
        conn.execute("VACUUM (ANALYZE)")
        database_bytes = one(conn, "SELECT pg_database_size(current_database())")[0]
    assert ids["annotations_claim"] == size, (ids["annotations_claim"], size)
    return {
        "rows": counts,
        "copy_seconds": round(copied, 1),
        "load_seconds": round(time.perf_counter() - started, 1),
        "database_mb": round(database_bytes / 2**20),
        "history_triggers_off_during_load": [name for _, name in triggers],
    }


def _next_message(queue: Any, child: Any) -> tuple[str, Any, Any]:
    import queue as queues

    while True:
        try:
            return queue.get(timeout=5)  # type: ignore[no-any-return]
        except queues.Empty:
            if not child.is_alive():
                raise SystemExit(f"bench_scale: the generator died (exit code {child.exitcode})") from None


def migrate(url: str) -> None:
    env = os.environ | {"DATABASE_URL": url, "PGOPTIONS": "-c statement_timeout=0"}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )


def marker(size: int) -> str:
    return f"bench_scale v{GENERATOR_VERSION}: {size} claims"


def migration_files() -> dict[str, str]:
    """The project's migrations, each with a digest of its file: a migration edited after it was applied
    here (as happens while one is being written) would leave the schema behind without Django noticing."""
    return {
        f"{path.parent.parent.name}.{path.stem}": hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        for path in sorted(ROOT.glob("*/migrations/0*.py"))
    }


def _comment(conn: Any, name: str, text: str) -> None:
    from psycopg import sql

    conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name), sql.Literal(text)))


def ensure_database(size: int, reload: bool) -> tuple[str, dict[str, Any]]:
    """The URL of a database holding `size` claims: the one loaded before, or a new one.

    The database's comment says what it holds: this generator's marker, when and how fast it was loaded,
    and the digests of the migrations applied to it."""
    import psycopg

    name = f"bench_scale_{size}"
    with psycopg.connect(maintenance_url(), autocommit=True) as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
    comment = (row[0] or "") if row else ""
    loaded, _, applied_json = comment.partition(" migrations=")
    applied: dict[str, str] = json.loads(applied_json) if applied_json else {}
    current = migration_files()
    edited = sorted(m for m, digest in applied.items() if current.get(m) != digest)
    if comment.startswith(marker(size) + " ") and not reload and not edited:
        url = server_url(name)
        started = time.perf_counter()
        migrate(url)
        with psycopg.connect(maintenance_url(), autocommit=True) as conn:
            _comment(conn, name, f"{loaded} migrations={json.dumps(current)}")
        return url, {"reused": loaded, "migrate_seconds": round(time.perf_counter() - started, 1)}
    if edited and not reload:
        print(
            f"{name}: migrations changed since it was loaded ({', '.join(edited)}): loading again",
            file=sys.stderr,
        )
    print(f"Loading {size:,} claims into {name}...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    url = recreate_database(name)
    migrate(url)
    migrated = time.perf_counter() - started
    info = load(url, size)
    info["migrate_seconds"] = round(migrated, 1)
    info["total_seconds"] = round(time.perf_counter() - started, 1)
    with psycopg.connect(maintenance_url(), autocommit=True) as conn:
        note = f"{marker(size)} (loaded {datetime.now(UTC):%Y-%m-%d %H:%M} UTC in {info['total_seconds']} s)"
        _comment(conn, name, f"{note} migrations={json.dumps(current)}")
    return url, info


# --- The client ---------------------------------------------------------------------------------------


class Reply(NamedTuple):
    status: int | None  # None: no answer within the timeout
    body: bytes
    ms: float
    headers: dict[str, str]


class Http:
    """One keep-alive connection with cookies (a browser's session) or a bearer token (a tool)."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.connection: http.client.HTTPConnection | None = None
        self.last_used = 0.0

    def _connection(self) -> http.client.HTTPConnection:
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        return self.connection

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Reply:
        sent = self.headers | (headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if time.monotonic() - self.last_used > KEEP_ALIVE - 5:
            self.close()  # gunicorn closes a connection idle for longer than its keep-alive
        for attempt in range(2):
            reused = self.connection is not None
            started = time.perf_counter()
            try:
                connection = self._connection()
                connection.request(method, path, body=body, headers=sent)
                response = connection.getresponse()
                data = response.read()
                break
            except TimeoutError:
                self.close()  # the server may still be working on it: a new connection for the next one
                return Reply(None, b"", (time.perf_counter() - started) * 1000, {})
            except (OSError, http.client.HTTPException):
                self.close()
                if not reused or attempt:  # a kept connection the server had closed: once more, afresh
                    return Reply(None, b"", (time.perf_counter() - started) * 1000, {})
        self.last_used = time.monotonic()
        ms = (time.perf_counter() - started) * 1000
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        return Reply(response.status, data, ms, {k.lower(): v for k, v in response.getheaders()})

    def json(self, method: str, path: str, payload: object, headers: dict[str, str] | None = None) -> Reply:
        return self.request(
            method, path, orjson.dumps(payload), {"Content-Type": "application/json"} | (headers or {})
        )

    def login(self, username: str) -> None:
        page = self.request("GET", "/accounts/login/")
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
        assert page.status == 200 and match, (page.status, page.body[:300])
        form = urlencode(
            {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": match[1].decode()}
        )
        reply = self.request(
            "POST", "/accounts/login/", form.encode(), {"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert reply.status == 302 and "sessionid" in self.cookies, (reply.status, reply.body[:300])


@dataclass
class Measure:
    label: str
    target: str
    limit: float | None  # ms; None: no target in the issue
    samples: list[float] = field(default_factory=list)
    statuses: list[int | None] = field(default_factory=list)
    kb: float = 0.0
    note: str = ""
    value: float | None = None  # the median, or None
    unit: str = "ms"
    max_kb: float | None = None  # a size target for the answer

    @property
    def timed_out(self) -> bool:
        return None in self.statuses

    @property
    def failed(self) -> bool:
        return any(status is not None and status >= 400 for status in self.statuses)

    def finish(self) -> Measure:
        if self.samples and self.value is None and not self.timed_out:
            self.value = statistics.median(self.samples)
        return self

    def as_json(self) -> dict[str, Any]:
        samples = [round(s, 2) for s in self.samples]
        return {"value": self.value, "shown": self.shown(), "samples": samples, "statuses": self.statuses,
                "kb": round(self.kb, 1), "note": self.note}  # fmt: skip

    def shown(self) -> str:
        if self.timed_out:
            return f"> {TIMEOUT:.0f} s"
        if self.value is None:
            return "n/a"
        if self.unit == "ms":
            return f"{self.value / 1000:.2f} s" if self.value >= 1000 else f"{self.value:.1f} ms"
        if self.unit == "s":
            return f"{self.value:.1f} s"
        return f"{self.value:,.0f} {self.unit}"

    def verdict(self) -> str:
        if self.failed:
            bad = sorted({s for s in self.statuses if s is not None and s >= 400})
            return "HTTP " + ",".join(map(str, bad))
        if self.limit is None:
            return ""
        if self.timed_out or self.value is None:
            return "MISSED"
        ok = self.value >= self.limit if self.unit == "claims/s" else self.value < self.limit
        if self.max_kb is not None and self.kb >= self.max_kb:
            ok = False
        return "met" if ok else "MISSED"


def stop_leftovers(url: str) -> None:
    """After a request the client gave up on, cancel the statements the app still runs for it (in this
    benchmark's own database, served by its own gunicorn), so they do not slow the next measurements."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for _ in range(20):
            row = conn.execute(
                "SELECT count(pg_cancel_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND backend_type = 'client backend' AND state = 'active'"
            ).fetchone()
            if not row or not row[0]:
                return
            time.sleep(0.5)


def repeats_after(first_ms: float, repeats: int) -> int:
    """How many timed requests follow the warm-up: fewer when the path is slow."""
    if first_ms > 10_000:
        return 1
    if first_ms > 2_000:
        return 2
    return repeats


def timed(
    measure: Measure,
    call: Callable[[], Reply],
    repeats: int,
    expect: tuple[int, ...] = (200,),
    *,
    settle: Callable[[], None] = lambda: None,
) -> Measure:
    """The median of `repeats` calls after a warm-up, each call `call()`; stops at a timeout or an error
    (after a timeout, `settle()` stops what the server still does for it)."""
    first = _cut_off(call())
    measure.kb = len(first.body) / 1024
    if first.status is None or first.status not in expect:
        measure.statuses.append(first.status)
        measure.note = _problem(first)
        if first.status is None:
            settle()
        return measure.finish()
    for _ in range(repeats_after(first.ms, repeats)):
        reply = _cut_off(call())
        measure.statuses.append(reply.status)
        if reply.status is None or reply.status not in expect:
            measure.note = _problem(reply)
            if reply.status is None:
                settle()
            break
        measure.samples.append(reply.ms)
        measure.kb = len(reply.body) / 1024
    return measure.finish()


def _cut_off(reply: Reply) -> Reply:
    """A 500 after the statement timeout is a request that took too long, as one the client gave up on."""
    if reply.status is not None and reply.status >= 500 and reply.ms >= TIMEOUT * 1000 * 0.95:
        return Reply(None, reply.body, reply.ms, reply.headers)
    return reply


def _problem(reply: Reply) -> str:
    if reply.status is None:
        if reply.body:
            return f"HTTP 500 after {reply.ms / 1000:.1f} s: PostgreSQL's statement_timeout"
        return f"no answer in {TIMEOUT:.0f} s"
    body = reply.body[:2000].decode("utf-8", "replace")
    title = re.search(r"<title>(.*?)</title>", body, re.DOTALL)
    return f"HTTP {reply.status}: {(title[1] if title else body[:120]).strip()!r}"


def api_path(url: str) -> str:
    return urlsplit(url)._replace(scheme="", netloc="").geturl()


def word_span(text: str, rng: random.Random, words: int) -> tuple[int, int]:
    spaces = [m.start() for m in re.finditer(" ", text)]
    i = rng.randrange(len(spaces) - words - 1)
    return spaces[i] + 1, spaces[i + words]


def create_token(url: str, username: str) -> str:
    env = os.environ | {"DATABASE_URL": url}
    done = subprocess.run(
        [sys.executable, "manage.py", "create_api_token", username, "--name", "bench-scale"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return done.stdout.strip().splitlines()[-1]


def admin_links(admin: Http) -> tuple[str, str | None, str]:
    """The changelists of history events (pghistory's aggregate, and the claim events') and suggestions."""
    index = admin.request("GET", "/admin/").body.decode("utf-8", "replace")
    links = set(re.findall(r'href="(/admin/[a-z_]+/[a-z_]+/)"', index))

    def find(*candidates: str) -> str:
        return next((c for c in candidates if c in links), candidates[0])

    return (
        find("/admin/pghistory/events/", "/admin/pghistory/event/"),
        "/admin/annotations/claimevent/" if "/admin/annotations/claimevent/" in links else None,
        find("/admin/annotations/suggestion/"),
    )


def measure_size(url: str, size: int, repeats: int, log: Path, static: Path) -> dict[str, Measure]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        claims = one(conn, "SELECT count(*) FROM annotations_claim")[0]
        big_id, big_claims = one(
            conn,
            "SELECT a.id, (SELECT count(*) FROM annotations_claim c WHERE c.article_id = a.id)"
            " FROM annotations_article a WHERE a.url = 'https://bench-scale.example/long-read'",
        )
        small_id = big_id + 1  # the first article of 20 claims: never written to by this benchmark
        last_id = one(conn, "SELECT max(id) FROM annotations_article")[0]
        # A sync that last ran 1,000 changes ago: a full first page, whatever the size.
        recent = one(
            conn, "SELECT updated_at FROM annotations_claim ORDER BY updated_at DESC OFFSET 1000 LIMIT 1"
        )[0]
        rng = random.Random(time.time_ns())
        others = rng.sample(range(small_id + 1, last_id + 1), min(40, last_id - small_id))
        texts = {
            article_id: (text, number, title, article_url)
            for article_id, text, number, title, article_url in conn.execute(
                "SELECT a.id, r.text, r.number, a.title, a.url FROM annotations_article a"
                " JOIN annotations_revision r ON r.id = a.current_revision_id WHERE a.id = ANY(%s)",
                [[big_id, *others]],
            ).fetchall()
        }
        claim_id = one(conn, "SELECT min(id) FROM annotations_claim WHERE article_id = %s", [others[0]])[0]
    token = create_token(url, "bench-editor-01")
    port = free_port()
    with log.open("ab") as errors:
        errors.write(f"\n=== {size:,} claims, {datetime.now(UTC):%H:%M:%S} ===\n".encode())
        errors.flush()
        env = {"PGOPTIONS": f"-c statement_timeout={int(TIMEOUT * 1000)}", "STATIC_ROOT": str(static)}
        server = start_gunicorn(url, port, env=env, stderr=errors)
    results: dict[str, Measure] = {}
    try:
        page, admin, api = Http(port), Http(port), Http(port, token)
        page.login("bench-editor-01")
        admin.login("bench-admin")
        events_url, claim_events_url, suggestions_url = admin_links(admin)

        def get(client: Http, path: str) -> Callable[[], Reply]:
            return lambda: client.request("GET", path)

        def run(key: str, label: str, limit: float, client: Http, path: str) -> None:
            measure = Measure(label, f"< {limit:.0f} ms", limit)
            results[key] = timed(measure, get(client, path), repeats, settle=lambda: stop_leftovers(url))
            print(f"  {label:<52} {results[key].shown():>10}", file=sys.stderr, flush=True)

        since = quote(recent.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
        claims_api = "/api/v1/claims/"
        run(
            "search_common",
            f"article search, a common word (/?q={COMMON_WORD})",
            PAGE,
            page,
            f"/?q={COMMON_WORD}",
        )
        run("search_rare", f"article search, a rare word (/?q={RARE_WORD})", PAGE, page, f"/?q={RARE_WORD}")
        run("article_list", "article list, first page (/)", PAGE, page, "/")
        run("article_list_tag", f"article list by tag (/?tag={TAG})", PAGE, page, f"/?tag={TAG}")
        run(
            "claims_words",
            f"claims list, words (/claims/?q={CLAIM_WORD})",
            PAGE,
            page,
            f"/claims/?q={CLAIM_WORD}",
        )
        run("claims_tag", f"claims list by tag (/claims/?tag={TAG})", PAGE, page, f"/claims/?tag={TAG}")
        run("api_q_rare", f"API ?q= a rare word ({RARE_WORD})", API, api, f"{claims_api}?q={RARE_WORD}")
        run(
            "api_domain_rare",
            "API ?source_domain= a rare domain",
            API,
            api,
            f"{claims_api}?source_domain={RARE_DOMAIN}",
        )
        run("admin_events", f"admin history events ({events_url})", ADMIN, admin, events_url)
        if claim_events_url:  # when pghistory's admin registers every event model
            run(
                "admin_claim_events",
                f"admin claim events ({claim_events_url})",
                ADMIN,
                admin,
                claim_events_url,
            )
        run("admin_suggestions", f"admin suggestions ({suggestions_url})", ADMIN, admin, suggestions_url)
        run("claim_detail", "API claim detail", API, api, f"{claims_api}{claim_id}/")
        run("api_page_100", "API a page of 100 claims", API, api, f"{claims_api}?page_size=100")
        run(
            "api_updated_since",
            "API updated_since (1,000 changes ago), first page",
            API,
            api,
            f"{claims_api}?updated_since={since}",
        )
        run("workspace_20", "workspace, article with 20 claims", WORKSPACE, page, f"/articles/{small_id}/")
        run(
            "workspace_1000",
            f"workspace, article with {big_claims:,} claims",
            WORKSPACE,
            page,
            f"/articles/{big_id}/",
        )
        results["export"] = export_all(port, token, claims)
        print(f"  {'full JSONL export':<52} {results['export'].shown():>10}", file=sys.stderr, flush=True)
        results["sync"] = sync_all(api, claims)
        print(
            f"  {'full sync (updated_since, pages of 1,000)':<52} {results['sync'].shown():>10}",
            file=sys.stderr,
        )
        results |= writes(page, api, rng, texts, others, claim_id, big_id, repeats)
    finally:
        stop_gunicorn(server)
    return results


def writes(
    page: Http,
    api: Http,
    rng: random.Random,
    texts: dict[int, tuple[str, int, str, str]],
    others: list[int],
    claim_id: int,
    big_id: int,
    repeats: int,
) -> dict[str, Measure]:
    results: dict[str, Measure] = {}
    articles = [a for a in others[1:] if a in texts]
    # Claims are created on one half of these articles, the other half gets new revisions.
    targets, revisable = articles[: len(articles) // 2], iter(articles[len(articles) // 2 :])

    def api_create() -> Reply:
        for _ in range(5):  # a span someone claimed already is refused (400): try other words
            article = rng.choice(targets)
            start, end = word_span(texts[article][0], rng, rng.randint(2, 8))
            reply = api.json(
                "POST",
                "/api/v1/claims/",
                {"article": article, "start": start, "end": end, "tags": ["statistic"]},
            )
            if reply.status != 400:
                return reply
        return reply

    results["create_api"] = timed(
        Measure("create a claim (API POST)", f"< {API:.0f} ms", API), api_create, repeats, (201,)
    )
    csrf = {"X-CSRFToken": page.cookies.get("csrftoken", ""), "HX-Request": "true"}
    form = {"Content-Type": "application/x-www-form-urlencoded"} | csrf

    def htmx_create(article: int) -> Callable[[], Reply]:
        def call() -> Reply:
            text, number, _, _ = texts[article] if article in texts else texts[rng.choice(targets)]
            for _ in range(5):
                start, end = word_span(text, rng, rng.randint(2, 8))
                body = urlencode({"start": start, "end": end, "exact": text[start:end], "revision": number})
                reply = page.request("POST", f"/articles/{article}/claims/", body.encode(), form)
                if reply.status != 400:
                    return reply
            return reply

        return call

    small = rng.choice(targets)
    results["create_htmx_20"] = timed(
        Measure("create a claim (htmx) on an article of ~20 claims", f"< {API:.0f} ms", API),
        htmx_create(small), repeats, (201,),
    )  # fmt: skip
    results["create_htmx_big"] = timed(
        Measure("create a claim (htmx) on the article of 1,000 claims", f"< {API:.0f} ms, < 50 KB", API),
        htmx_create(big_id), repeats, (201,),
    )  # fmt: skip
    results["create_htmx_big"].max_kb = 50
    etag = api.request("GET", f"/api/v1/claims/{claim_id}/").headers.get("etag", "")
    counter = iter(range(10**6))

    def patch() -> Reply:
        nonlocal etag
        note = {"note": f"bench note {time.time_ns()} {next(counter)}"}
        reply = api.json("PATCH", f"/api/v1/claims/{claim_id}/", note, {"If-Match": etag})
        etag = reply.headers.get("etag", etag)
        return reply

    results["patch"] = timed(
        Measure("patch a claim (API PATCH, If-Match)", f"< {API:.0f} ms", API), patch, repeats
    )

    def revise() -> Reply:
        article = next(revisable)
        text, _, title, article_url = texts[article]
        # A corrected figure and an added paragraph: every claim is carried, one may need a recheck.
        digits = [m.start() for m in re.finditer(r"[0-9]", text)]
        if digits:
            at = digits[len(digits) // 2]
            text = text[:at] + str((int(text[at]) + 1) % 10) + text[at + 1 :]
        stamp = f"{datetime.now(UTC):%B %d} ({time.time_ns()})"
        text += f"\n\nThis article was updated on {stamp} to correct a figure."
        return api.json("POST", "/api/v1/articles/", {"title": title, "url": article_url, "text": text})

    results["revision"] = timed(
        Measure("new revision of an article with 20 claims (API)", "", None), revise, min(repeats, 5)
    )
    for key in ("create_api", "create_htmx_20", "create_htmx_big", "patch", "revision"):
        print(f"  {results[key].label:<52} {results[key].shown():>10}", file=sys.stderr, flush=True)
    return results


def export_all(port: int, token: str, claims: int) -> Measure:
    """The whole JSONL export, streamed: claims a second (median of up to three pulls after a warm-up)."""
    measure = Measure("full JSONL export", ">= 50,000/s", 50_000, unit="claims/s")
    speeds, seconds = [], []
    for run in range(4):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        started = time.perf_counter()
        lines, status = 0, None
        try:
            headers = {"Authorization": f"Bearer {token}"}
            connection.request("GET", "/api/v1/export/claims.jsonl", headers=headers)
            response = connection.getresponse()
            status = response.status
            while chunk := response.read(1 << 20):
                lines += chunk.count(b"\n")
                if time.perf_counter() - started > BULK_DEADLINE:
                    measure.note = f"stopped after {BULK_DEADLINE:.0f} s at {lines:,} lines"
                    status = None
                    break
        except (TimeoutError, OSError, http.client.HTTPException) as error:
            status, measure.note = None, f"{type(error).__name__} after {lines:,} lines"
        finally:
            connection.close()
        elapsed = time.perf_counter() - started
        measure.statuses.append(status)
        if status != 200:
            break
        if lines < claims:
            measure.note = f"only {lines:,} lines for {claims:,} claims"
            return measure
        if run:  # the first is the warm-up
            speeds.append(lines / elapsed)
            seconds.append(elapsed)
        if elapsed > 20 and run >= 1:
            break
    if speeds:
        measure.value = statistics.median(speeds)
        measure.note = f"{claims:,} claims in {statistics.median(seconds):.1f} s"
    return measure


def sync_all(api: Http, claims: int) -> Measure:
    """A researcher's first sync: `updated_since` pages of 1,000 followed through `next` to the end."""
    measure = Measure("full sync (updated_since, pages of 1,000)", "", None, unit="s")
    started = time.perf_counter()
    path: str | None = "/api/v1/claims/?updated_since=2000-01-01T00:00:00Z&page_size=1000"
    seen: set[int] = set()
    pages: list[float] = []
    while path:
        reply = api.request("GET", path)
        if reply.status != 200:
            measure.statuses.append(reply.status)
            measure.note = _problem(reply) + f" after {len(seen):,} claims"
            return measure
        pages.append(reply.ms)
        page = orjson.loads(reply.body)
        seen.update(claim["id"] for claim in page["results"])
        path = api_path(page["next"]) if page.get("next") else None
        if time.perf_counter() - started > BULK_DEADLINE:
            measure.note = f"stopped after {BULK_DEADLINE:.0f} s at {len(seen):,} claims"
            measure.statuses.append(None)
            return measure
    measure.statuses.append(200)
    measure.value = time.perf_counter() - started
    measure.note = (
        f"{len(seen):,} claims ({claims:,} in the table), {len(pages)} pages, "
        f"median page {statistics.median(pages):.0f} ms, slowest {max(pages):.0f} ms"
    )
    return measure


# --- Reporting ----------------------------------------------------------------------------------------


def report(size: int, load_info: dict[str, Any], results: dict[str, Measure]) -> None:
    print(f"\n{size:,} claims  ({_load_line(load_info)})")
    print(f"{'path':<58} {'median':>10}  {'target':<18} {'':<8} notes")
    for measure in results.values():
        notes = measure.note
        if measure.kb and measure.unit == "ms":
            notes = f"{measure.kb:.1f} KB" + (f"; {notes}" if notes else "")
        n = len(measure.samples)
        if n and measure.unit == "ms":
            notes = f"n={n}; " + notes
        print(
            f"{measure.label:<58} {measure.shown():>10}  {measure.target:<18} {measure.verdict():<8} {notes}"
        )


def _load_line(info: dict[str, Any]) -> str:
    if "reused" in info:
        return f"reused: {info['reused']}; migrate {info['migrate_seconds']} s"
    return (
        f"loaded in {info['total_seconds']} s: migrate {info['migrate_seconds']} s, "
        f"COPY {info['copy_seconds']} s, "
        f"then VACUUM ANALYZE; {info['database_mb']:,} MB"
    )


def report_growth(all_results: dict[int, dict[str, Measure]]) -> None:
    """How each path grows between the two largest sizes (100,000 to 1,000,000 in the full run)."""
    if len(all_results) < 2:
        return
    small, large = sorted(all_results)[-2:]
    before, after = all_results[small], all_results[large]
    print(f"\nGrowth from {small:,} to {large:,} claims (targets: issue 10, at 1,000,000)")
    print(f"{'path':<58} {f'{small:,}':>10} {f'{large:,}':>10} {'growth':>8}  {'target':<18}")
    for key, measure in after.items():
        old = before.get(key)
        if old is None:
            continue
        growth = f"{measure.value / old.value:.1f}x" if old.value and measure.value else ""
        print(
            f"{measure.label:<58} {old.shown():>10} {measure.shown():>10} {growth:>8}  "
            f"{measure.target:<18} {measure.verdict()}"
        )


def app_errors(log: str) -> list[tuple[str, str]]:
    """(path, the exception's last line) of each request Django logged as an internal server error.
    "canceling statement due to user request" is this benchmark's own cancel after a client timeout;
    "statement timeout" is the 30 s cut-off."""
    found = []
    for block in log.split("Internal Server Error: ")[1:]:
        lines = block.splitlines()
        causes = [
            line for line in lines[1:] if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Canceled)\b", line)
        ]
        found.append((lines[0], causes[-1] if causes else "?"))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", default=",".join(map(str, SIZES)), help="claims per database, comma-separated"
    )
    parser.add_argument("--quick", action="store_true", help="10,000 claims only (also BENCH_QUICK=1)")
    parser.add_argument("--reload", action="store_true", help="load the databases again even if they match")
    parser.add_argument("--repeats", type=int, default=None, help="timed requests per path after the warm-up")
    args = parser.parse_args()
    sizes = [10_000] if quick() else [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    if any(size < BIG_ARTICLE_CLAIMS + 20 * CLAIMS_PER_ARTICLE for size in sizes):
        parser.error(f"each size must be at least {BIG_ARTICLE_CLAIMS + 20 * CLAIMS_PER_ARTICLE:,} claims")
    repeats = args.repeats or (5 if quick() else 7)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    import django

    server_url("postgres")  # the embedded server, when there is no DATABASE_URL: started before settings
    django.setup()
    log = Path(tempfile.gettempdir()) / "bench_scale_gunicorn.log"
    log.write_bytes(b"")
    static = collect_static()
    all_results: dict[int, dict[str, Measure]] = {}
    loads: dict[int, dict[str, Any]] = {}
    for size in sizes:
        url, loads[size] = ensure_database(size, args.reload)
        print(f"Timing {size:,} claims (gunicorn log: {log})", file=sys.stderr, flush=True)
        all_results[size] = measure_size(url, size, repeats, log, static)
        report(size, loads[size], all_results[size])
    report_growth(all_results)
    failures = app_errors(log.read_text(errors="replace"))
    if failures:
        print(f"\nThe app answered 500 to {len(failures)} requests ({log}):")
        for path, cause in failures:
            print(f"  {path}: {cause}")
    figures = {
        str(size): {"load": loads[size], **{key: m.as_json() for key, m in results.items()}}
        for size, results in all_results.items()
    }
    print(json.dumps(figures, default=str))


if __name__ == "__main__":
    main()
