"""Load: 50 concurrent clients for 60 s against gunicorn on loopback: reads, exports, creates and edits.

    DEBUG=true .venv/bin/python benchmarks/bench_load.py            # full: 50 clients, 60 s
    DEBUG=true .venv/bin/python benchmarks/bench_load.py --quick    # what `make bench` runs: 50 clients, 15 s

Seeds its own database (`newsroom_bench_load`, recreated each run): 10 articles of ~10,000 characters,
3,000 claims (tags on each, a source on a third, a verdict on a fifth), four editors with a password (for
the HTML pages) and a bearer token each. Then serves the app as production runs it (`_serve.py`: gunicorn,
two gthread workers of two threads, DEBUG off, collected static files) and lets 50 client threads loose on
it until the time is up, each picking its next request at random from this mix (weights in `MIX`):

- reads: the API's article list, the API's claim list with a filter (tag, status, verdict, article, words,
  source domain, `updated_since`), one claim, and an article's HTML workspace page (signed in);
- exports: the claim list as `?format=w3c` and `?format=claimreview`, following the cursor one or two pages;
- creates: `POST /api/v1/claims/` by offsets, with tags and a note, on a span nobody has claimed;
- edits: `PATCH /api/v1/claims/{id}/` (a new note and tags) with `If-Match`. A client edits the claims it
  owns (a share of the seeded ones, and those it created), whose ETag it knows from its last write, so a
  412 there is an error; one edit in twenty goes to one of ten shared claims, read first, where another
  client's edit in between is a 412 that counts as expected.

Each client keeps its connection for a number of requests of its own (1, 2, 5, 10, 25 or 100) and then
opens a new one, so the server sees both keep-alive and fresh connections.

Any 5xx, connection error or timeout, or status other than the one expected (a 412 on a shared claim
aside) is an error. Afterwards the database is checked: every create that got 201 exists with the span,
text, note and tags it was sent (or those of its last edit), and every claim edited with a 200 is in the
state of its last successful write (the highest version: a write read at version v made v + 1). Exits 1 on
any error or mismatch; the gunicorn log (the tracebacks of any 5xx) is printed then.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import random
import re
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import orjson
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _serve import collect_static, free_port, quick, recreate_database, start_gunicorn, stop_gunicorn

DATABASE = "newsroom_bench_load"
QUICK = quick()
CLIENTS = 50
SECONDS = 15.0 if QUICK else 60.0
ARTICLES, CLAIMS_PER_ARTICLE, EDITORS = 10, 300, 4
SHARED_CLAIMS = 10  # edited by anyone (read, then PATCH): where a 412 is expected
SHARED_EDIT_SHARE = 0.05
REQUESTS_PER_CONNECTION = [1, 2, 5, 10, 25, 100]  # client i opens a new connection every N of these
TIMEOUT = 60.0
PASSWORD = "bench-load-password"  # noqa: S105  (benchmark only)
TAGS = ["statistic", "quote", "event", "comparison", "immigration", "public-budget", "economy", "health"]
DOMAINS = ["nyc.gov", "census.gov", "news.example", "data.example.org"]
# (kind, weight): about 60 % reads, 10 % exports, 15 % creates, 15 % edits.
MIX = [
    ("articles", 15),
    ("claims", 20),
    ("claim", 15),
    ("workspace", 10),
    ("export_w3c", 5),
    ("export_claimreview", 5),
    ("create", 15),
    ("edit", 15),
]
LABELS = {
    "articles": "GET /api/v1/articles/",
    "claims": "GET /api/v1/claims/?<filter>",
    "claim": "GET /api/v1/claims/{id}/",
    "workspace": "GET /articles/{id}/ (HTML)",
    "export_w3c": "GET /api/v1/claims/?format=w3c (a page)",
    "export_claimreview": "GET /api/v1/claims/?format=claimreview (a page)",
    "create": "POST /api/v1/claims/",
    "edit": "PATCH /api/v1/claims/{id}/",
}
WORDS = [
    *("the", "city", "mayor", "said", "council", "budget", "asylum", "seekers", "migrants", "police"),
    *("federal", "immigration", "agency", "office", "report", "program", "shelter", "housing", "cost"),
    *("year", "month", "week", "people", "officials", "state", "law", "court", "judge", "plan", "vote"),
]
LINK_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


def article_text(rng: random.Random, size: int = 10_000) -> str:
    sentences, length = [], 0
    while length < size:
        words = rng.choices(WORDS, k=rng.randint(10, 20))
        words.insert(rng.randrange(len(words)), f"{rng.randint(1, 999)},{rng.randint(0, 999):03d}")
        sentence = " ".join(words).capitalize() + "."
        sentences.append(sentence)
        length += len(sentence) + 1
    return " ".join(sentences)[:size].rstrip()


class Spans:
    """Spans of whole words nobody has claimed yet, handed out once each (a claimed span is a 400)."""

    def __init__(self, texts: dict[int, str], taken: set[tuple[int, int, int]], seed: int) -> None:
        self.texts = texts
        self.words = {a: [m.span() for m in re.finditer(r"\S+", t)] for a, t in texts.items()}
        self.used = set(taken)
        self.rng = random.Random(seed)
        self.lock = threading.Lock()

    def take(self, article: int | None = None) -> tuple[int, int, int]:
        with self.lock:
            while True:
                chosen = article if article is not None else self.rng.choice(list(self.texts))
                words = self.words[chosen]
                first = self.rng.randrange(len(words) - 12)
                span = (chosen, words[first][0], words[first + self.rng.randint(1, 10)][1])
                if span not in self.used:
                    self.used.add(span)
                    return span


@dataclass
class Reply:
    status: int | None  # None: no answer (connection error or timeout)
    body: bytes
    ms: float
    headers: dict[str, str]
    error: str = ""


class Http:
    """One client's connection: kept for `every` requests, then a new one (sooner if the server closes it)."""

    def __init__(self, port: int, token: str, cookies: dict[str, str], every: int) -> None:
        self.port, self.every = port, every
        self.token_headers = {"Authorization": f"Bearer {token}"}
        self.cookie_header = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}
        self.connection: http.client.HTTPConnection | None = None
        self.used = 0
        self.opened = 0

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def request(
        self,
        method: str,
        path: str,
        body: object = None,
        headers: dict[str, str] | None = None,
        html: bool = False,
    ) -> Reply:
        sent = (self.cookie_header if html else self.token_headers) | (headers or {})
        payload = None
        if body is not None:
            payload = orjson.dumps(body)
            sent["Content-Type"] = "application/json"
        if self.connection is None or self.used >= self.every:
            self.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
            self.used = 0
            self.opened += 1
        self.used += 1
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=payload, headers=sent)
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as error:  # timeouts are OSErrors too
            self.close()
            return Reply(
                None, b"", (time.perf_counter() - started) * 1000, {}, f"{type(error).__name__}: {error}"
            )
        ms = (time.perf_counter() - started) * 1000
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        return Reply(response.status, data, ms, {k.lower(): v for k, v in response.getheaders()})


def login(port: int, username: str) -> dict[str, str]:
    """A signed-in session's cookies, through the login form as a browser would."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    cookies: dict[str, str] = {}

    def call(method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> Any:
        sent = (headers or {}) | (
            {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}
        )
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                cookies[name] = morsel.value
        return response.status, data

    status, page = call("GET", "/accounts/login/")
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert status == 200 and match, (status, page[:300])
    form = urlencode({"username": username, "password": PASSWORD, "csrfmiddlewaretoken": match[1].decode()})
    status, page = call(
        "POST", "/accounts/login/", form.encode(), {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert status == 302 and "sessionid" in cookies, (status, page[:300])
    connection.close()
    return cookies


@dataclass
class Seeded:
    texts: dict[int, str]  # article id -> its current text
    spans: set[tuple[int, int, int]]  # (article, start, end) of the seeded claims
    claims: list[int]
    verdicts: int
    max_claim_id: int
    editors: list[str]
    tokens: dict[str, str]
    since: str  # an `updated_since` that gives a full first page


def seed(url: str) -> Seeded:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from annotations import services
    from annotations.importing import ArticleInput
    from annotations.models import ApiToken, Claim, ClaimSource, ClaimTag, Source, Tag, User
    from annotations.roles import Role

    call_command("migrate", verbosity=0, interactive=False)
    editors, tokens = [], {}
    for n in range(EDITORS):
        editor = User.objects.create(username=f"bench-load-editor-{n}", role=Role.EDITOR)
        editor.set_password(PASSWORD)
        editor.save()
        editors.append(editor)
        tokens[editor.username] = ApiToken.issue(editor, name="bench-load")[1]
    rng = random.Random(20261202)
    tags = {tag.slug: tag for tag in Tag.objects.filter(slug__in=TAGS)}
    sources = [
        Source.objects.create(url=f"https://{DOMAINS[n % len(DOMAINS)]}/report/{n}", title=f"Report {n}")
        for n in range(20)
    ]
    texts: dict[int, str] = {}
    claims: list[Claim] = []
    spans: set[tuple[int, int, int]] = set()
    for n in range(ARTICLES):
        text = article_text(rng)
        article = services.import_article(
            article_input=ArticleInput.build(
                title=f"Load article {n}", text=text, url=f"https://load.example/{n}"
            ),
            by=editors[n % EDITORS],
        ).article
        revision = article.current_revision
        assert revision is not None
        texts[article.pk] = revision.text
        words = [m.span() for m in re.finditer(r"\S+", revision.text)]
        while len(spans) < (n + 1) * CLAIMS_PER_ARTICLE:
            first = rng.randrange(len(words) - 12)
            start, end = words[first][0], words[first + rng.randint(1, 10)][1]
            if (article.pk, start, end) in spans:
                continue
            spans.add((article.pk, start, end))
            by = editors[len(claims) % EDITORS]
            verdict = rng.choice(["true", "mostly_false", "false", "mixed"]) if len(claims) % 5 == 0 else ""
            claims.append(
                Claim(
                    article=article,
                    revision=revision,
                    start=start,
                    end=end,
                    exact=revision.text[start:end],
                    prefix=revision.text[max(0, start - 32) : start],
                    suffix=revision.text[end : end + 32],
                    status="reviewed" if verdict else rng.choice(["draft", "in_review"]),
                    verdict=verdict,
                    note=f"seeded {len(claims)}",
                    created_by=by,
                    updated_by=by,
                )
            )
    claims = Claim.objects.bulk_create(claims)
    links = []
    for claim in claims:
        for slug in rng.sample(TAGS, rng.randint(1, 3)):
            links.append(ClaimTag(claim=claim, tag=tags[slug]))
    ClaimTag.objects.bulk_create(links)
    ClaimSource.objects.bulk_create(
        [
            ClaimSource(claim=c, source=sources[i % len(sources)], relation="supports")
            for i, c in enumerate(claims)
            if i % 3 == 0
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    since = datetime.now(UTC) - timedelta(seconds=1)
    return Seeded(
        texts=texts,
        spans=spans,
        claims=[c.pk for c in claims],
        verdicts=sum(1 for c in claims if c.verdict),
        max_claim_id=max(c.pk for c in claims),
        editors=[e.username for e in editors],
        tokens=tokens,
        since=since.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


@dataclass
class Write:
    claim: int
    version: int  # the version this write made
    note: str
    tags: frozenset[str]
    span: tuple[int, int, int] | None = None  # creates: (article, start, end)


@dataclass
class Outcome:
    """What one client saw: timings per endpoint, errors, and its successful writes."""

    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[tuple[str, int | None, str]] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)
    in_doubt: set[int] = field(default_factory=set)  # claims whose edit got no clear answer
    creates_in_doubt: int = 0
    conflicts: int = 0  # 412s on shared claims (expected)
    requests: int = 0
    connections: int = 0
    body_mismatches: list[str] = field(default_factory=list)


class Load:
    def __init__(self, port: int, seeded: Seeded, sessions: dict[str, dict[str, str]], spans: Spans) -> None:
        self.port, self.seeded, self.sessions, self.spans = port, seeded, sessions, spans
        self.shared = seeded.claims[:SHARED_CLAIMS]
        self.articles = list(seeded.texts)
        self.filters = [
            "tag=statistic",
            "tag=immigration,economy",
            "tag=statistic,immigration&tag_match=all",
            "status=draft",
            "status=in_review,reviewed",
            "verdict=false,mostly_false",
            "verdict=none&page_size=20",
            "anchor_state=anchored&status=draft&page_size=50",
            "q=budget",
            "q=%22asylum%20seekers%22",
            f"source_domain={DOMAINS[0]}",
            f"updated_since={quote(seeded.since)}",
            *(f"article={a}" for a in self.articles[:3]),
        ]

    def run(self, index: int, deadline: float) -> Outcome:
        rng = random.Random(1000 + index)
        user = self.seeded.editors[index % len(self.seeded.editors)]
        client = Http(
            self.port,
            self.seeded.tokens[user],
            self.sessions[user],
            REQUESTS_PER_CONNECTION[index % len(REQUESTS_PER_CONNECTION)],
        )
        out = Outcome()
        owned = self.seeded.claims[SHARED_CLAIMS:][index::CLIENTS]
        etags: dict[int, str | None] = dict.fromkeys(owned)
        kinds, weights = zip(*MIX, strict=True)
        counter = itertools.count()

        def call(kind: str, method: str, path: str, expected: tuple[int, ...], **kw: Any) -> Reply:
            reply = client.request(method, path, **kw)
            out.requests += 1
            out.timings[kind].append(reply.ms)
            if reply.status not in expected:
                text = reply.body.decode("utf-8", "replace")
                title = re.search(r"<title>(.*?)</title>", text)  # an HTML error page: its title says enough
                detail = reply.error or (title[1] if title else " ".join(text[:300].split()))
                out.errors.append((kind, reply.status, f"{method} {path}: {detail}"))
            return reply

        while time.monotonic() < deadline:
            kind = rng.choices(kinds, weights)[0]
            if kind == "articles":
                call(kind, "GET", rng.choice(["/api/v1/articles/", "/api/v1/articles/?page_size=5"]), (200,))
            elif kind == "claims":
                call(kind, "GET", f"/api/v1/claims/?{rng.choice(self.filters)}", (200,))
            elif kind == "claim":
                call(kind, "GET", f"/api/v1/claims/{rng.choice(self.seeded.claims)}/", (200,))
            elif kind == "workspace":
                call(kind, "GET", f"/articles/{rng.choice(self.articles)}/", (200,), html=True)
            elif kind in ("export_w3c", "export_claimreview"):
                fmt = kind.removeprefix("export_")
                extra = rng.choice(["", "&tag=statistic", f"&article={rng.choice(self.articles)}"])
                path: str | None = f"/api/v1/claims/?format={fmt}{extra}"
                for _ in range(rng.randint(2, 3)):  # the first page, then one or two more by the cursor
                    assert path is not None
                    reply = call(kind, "GET", path, (200,))
                    found = LINK_NEXT.search(reply.headers.get("link", ""))
                    if reply.status != 200 or not found or time.monotonic() >= deadline:
                        break
                    path = urlsplit(found[1])._replace(scheme="", netloc="").geturl()
            elif kind == "create":
                span = self.spans.take()
                note = f"load create c{index} n{next(counter)}"
                tags = rng.sample(TAGS, rng.randint(1, 3))
                body = {"article": span[0], "start": span[1], "end": span[2], "tags": tags, "note": note}
                reply = call(kind, "POST", "/api/v1/claims/", (201,), body=body)
                if reply.status == 201:
                    claim = int(reply.headers["location"].rstrip("/").rsplit("/", 1)[1])
                    out.writes.append(Write(claim, 1, note, frozenset(tags), span))
                    etags[claim] = reply.headers.get("etag")
                elif reply.status is None or reply.status >= 500:
                    out.creates_in_doubt += 1
            else:
                shared = rng.random() < SHARED_EDIT_SHARE
                claim = rng.choice(self.shared) if shared else rng.choice(list(etags))
                etag = None if shared else etags[claim]
                if etag is None:  # not written by this client yet: read it first, as an editor's tool would
                    reply = call("claim", "GET", f"/api/v1/claims/{claim}/", (200,))
                    etag = reply.headers.get("etag")
                    if etag is None:
                        continue
                read = int(etag.strip('"').rsplit("-v", 1)[1])
                note = f"load edit c{index} n{next(counter)}"
                tags = rng.sample(TAGS, rng.randint(1, 3))
                body = {"note": note, "tags": tags}
                expected = (200, 412) if shared else (200,)
                reply = call(
                    kind, "PATCH", f"/api/v1/claims/{claim}/", expected, body=body, headers={"If-Match": etag}
                )
                if reply.status == 200:
                    out.writes.append(Write(claim, read + 1, note, frozenset(tags)))
                    if not shared:
                        etags[claim] = reply.headers.get("etag")
                        answer = orjson.loads(reply.body)
                        if (answer["note"], answer["version"]) != (note, read + 1):
                            out.body_mismatches.append(
                                f"claim {claim}: sent {note!r} on v{read}, answer {answer}"
                            )
                elif reply.status == 412 and shared:
                    out.conflicts += 1
                else:
                    out.in_doubt.add(claim)
                    if not shared:
                        etags[claim] = None  # read it again before the next edit
        client.close()
        out.connections = client.opened
        return out


def check(url: str, seeded: Seeded, outcomes: list[Outcome]) -> tuple[int, list[str], dict[str, int]]:
    """Every 201 and 200 against the database: (claims checked, mismatches, counts)."""
    import psycopg

    latest: dict[int, Write] = {}
    created: dict[int, Write] = {}
    in_doubt: set[int] = set()
    for out in outcomes:
        in_doubt |= out.in_doubt
        for write in out.writes:
            if write.span is not None:
                created[write.claim] = write
            if write.claim not in latest or write.version > latest[write.claim].version:
                latest[write.claim] = write
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            'SELECT c.id, c.article_id, c.start, c."end", c.exact, c.note, c.version,'
            " coalesce(array_agg(t.slug) FILTER (WHERE t.slug IS NOT NULL), '{}')"
            " FROM annotations_claim c LEFT JOIN annotations_claimtag ct ON ct.claim_id = c.id"
            " LEFT JOIN annotations_tag t ON t.id = ct.tag_id WHERE c.id = ANY(%s) GROUP BY c.id",
            [list(latest)],
        ).fetchall()
        extra = conn.execute(
            "SELECT count(*) FROM annotations_claim WHERE id > %s AND NOT (id = ANY(%s))",
            [seeded.max_claim_id, list(created)],
        ).fetchone()
    found = {row[0]: row for row in rows}
    mismatches = []
    for claim, write in created.items():
        row = found.get(claim)
        if row is None:
            mismatches.append(f"created claim {claim} is missing")
            continue
        article, start, end = write.span or (0, 0, 0)
        if (row[1], row[2], row[3], row[4]) != (article, start, end, seeded.texts[article][start:end]):
            mismatches.append(f"created claim {claim}: sent {write.span}, stored {row[1:5]}")
    for claim, write in latest.items():
        row = found.get(claim)
        if row is None or claim in in_doubt:
            continue
        state = (row[6], row[5], frozenset(row[7]))
        if state != (write.version, write.note, write.tags):
            mismatches.append(
                f"claim {claim}: last write v{write.version} {write.note!r} {sorted(write.tags)}, "
                f"stored v{row[6]} {row[5]!r} {sorted(row[7])}"
            )
    for out in outcomes:
        mismatches.extend(out.body_mismatches)
    counts = {
        "creates_checked": len(created),
        "claims_checked": len(latest),
        "claims_in_doubt": len(in_doubt & set(latest)),
        "creates_in_doubt": sum(out.creates_in_doubt for out in outcomes),
        "claims_created_not_acknowledged": int(extra[0]) if extra else 0,
    }
    return len(latest), mismatches, counts


def cpu_by_pid(processes: list[psutil.Process]) -> dict[int, float]:
    seconds = {}
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.Error:  # gone meanwhile
            continue
        seconds[process.pid] = times.user + times.system
    return seconds


class CpuMeter:
    """Cores used over the load: this process (the clients), gunicorn's workers, the PostgreSQL backends
    serving this benchmark's database, and the whole machine (with whatever else runs on it).

    Sampled every half second, per process: a backend that Django closes after CONN_MAX_AGE counts up to
    its last sample; one born during the load counts from zero."""

    def __init__(self, server_pid: int) -> None:
        self.server = psutil.Process(server_pid)
        self.first = self.sample()
        self.last = {key: dict(values) for key, values in self.first.items()}
        self.began = time.monotonic()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.watch, daemon=True)
        self.thread.start()

    def backends(self) -> list[psutil.Process]:
        found = []
        for process in psutil.process_iter(["name", "cmdline"]):
            if process.info["name"] == "postgres" and DATABASE in " ".join(process.info["cmdline"] or []):
                found.append(process)
        return found

    def sample(self) -> dict[str, dict[int, float]]:
        machine = psutil.cpu_times()
        return {
            "clients": cpu_by_pid([psutil.Process()]),
            "gunicorn": cpu_by_pid(self.server.children()),
            "postgres": cpu_by_pid(self.backends()),
            "machine": {0: sum(machine) - machine.idle - getattr(machine, "iowait", 0.0)},
        }

    def watch(self) -> None:
        while not self.done.wait(0.5):
            for key, values in self.sample().items():
                self.last[key].update(values)

    def cores(self) -> dict[str, float]:
        self.done.set()
        self.thread.join()
        for key, values in self.sample().items():
            self.last[key].update(values)
        seconds = time.monotonic() - self.began
        return {
            key: round(sum(cpu - self.first[key].get(pid, 0.0) for pid, cpu in now.items()) / seconds, 2)
            for key, now in self.last.items()
        }


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="15 s instead of 60 s (what `make bench` runs)")
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--seconds", type=float, default=SECONDS)
    args = parser.parse_args()
    url = recreate_database(DATABASE)
    started = time.perf_counter()
    seeded = seed(url)
    print(
        f"seeded {len(seeded.texts)} articles, {len(seeded.claims):,} claims"
        f" ({seeded.verdicts} with a verdict), "
        f"{len(seeded.editors)} editors in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    static = collect_static()
    log = Path(tempfile.gettempdir()) / "newsroom_bench_load_gunicorn.log"
    port = free_port()
    with log.open("wb") as errors:
        server = start_gunicorn(url, port, env={"STATIC_ROOT": str(static)}, stderr=errors)
    try:
        sessions = {user: login(port, user) for user in seeded.editors}
        load = Load(port, seeded, sessions, Spans(seeded.texts, seeded.spans, 7))
        outcomes: list[Outcome] = [Outcome() for _ in range(args.clients)]

        def client(i: int, deadline: float) -> None:
            outcomes[i] = load.run(i, deadline)

        print(
            f"{args.clients} clients for {args.seconds:.0f} s against gunicorn on 127.0.0.1:{port} ...",
            flush=True,
        )
        meter = CpuMeter(server.pid)
        began = time.monotonic()
        deadline = began + args.seconds
        threads = [threading.Thread(target=client, args=(i, deadline)) for i in range(args.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - began
        cores = meter.cores()
    finally:
        stop_gunicorn(server)
    checked, mismatches, counts = check(url, seeded, outcomes)
    return report(outcomes, elapsed, args, checked, mismatches, counts, log, cores)


def report(
    outcomes: list[Outcome],
    elapsed: float,
    args: argparse.Namespace,
    checked: int,
    mismatches: list[str],
    counts: dict[str, int],
    log: Path,
    cores: dict[str, float],
) -> int:
    timings: dict[str, list[float]] = defaultdict(list)
    for out in outcomes:
        for kind, values in out.timings.items():
            timings[kind].extend(values)
    errors = [error for out in outcomes for error in out.errors]
    total = sum(out.requests for out in outcomes)
    every = sorted(ms for values in timings.values() for ms in values)
    print(
        f"\nLoad benchmark ({'quick' if QUICK else 'full'}): {args.clients} clients, "
        f"{elapsed:.1f} s, gunicorn 2 gthread workers x 2 threads, DEBUG off, loopback"
    )
    print(f"{'requests':<52} {total:>8,}")
    print(f"{'requests/s':<52} {total / elapsed:>8.1f}")
    print(f"{'connections opened':<52} {sum(out.connections for out in outcomes):>8,}")
    print(f"{'errors':<52} {len(errors):>8,}")
    print(f"{'412 on a shared claim (expected)':<52} {sum(out.conflicts for out in outcomes):>8,}")
    print(
        f"{'cores: clients / gunicorn / its PostgreSQL / machine':<52} {cores['clients']:.2f} / "
        f"{cores['gunicorn']:.2f} / {cores['postgres']:.2f} / {cores['machine']:.2f} of {psutil.cpu_count()}"
    )
    print(f"\n{'endpoint':<52} {'count':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for kind, _ in MIX:
        samples = timings.get(kind)
        if samples:
            print(f"{LABELS[kind]:<52} {len(samples):>7,} {percentile(samples, 50):>8.1f} "
                  f"{percentile(samples, 95):>8.1f} {max(samples):>8.1f}")  # fmt: skip
    if every:
        print(f"{'all':<52} {len(every):>7,} {percentile(every, 50):>8.1f} {percentile(every, 95):>8.1f} "
              f"{every[-1]:>8.1f}")  # fmt: skip
    print(
        f"\nnothing lost: {counts['creates_checked']:,} creates and {checked:,} written claims checked, "
        f"{len(mismatches)} mismatches"
        f" ({counts['claims_in_doubt']} claims skipped: an edit without a clear answer;"
        f" {counts['creates_in_doubt']} creates without one;"
        f" {counts['claims_created_not_acknowledged']} claims in the database no 201 announced)"
    )
    for mismatch in mismatches[:20]:
        print(f"  MISMATCH {mismatch}")
    if errors:
        print("\nerrors by endpoint and status:")
        for (kind, status), n in Counter((kind, status) for kind, status, _ in errors).most_common():
            print(f"  {LABELS.get(kind, kind):<52} {status!s:>5} x {n}")
        for _, _, detail in errors[:10]:
            print(f"  e.g. {detail[:400]}")
        text = log.read_text("utf-8", "replace")
        print(f"\ngunicorn log ({log}, {len(text):,} characters), last 200 lines:")
        print("\n".join(text.splitlines()[-200:]))
    summary = {
        "clients": args.clients,
        "seconds": round(elapsed, 1),
        "requests": total,
        "requests_per_s": round(total / elapsed, 1),
        "errors": len(errors),
        "conflicts_412": sum(out.conflicts for out in outcomes),
        "mismatches": len(mismatches),
        "p50_p95_ms": {
            kind: [round(percentile(v, 50), 1), round(percentile(v, 95), 1)]
            for kind, v in timings.items()
            if v
        },
        "cores": cores,
        **counts,
    }
    print(json.dumps(summary))
    return 1 if errors or mismatches else 0


if __name__ == "__main__":
    raise SystemExit(main())
