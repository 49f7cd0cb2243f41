"""XSS regression suite: a corpus of hostile payloads through every user input that is rendered, on every
page (and htmx fragment) that shows it, in headless Chromium.

A payload is caught three ways, so the suite holds with or without a Content-Security-Policy:
- execution: payloads call `__xss.push(id)` (defined by an init script before every load), `alert`,
  `confirm` or `prompt` (any dialog fails), or load `//127.0.0.1:1/xss?id` (any request there fails);
- live markup: payloads carry `data-xss`, and no element may have it, an event-handler or htmx attribute
  naming the marker, a `javascript:` link, or be one of the elements content must never become (iframe,
  base, meta, object, embed, svg, math, style, inline script, a shadow root);
- and the payload must be visible as text on the page (or be the value of its attribute), so that a page
  cannot pass by leaving the input out.

Pages and htmx swaps rendered and the payload×input pairs seen as text are counted and printed.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import Dialog, Page, Request, expect
from playwright.sync_api import Error as PlaywrightError

from annotations import services
from annotations.importing import ArticleInput, article_from_document
from annotations.models import (
    ApiToken,
    Article,
    Claim,
    LinkCheck,
    Source,
    Suggestion,
    Tag,
    UrlImport,
    User,
)
from annotations.roles import Role
from tests.browser.conftest import PASSWORD, sign_in
from tests.factories import UserFactory
from tests.local_pages import run_jobs

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MARKER_HOST = "127.0.0.1:1"

# `N#` becomes the payload's id (100, 101, ...: no id is a substring of another). Every payload is one
# line with single spaces (titles and outlets collapse whitespace) and at most 80 characters (a tag name).
_CORPUS = [
    # script tags
    "<script>__xss.push(N#)</script>",
    "<script src=//127.0.0.1:1/xss?N# data-xss></script>",
    "</script><script>__xss.push(N#)</script>",
    "<scr<script>ipt>__xss.push(N#)</scr</script>ipt>",
    "<svg><script>__xss.push(N#)</script></svg>",
    # event handlers
    "<img src=x onerror=__xss.push(N#) data-xss>",
    "<img src=//127.0.0.1:1/xss?N# data-xss>",
    "<IMG SRC=x OnErRoR=__xss.push(N#) data-xss>",
    '<img/src="x"/onerror=__xss.push(N#) data-xss>',
    "<img src=x onerror=&#95;_xss.push(N#) data-xss>",
    "<img src=x onerror=alert(N#) data-xss>",
    "<img src=x onerror=confirm(N#) data-xss>",
    "<img src=x onerror=prompt(N#) data-xss>",
    "<svg onload=__xss.push(N#) data-xss>",
    "<svg><animate onbegin=__xss.push(N#) attributeName=x dur=1s data-xss>",
    "<body onload=__xss.push(N#) data-xss>",
    "<details open ontoggle=__xss.push(N#) data-xss>",
    "<input autofocus onfocus=__xss.push(N#) data-xss>",
    "<video><source onerror=__xss.push(N#) data-xss></video>",
    "<x onmouseover=__xss.push(N#) data-xss style=display:block;height:99px>",
    # attribute and element breakouts
    '"><svg onload=__xss.push(N#) data-xss>',
    "'><svg onload=__xss.push(N#) data-xss>",
    '" onmouseover="__xss.push(N#)" data-xss="',
    "' autofocus onfocus='__xss.push(N#)' data-xss='",
    "</textarea><img src=x onerror=__xss.push(N#) data-xss>",
    "</title><img src=x onerror=__xss.push(N#) data-xss>",
    "</q></a><img src=x onerror=__xss.push(N#) data-xss>",
    "--><img src=x onerror=__xss.push(N#) data-xss><!--",
    "\"}'><img src=x onerror=__xss.push(N#) data-xss>",
    "'-alert(N#)-'",
    '";alert(N#);//',
    # javascript: URLs and frames
    '<a href="javascript:__xss.push(N#)" data-xss>link N#</a>',
    "javascript:alert(N#)",
    "<iframe srcdoc='<script>parent.__xss.push(N#)</script>' data-xss>",
    "<iframe src=javascript:parent.__xss.push(N#) data-xss>",
    "<object data=javascript:__xss.push(N#) data-xss>",
    "<embed src=//127.0.0.1:1/xss?N# data-xss>",
    # document-level injection
    "<base href=//127.0.0.1:1/xssN#/ data-xss>",
    "<meta http-equiv=refresh content=0;url=//127.0.0.1:1/xss?N# data-xss>",
    "<link rel=stylesheet href=//127.0.0.1:1/xss?N# data-xss>",
    "<style>@import '//127.0.0.1:1/xss?N#';</style>",
    "<x style=background:url(//127.0.0.1:1/xss?N#) data-xss>",
    "<template shadowrootmode=open><img src=x onerror=__xss.push(N#)></template>",
    "<noscript><p title='</noscript><img src=x onerror=__xss.push(N#)>'>",
    "<math><mtext><table><mglyph><style><img src=x onerror=__xss.push(N#)>",
    # htmx: it processes the attributes of what it swaps in
    '<div hx-get="//127.0.0.1:1/xss?N#" hx-trigger="load" data-xss>hx N#</div>',
    '<div data-hx-get="//127.0.0.1:1/xss?N#" data-hx-trigger="load" data-xss></div>',
    '<div hx-on::load="__xss.push(N#)" data-xss>on N#</div>',
    '<div hx-on:htmx:load="__xss.push(N#)" data-xss>on N#</div>',
    '<button hx-on:click="__xss.push(N#)" data-xss>b N#</button>',
    '<form hx-post="//127.0.0.1:1/xss?N#" hx-trigger="load" data-xss></form>',
    '<a hx-get=//127.0.0.1:1/xss?N# hx-trigger="load delay:1ms" data-xss>a N#</a>',
    # template injection
    "{{7*7}} N# {{ request.user }}",
    "{% debug %} N# {% now 'Y' %}",
    "${7*7} #{7*7} <%= 7*7 %> N#",
    # encoded and unicode variants
    "&lt;img src=x onerror=__xss.push(N#) data-xss&gt;",
    "%3Cimg%20src%3Dx%20onerror%3D__xss.push(N#)%3E",
    "\\u003cimg src=x onerror=__xss.push(N#)\\u003e",
    "\uff1cimg src=x onerror=__xss.push(N#) data-xss\uff1e",
    "\u202e<img src=x onerror=__xss.push(N#) data-xss>",
    "<\u200bimg src=x onerror=__xss.push(N#) data-xss>",
]
PAYLOADS = [p.replace("N#", str(100 + i)) for i, p in enumerate(_CORPUS)]
assert all(len(p) <= Tag.NAME_MAX_LENGTH and "  " not in p and p == p.strip() for p in PAYLOADS)
assert len(set(PAYLOADS)) == len(PAYLOADS)

ME = "<img src=x onerror=__xss.push(999) data-xss>me"  # the signed-in superuser: in every page's header

INIT = "window.__xss = [];"

CHECK_JS = """async (strict) => {
  await new Promise((done) => setTimeout(done, 30));  // image errors, htmx load triggers, autofocus
  document.querySelectorAll('details').forEach((d) => { d.open = true; });  // folded text, and ontoggle
  await new Promise((done) => setTimeout(done, 0));
  const problems = [];
  if (window.__xss.length) problems.push('executed: ' + JSON.stringify(window.__xss));
  if (new URL(document.baseURI).origin !== location.origin) problems.push('base URI is ' + document.baseURI);
  const forbidden = 'iframe, frame, base, meta, object, embed, svg, math, style, link, template, noscript, '
    + 'script:not([src]), [data-xss]';
  // The admin draws its own icons with inline SVG: there, only such elements naming the marker count.
  for (const el of document.body.querySelectorAll(forbidden))
    if (strict || /xss|127\\.0\\.0\\.1:1\\b/.test(el.outerHTML))
      problems.push('live element: ' + el.outerHTML.slice(0, 160));
  for (const el of document.querySelectorAll('*')) {
    if (el.shadowRoot) problems.push('shadow root on ' + el.tagName);
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase(), value = attr.value;
      if (/xss/.test(name)) problems.push('attribute ' + name + ' on ' + el.tagName);
      if (name.startsWith('on')) problems.push('event handler ' + name + '=' + value.slice(0, 80));
      if ((name.startsWith('hx-on') || name.startsWith('data-hx-on'))) problems.push('htmx handler ' + name);
      if ((name.startsWith('hx-') || name.startsWith('data-hx-')) && /127\\.0\\.0\\.1:1\\b/.test(value))
        problems.push('htmx attribute ' + name + '=' + value.slice(0, 80));
      if (['href', 'src', 'action', 'formaction', 'data', 'poster', 'srcdoc', 'xlink:href'].includes(name)
          && /^\\s*(javascript|vbscript|data):/i.test(value))
        problems.push('script URL ' + name + '=' + value.slice(0, 80));
      if (['src', 'data', 'poster', 'srcset', 'background'].includes(name) && value.includes('127.0.0.1:1'))
        problems.push('marker source ' + name + '=' + value);
    }
  }
  const values = Array.from(document.querySelectorAll('textarea, input')).map((e) => e.value);
  const text = [document.title, document.body.innerText, ...values].join('\\n').replace(/\\s+/g, ' ');
  return {problems, text};
}"""


PARTS_JS = """(selectors) => Object.fromEntries(Object.entries(selectors).map(([name, css]) => [name,
  Array.from(document.querySelectorAll(css)).map((e) => ['TEXTAREA', 'INPUT'].includes(e.tagName) ? e.value
    : e.innerText).join('\\n').replace(/\\s+/g, ' ')]))"""


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@dataclass
class Probe:
    """One browser page, watched for execution; counts what it rendered and what it saw as text."""

    page: Page
    base: str
    dialogs: list[str] = field(default_factory=list)
    marker_requests: list[str] = field(default_factory=list)
    loads: int = 0
    swaps: int = 0
    renders: set[str] = field(default_factory=set)  # the kinds of page checked
    pairs: set[tuple[str, int]] = field(default_factory=set)  # (input, payload index) seen as text
    shown: int = 0  # (input, payload, page) sightings

    def __post_init__(self) -> None:
        self.page.add_init_script(INIT)
        self.page.on("dialog", self._dialog)
        self.page.on("request", self._request)

    def _dialog(self, dialog: Dialog) -> None:
        if dialog.type == "beforeunload":
            dialog.accept()
            return
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _request(self, request: Request) -> None:
        if urlsplit(request.url).netloc == MARKER_HOST:
            self.marker_requests.append(request.url)

    def goto(self, path: str, kind: str) -> str:
        self.page.goto(self.base + path)
        self.loads += 1
        return self.check(kind)

    def check(self, kind: str) -> str:
        """Fail on any sign of execution or live markup; the page's visible text (and form values)."""
        result: dict[str, Any] = self.page.evaluate(CHECK_JS, "/admin/" not in self.page.url)
        problems = list(result["problems"])
        problems += [f"dialog {d}" for d in self.dialogs] + [f"request to {u}" for u in self.marker_requests]
        assert not problems, f"{kind} ({self.page.url}):\n" + "\n".join(problems[:20])
        self.renders.add(kind)
        return str(result["text"])

    def parts(self, selectors: dict[str, str]) -> dict[str, str]:
        """The text (or form value) of what each selector matches on the page, by name."""
        found: dict[str, str] = self.page.evaluate(PARTS_JS, selectors)
        return found

    def shows(self, text: str, kind: str, input_name: str, expected: Iterable[tuple[int, str]]) -> None:
        """Every (payload index, text) in `expected` is visible as text on the page just checked."""
        missing = [t for _, t in expected if _squash(t) not in text]
        if missing:
            at = text.find(missing[0][-22:-8])
            raise AssertionError(
                f"{kind}: {input_name} not shown as text: {missing[:5]} in {text[:300]!r} ... "
                f"{text[max(0, at - 200) : at + 100]!r}"
            )
        for index, _ in expected:
            if index >= 0:
                self.pairs.add((input_name, index))
                self.shown += 1

    def report(self, test: str) -> None:
        inputs = sorted({name for name, _ in self.pairs})
        print(
            f"\n[xss] {test}: {len(PAYLOADS)} payloads; {self.loads} page loads + {self.swaps} htmx swaps "
            f"checked ({len(self.renders)} kinds of page); {len(self.pairs)} payload×input pairs over "
            f"{len(inputs)} inputs seen as text {self.shown} times: {', '.join(inputs)}"
        )


def _probe(page: Page, live_server) -> Probe:
    probe = Probe(page, live_server.url)
    sign_in(page, live_server, ME)
    probe.loads += 2
    probe.check("article list (after sign-in)")
    return probe


def _me() -> User:
    return UserFactory.create(
        username=ME, role=Role.EDITOR, password=PASSWORD, is_staff=True, is_superuser=True
    )


def _packed(limit: int) -> list[list[int]]:
    """The payload indexes in groups whose texts, joined by spaces, fit in `limit` characters."""
    groups: list[list[int]] = [[]]
    for index in range(len(PAYLOADS)):
        if groups[-1] and len(" ".join(PAYLOADS[i] for i in [*groups[-1], index])) > limit:
            groups.append([])
        groups[-1].append(index)
    return groups


def _joined(group: list[int]) -> str:
    return " ".join(PAYLOADS[i] for i in group)


def _each(group: Iterable[int]) -> list[tuple[int, str]]:
    return [(i, PAYLOADS[i]) for i in group]


@dataclass
class Corpus:
    me: User
    users: list[User]
    tags: list[Tag]
    articles: list[Article]  # the article fields, packed
    fields: list[dict[str, list[int]]]  # per article: field name -> payload indexes in it
    big: Article  # every payload in its text, one claim on each
    claims: list[Claim]
    sources: list[Source]


def _corpus() -> Corpus:
    me = _me()
    users = User.objects.bulk_create(
        [User(username=p, role=Role.EDITOR, password="!") for p in PAYLOADS]  # "!": unusable
    )
    tags = Tag.objects.bulk_create(
        [
            Tag(name=p, slug=f"xss-{i}", facet=Tag.Facet.TOPIC, description=p, position=200 + i)
            for i, p in enumerate(PAYLOADS)
        ]
    )
    packs = {
        "article title": _packed(Article.TITLE_MAX_LENGTH),
        "outlet": _packed(Article.OUTLET_MAX_LENGTH),
        "byline": _packed(Article.BYLINE_MAX_LENGTH),
        "article text": _packed(600),
    }
    count = max(len(groups) for groups in packs.values())
    articles, fields = [], []
    for n in range(count):
        own = {name: groups[n] if n < len(groups) else [] for name, groups in packs.items()}
        text_payloads = "\n\n".join(PAYLOADS[i] for i in own["article text"])
        article_input = ArticleInput.build(
            title=_joined(own["article title"]) or f"Plain article {n}",
            outlet=_joined(own["outlet"]),
            byline=_joined(own["byline"]),
            language=PAYLOADS[n],
            text=f"Article {n} opens here.\n\n{text_payloads}\n\nIt ends with {40 + n} numbers.",
            url=f"https://news.example/xss/{n}",
        )
        article = services.import_article(article_input=article_input, by=me, now=True).article
        services.create_claim(article=article, by=me, exact=f"Article {n} opens here")
        articles.append(article)
        fields.append(own)

    paragraphs, spans = [], []
    offset = 0
    for i, payload in enumerate(PAYLOADS):
        lead = f"Paragraph {i} quotes "
        paragraphs.append(f"{lead}{payload} and says it happened {1000 + i:,} times.")
        spans.append((offset + len(lead), offset + len(lead) + len(payload)))
        offset += len(paragraphs[-1]) + 2
    text = "\n\n".join(paragraphs)
    big = services.import_article(
        article_input=ArticleInput.build(
            title=f"Corpus article {PAYLOADS[0]}", text=text, url="https://news.example/corpus"
        ),
        by=me,
        now=True,
    ).article
    claims, sources = [], []
    now = timezone.now()
    for i, (payload, (start, end)) in enumerate(zip(PAYLOADS, spans, strict=True)):
        assert text[start:end] == payload
        claim = services.create_claim(
            article=big, by=users[i], start=start, end=end, note=payload, tags=[tags[i]]
        )
        source = services.find_or_create_source(
            url=f"https://src.example/{i}/{payload}", title=payload, publisher=payload, by=me
        )
        claim = services.attach_source(
            claim=claim, source=source, relation="supports", quote=payload, by=users[i],
            expected_version=claim.version,
        )  # fmt: skip
        LinkCheck.objects.filter(source=source).update(
            checked_at=now, state=LinkCheck.State.BROKEN, status=404, error=payload,
            final_url=f"https://final.example/{i}/{payload}",
        )  # fmt: skip
        claims.append(claim)
        sources.append(source)
    # A second revision: every fifth payload gone (its claim under Needs attention), the rest reworded
    # around, so that the comparison shows payloads deleted, inserted and unchanged.
    revised = [
        f"Paragraph {i} no longer quotes it."
        if i % 5 == 0
        else p.replace("Paragraph", "Part" if i % 2 else "Para")
        for i, p in enumerate(paragraphs)
    ]  # fmt: skip
    revised.append(f"An added paragraph quotes {PAYLOADS[1]} anew.")
    services.add_revision(
        article=big,
        article_input=ArticleInput.build(title=big.title, text="\n\n".join(revised)),
        by=users[2],
        now=True,
    )
    for payload in PAYLOADS:
        ApiToken.issue(me, name=payload)
    return Corpus(me, users, tags, articles, fields, Article.objects.get(pk=big.pk), claims, sources)


def _shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1]


def test_stored_payloads_render_as_text_everywhere(page, live_server, queue):
    """Article fields, claim quotes and notes, tags, sources, link checks, usernames, tokens, history,
    revisions, suggestions: on every page and htmx fragment that shows them, and in the admin."""
    started = time.monotonic()
    corpus = _corpus()
    built = time.monotonic() - started
    probe = _probe(page, live_server)
    all_payloads = _each(range(len(PAYLOADS)))
    me_shown = [(-1, ME)]

    # The article list: titles and outlets, over its pages.
    seen = ""
    pages = -(-Article.objects.count() // 25)
    for number in range(1, pages + 1):
        seen += probe.goto(f"/?page={number}", "article list")
    probe.shows(seen, "article list", "username (header)", me_shown)
    for own in corpus.fields:
        probe.shows(seen, "article list", "article title", _each(own["article title"]))
        probe.shows(seen, "article list", "outlet", _each(own["outlet"]))

    # Each article's workspace: title, outlet, byline, language (an attribute), text.
    for n, (article, own) in enumerate(zip(corpus.articles, corpus.fields, strict=True)):
        probe.goto(f"/articles/{article.pk}/", "workspace")
        parts = probe.parts({"title": "h1", "meta": ".article-head .meta", "text": "#article-text"})
        probe.shows(parts["title"], "workspace", "article title", _each(own["article title"]))
        probe.shows(parts["meta"], "workspace", "outlet", _each(own["outlet"]))
        probe.shows(parts["meta"], "workspace", "byline", _each(own["byline"]))
        probe.shows(parts["text"], "workspace", "article text", _each(own["article text"]))
        expect(page.locator("#article-text")).to_have_attribute("lang", article.language)
        assert article.language == PAYLOADS[n][:16]
        probe.pairs.add(("language (lang attribute, 16 characters)", n))

    # The corpus article: every payload in its text, one claim on each; the fifth ones under attention.
    big = corpus.big
    kept = [i for i in range(len(PAYLOADS)) if i % 5]
    probe.goto(f"/articles/{big.pk}/", "workspace (many claims)")
    parts = probe.parts(
        {"title": "h1", "text": "#article-text", "marks": "#article-text mark", "list": "#claim-list",
         "attention": "#attention .old-quote", "suggestions": ".suggestion-item q"}
    )  # fmt: skip
    probe.shows(parts["title"], "workspace", "article title", [(0, PAYLOADS[0])])
    probe.shows(parts["text"], "workspace", "article text (highlighted)", _each(kept))
    probe.shows(parts["marks"], "workspace", "claim quote (highlight)", _each(kept))
    probe.shows(parts["list"], "workspace", "claim quote (side list)", _each(kept))
    probe.shows(parts["list"], "workspace", "tag name (side list)", _each(kept))
    probe.shows(
        parts["attention"], "workspace", "claim quote (needs attention)", _each(range(0, len(PAYLOADS), 5))
    )
    hostile = [i for i, p in enumerate(PAYLOADS) if _squash(p) in parts["suggestions"]]
    assert hostile, f"no suggestion carries a payload: {parts['suggestions'][:300]}"
    probe.shows(parts["suggestions"], "workspace", "suggestion text", _each(hostile))

    # Each claim's panel (htmx), with its history (htmx): quote, note, tags, sources, link checks, users.
    for i, claim in enumerate(corpus.claims):
        opener = f"#claim-item-{claim.pk} a" if i % 5 else f'#attention [data-claim="{claim.pk}"] a'
        page.locator(opener).click()
        expect(page.locator("#claim-detail")).to_have_attribute("data-claim", str(claim.pk))
        page.locator("#claim-detail").get_by_role("link", name="History").click()
        expect(page.locator(f"#claim-history-{claim.pk} .history li").first).to_be_visible()
        probe.swaps += 2
        probe.check("claim panel + history (htmx)")
        parts = probe.parts(
            {"quote": "#claim-detail blockquote.quote", "note": "#claim-detail textarea[name=note]",
             "source": "#claim-detail .source-list > li > a", "publisher": "#claim-detail .publisher",
             "passage": "#claim-detail .source-quote", "by": "#claim-detail .panel-foot > .meta",
             "history": f"#claim-history-{claim.pk}", "final": "#claim-detail .link-check a",
             "tags": "#claim-detail .tag-option span"}
        )  # fmt: skip
        one = [(i, PAYLOADS[i])]
        for name, part in (
            ("claim quote (panel)", "quote"), ("claim note", "note"), ("source title", "source"),
            ("source publisher", "publisher"), ("source passage", "passage"),
            ("username (created by)", "by"), ("username (history)", "history"),
        ):  # fmt: skip
            probe.shows(parts[part], "claim panel", name, one)
        probe.shows(
            parts["history"],
            "claim panel",
            "source title (history)",
            [(i, f"Attached source “{PAYLOADS[i]}”")],
        )
        probe.shows(
            parts["history"], "claim panel", "claim quote (history)", [(i, f"Claimed “{PAYLOADS[i]}”")]
        )
        probe.shows(
            parts["final"], "claim panel", "link check final URL", [(i, f"https://final.example/{i}/")]
        )
        if i == 0:
            probe.shows(parts["tags"], "claim panel", "tag name (picker)", all_payloads)
        tip = page.locator("#claim-detail .link-broken").get_attribute("title")
        assert tip == PAYLOADS[i]
        probe.pairs.add(("link check error (title attribute)", i))
        source_href = page.locator("#claim-detail .source-list > li > a").get_attribute("href")
        assert source_href == corpus.sources[i].url
        probe.pairs.add(("source URL (href)", i))
        descriptions = page.locator("#claim-detail .tag-option").evaluate_all("els => els.map(e => e.title)")
        assert PAYLOADS[i] in descriptions
        probe.pairs.add(("tag description (title attribute)", i))

    # Saves through the panel: each answer swaps the panel, the claim's item and its text out of band.
    for i in (1, 6, 21, 33, 46):
        claim = corpus.claims[i]
        page.locator(f"#claim-item-{claim.pk} a").click()
        expect(page.locator("#claim-detail")).to_have_attribute("data-claim", str(claim.pk))
        other = PAYLOADS[(i + 7) % len(PAYLOADS)]
        page.locator("#claim-detail textarea[name=note]").fill(other)
        page.locator(f'#claim-detail input[value="xss-{(i + 3) % len(PAYLOADS)}"]').check()
        page.locator("#claim-detail").get_by_role("button", name="Save").click()
        expect(page.locator("#claim-detail .saved")).to_be_visible()
        probe.swaps += 2
        probe.check("claim saved (htmx + out-of-band)")
        parts = probe.parts({"note": "#claim-detail textarea[name=note]", "item": f"#claim-item-{claim.pk}"})
        probe.shows(parts["note"], "claim saved", "claim note (saved)", [((i + 7) % len(PAYLOADS), other)])
        tag = (i + 3) % len(PAYLOADS)
        probe.shows(
            parts["item"], "claim saved", "tag name (claim item, out of band)", [(tag, PAYLOADS[tag])]
        )
        # Find a source: results (titles, URLs), and the query reflected when nothing matches.
        search = page.locator("#claim-detail input[name=q]")
        search.fill(PAYLOADS[i])
        expect(page.locator(f"#source-results-{claim.pk} .source-picks")).to_be_visible()
        probe.swaps += 1
        probe.check("source search (htmx)")
        parts = probe.parts({"results": f"#source-results-{claim.pk}"})
        probe.shows(parts["results"], "source search", "source title (search results)", [(i, PAYLOADS[i])])
        probe.shows(
            parts["results"],
            "source search",
            "source URL (search results)",
            [(i, f"https://src.example/{i}/")],
        )
        search.fill(f"nothing {PAYLOADS[i + 1]}")
        expect(page.locator(f"#source-results-{claim.pk} .empty")).to_be_visible()
        probe.swaps += 1
        probe.check("source search, no match (htmx)")
        parts = probe.parts({"results": f"#source-results-{claim.pk}"})
        probe.shows(
            parts["results"], "source search", "search query (source search)", [(i + 1, PAYLOADS[i + 1])]
        )
        search.fill("")

    # A suggestion claimed in one click: the panel and the lists swap (htmx).
    item = page.locator(".suggestion-item", has_text="xss").first
    suggestion_id = item.get_attribute("id")
    item.get_by_role("button", name="Claim it").click()
    expect(page.locator(f"#{suggestion_id}")).to_have_count(0)
    probe.swaps += 1
    probe.check("suggestion accepted (htmx)")

    # A panel opened by URL, and a history page of its own.
    for i in (3, 27):
        claim = corpus.claims[i]
        probe.goto(f"/articles/{big.pk}/?claim={claim.pk}", "workspace with claim panel")
        parts = probe.parts(
            {"note": "#claim-detail textarea[name=note]", "source": "#claim-detail .source-list"}
        )
        probe.shows(parts["note"], "workspace", "claim note (full page)", [(i, PAYLOADS[i])])
        probe.shows(parts["source"], "workspace", "source title (full page)", [(i, PAYLOADS[i])])
        probe.goto(f"/claims/{claim.pk}/history/", "claim history")
        parts = probe.parts({"quote": "blockquote.quote", "history": ".history"})
        probe.shows(parts["quote"], "claim history", "claim quote (history page)", [(i, PAYLOADS[i])])
        probe.shows(parts["history"], "claim history", "username (history page)", [(i, PAYLOADS[i])])
        probe.shows(parts["history"], "claim history", "source passage (history page)", [(i, PAYLOADS[i])])

    # Every claim, over the list's pages: quotes, article titles (cut at 60), tags.
    seen = ""
    for number in range(1, -(-Claim.objects.count() // 50) + 1):
        seen += probe.goto(f"/claims/?page={number}", "claim list")
    probe.shows(seen, "claim list", "claim quote (claim list)", all_payloads)
    probe.shows(seen, "claim list", "tag name (claim list)", all_payloads)
    for own in corpus.fields:
        title = _joined(own["article title"])
        if title:
            probe.shows(
                seen,
                "claim list",
                "article title (claim list)",
                [(own["article title"][0], _shortened(title, 60))],
            )

    # Revisions: the list, the old and new texts with their claims, and the word diff.
    seen = probe.goto(f"/articles/{big.pk}/revisions/", "revision list")
    probe.shows(seen, "revision list", "username (revision author)", [(2, PAYLOADS[2])])
    seen = probe.goto(f"/articles/{big.pk}/revisions/1/", "revision detail")
    probe.shows(seen, "revision detail", "article text (old revision)", all_payloads)
    probe.shows(seen, "revision detail", "claim quote (old revision)", all_payloads)
    seen = probe.goto(f"/articles/{big.pk}/revisions/2/", "revision detail")
    probe.shows(seen, "revision detail", "username (revision author)", [(2, PAYLOADS[2])])
    seen = probe.goto(f"/articles/{big.pk}/revisions/compare/?from=1&to=2", "revision compare")
    probe.shows(seen, "revision compare", "article text (diff, unchanged)", _each(kept))
    sides = page.evaluate(
        """() => ['ins', 'del'].map((drop) => {
             const copy = document.getElementById('revision-diff').cloneNode(true);
             copy.querySelectorAll(drop + ', summary').forEach((e) => e.remove());
             return copy.textContent; })"""
    )
    texts = dict(big.revisions.values_list("number", "text"))
    assert sides == [texts[1], texts[2]], "the diff's two sides are not the two texts"
    probe.pairs.update(("article text (diff, both sides as text)", i) for i in range(len(PAYLOADS)))

    # API tokens: every name.
    seen = probe.goto("/account/tokens/", "API tokens")
    probe.shows(seen, "API tokens", "token name", all_payloads)

    # The admin's changelists, and one change form.
    admin_pages = {
        "article": ("article title", corpus.fields[0]["article title"]),
        "claim": ("claim quote (admin)", []),
        "tag": ("tag name (admin)", range(len(PAYLOADS))),
        "source": ("source title (admin)", range(len(PAYLOADS))),
        "apitoken": ("token name (admin)", range(len(PAYLOADS))),
        "user": ("username (admin)", range(len(PAYLOADS))),
        "claimsource": ("claim source (admin)", []),
        "suggestion": ("suggestion (admin)", []),
        "linkcheck": ("link check (admin)", []),
        "revision": ("revision (admin)", []),
        "urlimport": ("url import (admin)", []),
    }
    for model, (name, indexes) in admin_pages.items():
        seen = probe.goto(f"/admin/annotations/{model}/", "admin changelist")
        probe.shows(seen, "admin", name, _each(indexes))
    seen = probe.goto(f"/admin/annotations/source/{corpus.sources[5].pk}/change/", "admin change form")
    probe.shows(seen, "admin change form", "source title (admin form)", [(5, PAYLOADS[5])])
    seen = probe.goto("/admin/", "admin index (recent actions)")

    probe.report("stored")
    print(f"[xss] data built in {built:.1f}s, browser part {time.monotonic() - started - built:.1f}s")
    assert probe.loads >= 40 and probe.swaps >= 100
    assert len(probe.pairs) >= 15 * len(PAYLOADS)
    assert Suggestion.objects.filter(article=big).exists()


def test_reflected_search_and_filter_parameters_render_as_text(page, live_server):
    """Searches and filters echo what was asked (the search box, the errors of a bad filter value, the
    paging links): every payload through each parameter of both lists, and the list searches as typed."""
    me = _me()
    words = " ".join(f"w{n}x" for n in range(60))
    article = services.import_article(
        article_input=ArticleInput.build(title="Plain", text=f"{words} with 42 numbers."), by=me
    ).article
    for n in range(60):  # two pages of claims, so that the paging links (which carry the query) show
        services.create_claim(article=article, by=me, exact=f"w{n}x")
    probe = _probe(page, live_server)
    # The free-text parameters (echoed in their boxes) take five payloads at once, the choice filters
    # (whose errors may name the value) one each.
    article_params = ["tag", "status", "verdict", "attention"]
    claim_params = ["tag", "status", "verdict", "anchor_state", "source_link"]
    for path, params, texts in (
        ("/", article_params, ["q"]),
        ("/claims/", claim_params, ["q", "source_domain"]),
    ):
        for first in range(0, len(PAYLOADS), 5):
            batch = list(range(first, min(first + 5, len(PAYLOADS))))
            query = {name: _joined(batch) for name in texts}
            chosen = {name: batch[k % len(batch)] for k, name in enumerate(params)}
            query |= {name: PAYLOADS[i] for name, i in chosen.items()}
            seen = probe.goto(f"{path}?{urlencode(query)}", f"{path} filtered")
            values = probe.parts({name: f"input[name={name}]" for name in texts})
            for name in texts:
                probe.shows(values[name], path, f"{name} parameter ({path})", _each(batch))
            for name, i in chosen.items():
                if _squash(PAYLOADS[i]) in seen:  # a choice filter's error may name the value
                    probe.shows(seen, path, f"{name} parameter, in its error ({path})", [(i, PAYLOADS[i])])
        # Unknown parameters ride along in the paging links' query strings.
        probe.goto(f"{path}?{urlencode({'zzz': PAYLOADS[20], PAYLOADS[21]: 'x'})}", f"{path} paging links")
        probe.goto(f"{path}?page={urlencode({'x': PAYLOADS[22]})}", f"{path} bad page number")
    # Typed into the search box: htmx swaps the results and pushes the URL.
    for path in ("/", "/claims/"):
        probe.goto(path, "list")
        for i in (0, 20, 31, 52):
            page.get_by_role("searchbox").fill(PAYLOADS[i])
            page.wait_for_function("q => new URL(location.href).searchParams.get('q') === q", arg=PAYLOADS[i])
            expect(page.locator(".count").first).to_be_visible()
            probe.swaps += 1
            seen = probe.check(f"{path} search (htmx)")
            probe.shows(seen, path, f"search query typed ({path})", [(i, PAYLOADS[i])])
    for value in (PAYLOADS[21], "1", "1 OR 1=1"):
        probe.goto(
            f"/articles/{article.pk}/revisions/compare/?{urlencode({'from': value, 'to': PAYLOADS[29]})}",
            "revision compare, bad numbers",
        )
    probe.goto(f"/articles/{article.pk}/?{urlencode({'claim': PAYLOADS[5]})}", "workspace, bad claim")
    for i in (0, 5, 20, 45):
        seen = probe.goto(f"/sources/search/?{urlencode({'q': PAYLOADS[i]})}", "source search (direct)")
        probe.shows(seen, "source search", "search query (source search)", [(i, PAYLOADS[i])])
    probe.report("reflected")
    assert len(probe.pairs) >= 2 * len(PAYLOADS)


def test_pasted_and_uploaded_articles_through_the_form(page, live_server, tmp_path: Path):
    """The add-article form: its fields echoed back on an error, a pasted article, an uploaded HTML
    file whose markup is cleaned and whose escaped payloads are text, and an API token named by the form."""
    _me()
    probe = _probe(page, live_server)
    title, outlet, byline = _joined(_packed(500)[0]), _joined(_packed(200)[1]), _joined(_packed(300)[2])
    texts = "\n\n".join(PAYLOADS)
    probe.goto("/articles/new/", "add article")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Outlet").fill(outlet)
    page.get_by_label("Byline").fill(byline)
    page.get_by_label("Paste the text").fill(texts)
    page.get_by_label("Published").fill(PAYLOADS[33])  # not a date: the form comes back, filled in
    page.get_by_role("button", name="Add article").click()
    expect(page.locator(".error").first).to_be_visible()
    seen = probe.check("add article, refused")
    for name, group in (("article title (form)", _packed(500)[0]), ("outlet (form)", _packed(200)[1])):
        probe.shows(seen, "add article", name, _each(group))
    probe.shows(seen, "add article", "article text (form)", _each(range(len(PAYLOADS))))
    page.get_by_label("Published").fill("2024-02-03")
    page.get_by_role("button", name="Add article").click()
    page.wait_for_url(re.compile(r"/articles/\d+/$"))
    probe.loads += 1
    seen = probe.check("workspace (pasted)")
    probe.shows(seen, "workspace", "article text (pasted)", _each(range(len(PAYLOADS))))
    probe.shows(seen, "workspace", "byline (pasted)", _each(_packed(300)[2]))
    probe.shows(seen, "workspace", "article title (pasted)", _each(_packed(500)[0]))

    # An HTML file: raw payloads are markup the cleaner drops; escaped ones are the article's text.
    raw = "".join(f"<p>{p}</p>" for p in PAYLOADS)
    escaped = "".join(f"<p>Said: {html.escape(p)} in full.</p>" for p in PAYLOADS)
    document = (
        f"<html><head><title>{html.escape(PAYLOADS[20])}</title>"
        f'<meta name="author" content="{html.escape(PAYLOADS[21])}">'
        f'<meta property="og:site_name" content="{html.escape(PAYLOADS[22])}"></head>'
        f"<body><article><h1>{html.escape(PAYLOADS[20])}</h1>{escaped}{raw}</article></body></html>"
    )
    upload = tmp_path / "hostile.html"
    upload.write_text(document)
    stored = article_from_document(upload.name, document.encode())
    probe.goto("/articles/new/", "add article")
    page.get_by_label("…or upload a .txt or .html file").set_input_files(str(upload))
    page.get_by_role("button", name="Add article").click()
    page.wait_for_url(re.compile(r"/articles/\d+/$"))
    probe.loads += 1
    seen = probe.check("workspace (uploaded HTML)")
    probe.shows(
        seen,
        "workspace",
        "article text (HTML upload)",
        [(i, f"Said: {p} in full.") for i, p in enumerate(PAYLOADS)],
    )
    probe.shows(seen, "workspace", "article title (HTML upload)", [(20, stored.title)])
    if stored.byline:
        probe.shows(seen, "workspace", "byline (HTML upload)", [(21, stored.byline)])

    # A token named through the form: the name in the one-time notice and in the list.
    for i in (0, 20, 43):
        probe.goto("/account/tokens/", "API tokens")
        page.get_by_label("Name").fill(PAYLOADS[i])
        page.get_by_role("button", name="Create token").click()
        expect(page.locator("#new-token")).to_be_visible()
        probe.loads += 1
        seen = probe.check("API token created")
        probe.shows(seen, "API tokens", "token name (created)", [(i, PAYLOADS[i])])
    probe.report("forms")


class _PathOnly(dict[str, tuple[int, bytes]]):
    """The local server's pages by path, whatever query string the request carries."""

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.split("?", 1)[0], default)


PAGES_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "pages"
# Metadata is read as text, its markup dropped (extracting._plain): these payloads survive as they are.
META_PAYLOADS = [i for i, p in enumerate(PAYLOADS) if "<" not in p and "&" not in p and "\uff1c" not in p]


def _hostile_page(n: int, group: list[int]) -> bytes:
    """The local news page, its headline, author and outlet taken over by payloads, its language by a
    payload, and payloads in its text (escaped: text) and after it (raw: markup the extractor drops)."""
    title, author, site = (PAYLOADS[META_PAYLOADS[(n + k) % len(META_PAYLOADS)]] for k in range(3))
    page = (
        (PAGES_DIR / "cookie-banner-and-nav.html")
        .read_text()
        .replace("New York's shelter costs force budget cuts, mayor says", html.escape(title))
        .replace("City budget cuts follow migrant arrivals", html.escape(title))
        .replace("Dana Whitfield", html.escape(author))
        .replace("The Metro Ledger", html.escape(site))
        .replace("shelter-costs-budget-cuts", f"shelter-costs-budget-cuts-{n}")
        .replace('lang="en-US"', f'lang="{html.escape(PAYLOADS[group[0]][:16])}"')
    )
    escaped = "".join(
        f"<p>The report quotes {html.escape(PAYLOADS[i])} as written, and more.</p>" for i in group
    )
    raw = "".join(f"<p>{PAYLOADS[i]}</p>" for i in group)
    return (
        page.replace("<h2>What the council says</h2>", f"{escaped}<h2>What the council says</h2>")
        .replace("</body>", f"{raw}</body>")
        .encode()
    )


def test_url_import_of_a_hostile_page(page, live_server, pages, queue):
    """A page fetched by URL: its title, byline, outlet, language and text, on the progress page and the
    article's; the URL itself (with a payload in its query) and a failed import's error."""
    _me()
    pages.pages = _PathOnly()
    probe = _probe(page, live_server)
    groups = [list(range(k, min(k + 12, len(PAYLOADS)))) for k in range(0, len(PAYLOADS), 12)]
    for n, group in enumerate(groups):
        pages.pages[f"/story/{n}"] = (200, _hostile_page(n, group))
        url = pages.url(f"/story/{n}?{urlencode({'ref': PAYLOADS[group[0]]})}")
        probe.goto("/articles/new/", "add article")
        page.get_by_label("URL").fill(url)
        page.get_by_role("button", name="Add article").click()
        page.wait_for_url(re.compile(r"/imports/\d+/$"))
        probe.loads += 1
        probe.check("URL import (queued)")
        url_import = UrlImport.objects.get(pk=int(page.url.rstrip("/").rsplit("/", 1)[1]))
        probe.shows(
            probe.parts({"url": ".meta a"})["url"],
            "URL import",
            "URL (import page)",
            [(group[0], url_import.url)],
        )
        run_jobs(queue)
        expect(page.get_by_text("The article is in.")).to_be_visible(timeout=5_000)
        probe.swaps += 1
        url_import.refresh_from_db()
        assert url_import.article is not None, url_import.error
        article = url_import.article
        probe.check("URL import (done, htmx)")
        title_index = META_PAYLOADS[n % len(META_PAYLOADS)]
        assert article.title == PAYLOADS[title_index], article.title
        probe.shows(
            probe.parts({"done": ".done"})["done"],
            "URL import",
            "page title (import page)",
            [(title_index, article.title)],
        )
        probe.goto(f"/articles/{article.pk}/", "workspace (URL import)")
        parts = probe.parts({"title": "h1", "meta": ".article-head .meta", "text": "#article-text"})
        probe.shows(parts["title"], "workspace", "page title (URL import)", [(title_index, article.title)])
        if article.byline:
            probe.shows(
                parts["meta"],
                "workspace",
                "page byline (URL import)",
                [(META_PAYLOADS[(n + 1) % len(META_PAYLOADS)], article.byline)],
            )
        if article.outlet:
            probe.shows(
                parts["meta"],
                "workspace",
                "page outlet (URL import)",
                [(META_PAYLOADS[(n + 2) % len(META_PAYLOADS)], article.outlet)],
            )
        assert article.current_revision is not None
        stored = article.current_revision.text
        quoted = [(i, f"The report quotes {PAYLOADS[i]} as written") for i in group]
        kept = [(i, t) for i, t in quoted if t in stored]
        assert len(kept) >= len(quoted) // 2, f"the extractor kept {len(kept)} of {len(quoted)} paragraphs"
        probe.shows(parts["text"], "workspace", "page text (URL import)", kept)
        expect(page.locator("#article-text")).to_have_attribute("lang", article.language)

    # A page with no article: the error, and the URL, shown as text.
    pages.pages["/index"] = (200, (PAGES_DIR / "index-page.html").read_bytes())
    url = pages.url(f"/index?{urlencode({'q': PAYLOADS[5]})}")
    probe.goto("/articles/new/", "add article")
    page.get_by_label("URL").fill(url)
    page.get_by_role("button", name="Add article").click()
    page.wait_for_url(re.compile(r"/imports/\d+/$"))
    run_jobs(queue)
    expect(page.get_by_role("alert")).to_contain_text("The import failed", timeout=5_000)
    probe.loads += 1
    probe.swaps += 1
    seen = probe.check("URL import (failed)")
    failed = UrlImport.objects.order_by("pk").last()
    assert failed is not None and failed.error
    probe.shows(seen, "URL import", "import error", [(-1, failed.error)])
    probe.shows(seen, "URL import", "URL (failed import page)", [(5, failed.url)])
    probe.report("URL import")


@pytest.mark.csp_refusals_expected  # raw payloads on purpose: the policy refuses what they try to run
def test_the_detector_sees_a_payload_that_gets_in(page, live_server):
    """The checks themselves: the corpus put into a page as markup (as an unescaped template would) is
    caught, by execution, live elements or attributes, payload by payload."""
    _me()
    probe = _probe(page, live_server)
    caught = 0
    missed = []
    for payload in PAYLOADS:
        try:
            probe.goto("/account/tokens/", "detector")
        except PlaywrightError:  # the last payload's refresh was still navigating
            page.wait_for_timeout(300)
            probe.goto("/account/tokens/", "detector")
        try:
            page.evaluate(
                """(markup) => { const box = document.createElement('div');
                 document.getElementById('main').append(box); box.innerHTML = markup; htmx.process(box); }""",
                payload,
            )
            probe.check("detector")
        except (AssertionError, PlaywrightError):  # a check failed, or the payload navigated away
            caught += 1
        else:
            missed.append(payload)
        probe.dialogs.clear()
        probe.marker_requests.clear()
    # Those that stay text even as markup: template syntax, quotes for a script context, attribute
    # breakouts outside an attribute, entities, URL and unicode escapes, a bare javascript: URL,
    # fullwidth brackets, `<` before a zero-width space or `%`, a filter bypass that only works on a
    # filter; and `<body onload>`, which a div's markup ignores (in a page it would add to the body).
    inert = ("<scr<script>", "<body ", "<\u200b", "${")
    harmless = [p for p in PAYLOADS if "<" not in p or p.startswith(("&lt;", *inert))]
    print(f"\n[xss] detector: caught {caught} of {len(PAYLOADS)} payloads put in as markup")
    assert set(missed) <= set(harmless), f"caught {caught} of {len(PAYLOADS)}; missed {missed}"
