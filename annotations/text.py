"""Text normalisation and HTML handling for imported articles (no Django import).

Offsets into a revision always refer to its normalised plain text, so the normalisation is done once,
here, on import: Unicode NFC, every line break as `\\n`. HTML is parsed by a real HTML5 parser
(lexbor, through selectolax) and reduced to text; the HTML kept for display is cleaned by nh3.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

import nh3
from selectolax.lexbor import LexborHTMLParser, LexborNode

# Elements whose content is never article text.
_DROPPED = (
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "object",
    "embed",
    "svg",
    "math",
    "head",
    "nav",
    "aside",
    "footer",
    "form",
    "button",
    "select",
    "textarea",
    "canvas",
)
# Elements that end a paragraph of text.
_BLOCKS = frozenset(
    {
        "address",
        "article",
        "blockquote",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tr",
        "ul",
        "body",
    }
)
# Elements without an end tag, or whose end tag the parser supplies: they never deepen the tree.
_NOT_NESTING = frozenset(
    {
        *("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source"),
        *("track", "wbr", "html", "head", "body", "p", "li", "dt", "dd", "option", "optgroup", "rb"),
        *("rt", "rtc", "rp", "tr", "td", "th", "thead", "tbody", "tfoot", "colgroup", "caption"),
    }
)
_TAG = re.compile(r"<(!--|/?)(?:([a-zA-Z][^\s/>]*)([^>]*))?")
_RAW_TEXT = frozenset({"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"})
# Far deeper than any article page (they nest a few dozen deep), and libxml2's own limit, so trafilatura
# reads what is let through. lexbor takes time quadratic in the depth (15 s at 100,000) and the walk in
# html_to_text recurses, so deeper documents are refused before either sees them.
MAX_HTML_DEPTH = 256
_SPACES = re.compile(r"[ \t\f\v\u00a0]+")
_MANY_BLANK_LINES = re.compile(r"\n{3,}")

# What the sanitised display copy may keep: structure and emphasis, links without scripts.
SAFE_TAGS = {
    "p",
    "br",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "ul",
    "ol",
    "li",
    "em",
    "strong",
    "b",
    "i",
    "a",
    "q",
    "cite",
    "figure",
    "figcaption",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}


# No-break spaces look like spaces, so a reader who quotes the text types spaces: treat them as such.
_NO_BREAK_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2007": " "})


class BadArticle(ValueError):
    """An article that cannot be imported; the message says why, in an editor's words."""


# PostgreSQL's text holds neither NUL nor half of a UTF-16 surrogate pair (which is no UTF-8 at all).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable(value: str) -> str | None:
    """Why `value` cannot be stored as text (a NUL, or a lone surrogate such as JSON's "\\ud800"), or None."""
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    if found[0] == "\x00":
        return "contains a NUL character"
    return f"contains a lone surrogate (U+{ord(found[0]):04X}), which is not Unicode text"


def check_depth(html: str) -> None:
    """Raise BadArticle if `html` nests more than MAX_HTML_DEPTH elements deep.

    Counted from the tags alone, in one pass, before any parser runs: an upper bound of the parsed
    depth (end tags the parser would supply, but for those in _NOT_NESTING, are not assumed).
    """
    depth, foreign, position = 0, 0, 0
    while (tag := _TAG.search(html, position)) is not None:
        opener, name = tag[1], (tag[2] or "").lower()
        if opener == "!--":  # a comment: skip it; an unclosed one runs to the end
            position = html.find("-->", tag.start() + 4)
            if position < 0:
                return
            continue
        position = tag.end()
        if name in ("svg", "math"):
            foreign += -1 if opener == "/" else 1
        if foreign > 0 and opener == "" and (tag[3] or "").endswith("/"):
            continue  # `<path/>` ends itself in SVG and MathML (and only there: `<div/>` is an open div)
        if not name or name in _NOT_NESTING:
            continue
        if opener == "/":
            depth = max(depth - 1, 0)
            continue
        depth += 1
        if depth > MAX_HTML_DEPTH:
            raise BadArticle(f"the HTML is nested more than {MAX_HTML_DEPTH} elements deep")
        if name in _RAW_TEXT:  # its content is text, not tags: go on at its end tag (or the end)
            end = re.compile(f"</{name}", re.IGNORECASE).search(html, position)
            if end is None:
                return
            position = end.start()


def normalise(text: str) -> str:
    """The canonical form of a revision's text: NFC, `\\n` line ends, plain spaces, no blank ends."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = unicodedata.normalize("NFC", text).translate(_NO_BREAK_SPACES)
    return text.strip("\n\ufeff ")  # a BOM or blank lines at either end carry no meaning


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sanitise_html(html: str) -> str:
    """HTML safe to show: only SAFE_TAGS, no scripts, styles or event handlers, links made inert."""
    check_depth(html)
    return nh3.clean(
        html,
        tags=SAFE_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        clean_content_tags={"script", "style", "title", "noscript", "template"},
    )


def html_to_text(html: str) -> str:
    """The readable text of an HTML document or fragment, paragraphs separated by blank lines."""
    check_depth(html)
    tree = LexborHTMLParser(html)
    root = tree.css_first("article") or tree.css_first("main") or tree.body or tree.root
    if root is None:
        return ""
    for dropped in root.css(",".join(_DROPPED)):
        dropped.decompose()
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        lines = (_SPACES.sub(" ", line.replace("\n", " ")).strip() for line in "".join(current).split("\x00"))
        paragraph = "\n".join(line for line in lines if line)
        if paragraph:
            paragraphs.append(paragraph)
        current.clear()

    def walk(node: LexborNode) -> None:
        for child in node.iter(include_text=True):
            tag = child.tag
            if tag == "-text":
                current.append(child.text_content or "")
            elif tag == "br":
                current.append("\x00")  # a hard line break, unlike the newlines of the source
            elif tag in _BLOCKS:
                flush()
                walk(child)
                flush()
            elif tag in ("-comment", "!doctype"):
                continue
            else:
                walk(child)

    walk(root)
    flush()
    return normalise(_MANY_BLANK_LINES.sub("\n\n", "\n\n".join(paragraphs)))


def html_metadata(html: str) -> dict[str, str]:
    """Headline, canonical URL, byline, outlet and date, where the page declares them."""
    check_depth(html)
    tree = LexborHTMLParser(html)

    def meta(*names: str) -> str:
        for name in names:
            node = tree.css_first(f'meta[property="{name}"]') or tree.css_first(f'meta[name="{name}"]')
            if node is not None and (value := (node.attributes.get("content") or "").strip()):
                return value
        return ""

    title_node = tree.css_first("h1") or tree.css_first("title")
    canonical = tree.css_first('link[rel="canonical"]')
    return {
        "title": meta("og:title") or (title_node.text(strip=True) if title_node else ""),
        "url": (canonical.attributes.get("href") or "").strip() if canonical else meta("og:url"),
        "byline": meta("author", "article:author"),
        "outlet": meta("og:site_name"),
        "published_at": meta("article:published_time", "date"),
    }


_TRACKING_PARAMS = re.compile(r"^(utm_[a-z]+|fbclid|gclid|mc_cid|mc_eid|ref_src)$", re.IGNORECASE)


def normalise_url(url: str) -> str:
    """One spelling per source: lower-case scheme and host, no default port, fragment or tracking tags.

    Raises ValueError for anything that is not an absolute http(s) URL.
    """
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an absolute http(s) URL")
    scheme = parts.scheme.lower()
    host = parts.hostname.lower().rstrip(".")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{url!r} has an invalid port") from None
    if port and (scheme, port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING_PARAMS.match(k)]
    )
    path = parts.path or "/"
    return urlunsplit((scheme, host, path, query, ""))
