"""Extraction helpers shared by the spiders: page blocks, labelled metadata, listings and pagers.

Sites get redesigned, so nothing here depends on class names: a page is read as the
ordered text blocks of its content area (the part around the ``h1`` that carries the
long paragraphs), with navigation, header, footer, forms and share widgets removed.
Labelled metadata (``Place:`` ``VIENNA``) is read from that block stream whether the
labels sit in ``dt``/``dd``, ``div``s, list items or one line of text.
"""

from __future__ import annotations

import codecs
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from lxml import etree
from lxml import html as lxml_html
from lxml.cssselect import CSSSelector
from lxml.etree import ParserError
from w3lib.encoding import read_bom

from storage.normalize import clean_text, parse_date

CHROME_TAGS = ("script", "style", "noscript", "template", "nav", "header", "footer", "form",
               "svg", "iframe", "button", "select")
CHROME_ROLES = ("navigation", "banner", "contentinfo", "search", "complementary")
# Class-name hints for widgets inside the content area; hints only, never required.
CHROME_CLASS_HINTS = re.compile(
    r"(^|[\s_-])(share|sharing|social|breadcrumb|related|pager|newsletter|subscribe|"
    r"cookie|visually-hidden|sr-only|skip-link|tags|print|addtoany)([\s_-]|$)", re.I)
BLOCK_TAGS = {"p", "li", "dt", "dd", "div", "td", "th", "h2", "h3", "h4", "h5", "h6",
              "blockquote", "section", "article", "figcaption", "pre", "tr", "ul", "ol",
              "dl", "table", "main", "body", "h1", "time", "address", "aside", "figure",
              "details", "summary", "fieldset", "caption", "center", "thead", "tbody", "nav",
              "header", "footer", "form"}
PARAGRAPH_TAGS = ("p", "li", "blockquote", "h2", "h3", "h4", "h5", "h6", "div", "dd", "td", "pre",
                  "section", "article")
CHROME_TEXT = re.compile(
    r"^(join the mailing list|share( this)?:?|print|related( content| stories| news)?:?|"
    r"follow us|subscribe|tags?:|read more|back to top|download|share on \w+|"
    r"for information media|copyright\b|©)", re.I)


@dataclass
class Block:
    """A run of text with its nearest block-level element's tag."""

    tag: str
    text: str
    link_only: bool = False
    links: tuple[str, ...] = ()


@dataclass
class Page:
    """A release page reduced to title and ordered content blocks."""

    title: str | None
    blocks: list[Block] = field(default_factory=list)


def page_encoding(body: bytes, declared: str | None) -> str:
    """The encoding to read ``body`` with: UTF-8 whenever the bytes are valid UTF-8.

    Servers mislabel pages (a ``charset=iso-8859-1`` header on a UTF-8 page, or a legacy
    page that claims UTF-8). Non-ASCII bytes that decode as UTF-8 are practically never
    anything else, and bytes that do not decode as UTF-8 are not UTF-8, whatever the
    page says: then the declared encoding, or Windows-1252 (a superset of Latin-1).
    A byte-order mark wins, a UTF-16/32 page is read as declared, and a pure-ASCII page
    is read as declared (ISO-2022-JP is 7-bit: as UTF-8 it would be garbled).
    """
    bom, _ = read_bom(body)
    if bom:
        return bom
    try:
        declared = codecs.lookup(declared).name if declared else None
    except LookupError:
        declared = None
    if declared and declared.startswith(("utf-16", "utf-32")) and b"\x00" in body:
        return declared
    if body.isascii():
        return declared or "utf-8"
    try:
        body.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    return declared if declared and declared != "utf-8" else "cp1252"


XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
# Compiled once (``root.xpath(text)`` compiles the expression on every call). ``role="main"``
# elements are found as the parents of such attributes: libxml2 tests ``//*[@role='main']``'s
# predicate on every element of the page, 5x slower (60 us on a 17 kB page).
ROLE_MAIN = "//@role[.='main']/.."
_MAINS = etree.XPath(f"//main|{ROLE_MAIN}")
_MAINS_OR_ARTICLE = etree.XPath(f"//main|{ROLE_MAIN}|//article")
_H1_PATHS = tuple(etree.XPath(path) for path in ("//main//h1", f"{ROLE_MAIN}//h1", "//article//h1", "//h1"))
# Every element is an lxml.html ``HtmlElement`` (text_content, drop_tree), chosen in C:
# lxml.html's own lookup calls Python for each element the code touches (3x slower walks),
# to give forms, inputs and labels their own classes, which extraction never uses.
_HTML_CLASSES = etree.ElementDefaultClassLookup(
    element=lxml_html.HtmlElement, comment=lxml_html.HtmlComment,
    pi=lxml_html.HtmlProcessingInstruction, entity=lxml_html.HtmlEntity)


def parse_html(body: bytes | str, encoding: str | None = None):
    """An lxml tree that survives truncated or malformed HTML and wrong charsets (None if empty).

    Bytes are decoded here (``page_encoding``, undecodable bytes replaced) and lxml gets
    text: libxml2 knows fewer encodings than Python (``euc_jp``, ``utf-16-le``). Valid
    UTF-8 that starts with markup (most pages) goes to libxml2 as it is, told it is UTF-8
    (which overrides any ``<meta charset>``, as for text): the same tree without decoding
    the page and encoding it again (~50 us a page).
    """
    if isinstance(body, bytes):
        charset = page_encoding(body, encoding)
        start = body.lstrip()[:5]  # a BOM, an XML declaration or odd whitespace: as text
        if charset == "utf-8" and start[:1] == b"<" and start != b"<?xml":
            return _parse(body, etree.HTMLParser(remove_comments=True, encoding="utf-8"))
        body = body.decode(charset, errors="replace").lstrip("\ufeff")
    if not body.strip():
        return None
    return _parse(XML_DECLARATION.sub("", body, count=1), etree.HTMLParser(remove_comments=True))


def _parse(markup: bytes | str, parser: etree.HTMLParser):
    parser.set_element_class_lookup(_HTML_CLASSES)
    try:
        return lxml_html.document_fromstring(markup, parser=parser)
    except (ParserError, ValueError):
        return None


def strip_chrome(root) -> None:
    """Remove navigation, header, footer, scripts, forms and share widgets in place.

    An element that holds the ``main`` content is kept: one unclosed ``div`` in a header
    makes lxml nest the rest of the page inside the header (browsers would not). The
    chrome tags go first (``iter`` by tag runs in C, and the site menu is a big subtree),
    so the roles and class-name hints are only checked on what is left.
    """
    content = {el for main in _MAINS(root) for el in main.iterancestors()}
    for el in list(root.iter(*CHROME_TAGS)):
        if el.getparent() is not None and el not in content:
            el.drop_tree()
    doomed = [
        el for el in root.iter()
        if not isinstance(el.tag, str) or (el.get("role") or "") in CHROME_ROLES
        or el.get("aria-hidden") == "true" or _chrome_class(el.get("class") or "")
    ]
    for el in doomed:
        if el.getparent() is not None and el not in content:
            el.drop_tree()


@functools.lru_cache(maxsize=4096)
def _chrome_class(value: str) -> bool:
    """Whether a ``class`` attribute hints at a widget: a site repeats the same few
    attributes on every page, and the search costs 1-3 us each (~40 us a page)."""
    return CHROME_CLASS_HINTS.search(value) is not None


def content_root(root, h1=None):
    """The smallest ancestor of the ``h1`` that also holds the long paragraphs."""
    h1 = h1 if h1 is not None else first_h1(root)
    body = root.find("body") if root.find("body") is not None else root
    if h1 is None:
        main = _MAINS_OR_ARTICLE(root)
        return main[0] if main else body
    node = h1.getparent()
    while node is not None:
        long_paragraphs = [p for p in node.iter("p") if len(p.text_content().strip()) > 120]
        if long_paragraphs:
            return node
        node = node.getparent()
    return body


def first_h1(root):
    """The page's main heading: the first ``h1`` with text, preferring ``main``/``article``."""
    for path in _H1_PATHS:
        for h1 in path(root):
            if h1.text_content().strip():
                return h1
    return None


@functools.lru_cache(maxsize=256)
def css(selector: str) -> CSSSelector:
    """``selector`` compiled once: ``el.cssselect(selector)`` translates it to XPath and
    compiles that on every call (~10 us each)."""
    return CSSSelector(selector, translator="html")


def css_texts(root, *selectors: str) -> list[str]:
    """Texts of the elements matching the first CSS selector that matches anything.

    Selectors are class-name hints, best first; callers fall back to structure when
    none matches (``css_texts(root, ".field--name-title", "h1")``).
    """
    for selector in selectors:
        texts = [clean_text(el.text_content()).replace("\n\n", " ") for el in css(selector)(root)]
        texts = [t for t in texts if t]
        if texts:
            return texts
    return []


_TIMES_IN = etree.XPath(".//time/@datetime")
_DATE_METAS = etree.XPath("/descendant::meta[@property='article:published_time' or @itemprop='datePublished'"
                          " or @name='dcterms.date' or @name='DC.date']/@content")
_ANY_TIMES = etree.XPath("//main//time/@datetime | //article//time/@datetime | //time/@datetime")


def page_date(root) -> str | None:
    """The page's own publication date: ``time[datetime]`` in the content around the
    ``h1`` (a "latest news" sidebar has dates too), then the usual meta tags, then any."""
    h1 = first_h1(root)
    scope = content_root(root, h1)
    for values in (
            _TIMES_IN(scope) if h1 is not None else [], _DATE_METAS(root), _ANY_TIMES(root)):
        for value in values:
            iso = parse_date(value)
            if iso:
                return iso
    return None


def blocks_after(scope, start=None) -> list[Block]:
    """Ordered text blocks of ``scope`` (after element ``start`` when given).

    Text is cut at every block-level element and at ``<br><br>``, in document order, so a
    ``div`` holding a label ``div`` followed by links yields the label first and the links
    after it.
    """
    blocks: list[Block] = []
    state = {"started": start is None}
    holds_start = set(start.iterancestors()) if start is not None else set()  # kept alive: same proxies

    def flush(tag: str, parts: list[str], linked: list[str], plain: list[str]) -> None:
        joined = " ".join(parts) if state["started"] else ""
        # Whitespace between blocks (half the flushes) is never text: skip clean_text.
        text = clean_text(joined).replace("\n\n", " ") if joined and not joined.isspace() else ""
        if text:
            links = tuple(t for t in (clean_text(x) for x in linked) if t)
            link_only = bool(links) and not re.sub(r"[\W_]+", "", " ".join(plain))
            blocks.append(Block(tag, text, link_only, links))
        parts.clear()
        linked.clear()
        plain.clear()

    def walk(el) -> None:
        if el is start:
            state["started"] = True
            return
        parts, linked, plain = [el.text or ""], [], [el.text or ""]
        for child in el:
            if not isinstance(child.tag, str):
                parts.append(child.tail or "")
                plain.append(child.tail or "")
                continue
            if child.tag == "br":
                following = child.getnext()
                if following is not None and following.tag == "br" and not (child.tail or "").strip():
                    flush(el.tag, parts, linked, plain)  # <br><br>: a paragraph break
            elif child.tag in BLOCK_TAGS or child is start or child in holds_start:
                flush(el.tag, parts, linked, plain)
                walk(child)
            else:
                inner = child.text_content()
                parts.append(inner)
                (linked if child.tag == "a" else plain).append(inner)
            parts.append(child.tail or "")
            plain.append(child.tail or "")
        flush(el.tag, parts, linked, plain)

    walk(scope)
    return blocks


def is_inside(el, ancestor) -> bool:
    node = el.getparent()
    while node is not None:
        if node is ancestor:
            return True
        node = node.getparent()
    return False


def read_page(body: bytes | str, encoding: str | None = None) -> Page | None:
    """Title and content blocks of a page (None if it is not HTML at all)."""
    root = parse_html(body, encoding)
    return read_root(root) if root is not None else None


def read_root(root) -> Page:
    """Title and content blocks of a parsed page; strips the chrome from ``root`` in
    place, so read what else the page says first (one parse per page)."""
    strip_chrome(root)
    h1 = first_h1(root)
    scope = content_root(root, h1)
    title = clean_text(h1.text_content()) if h1 is not None else None
    if not title:
        og = root.xpath("//meta[@property='og:title']/@content")
        title = clean_text(og[0]) if og else None
    return Page(title=title, blocks=blocks_after(scope, h1 if h1 is not None and is_inside(h1, scope) else None))


def label_pattern(labels: Iterable[str]) -> re.Pattern:
    """A pattern for ``Label:`` (colon optional) at the start of a block."""
    return _label_pattern(tuple(labels))


@functools.lru_cache(maxsize=64)
def _label_pattern(labels: tuple[str, ...]) -> re.Pattern:
    alternatives = "|".join(re.escape(label).replace(r"\ ", r"\s+") for label in labels)
    return re.compile(rf"^(?P<label>{alternatives})\s*(?::\s*(?P<value>.*)|$)", re.I)


def read_labels(blocks: Sequence[Block], labels: Iterable[str], *, stop=None) -> tuple[dict[str, list[str]], int]:
    """Read ``Label: value`` pairs from the start of ``blocks``.

    Returns ``({label: [values]}, index of the first block after the metadata)``. A value
    may follow its label in the same block or in the next blocks; reading stops at the
    first block for which ``stop(block)`` is true (e.g. a long paragraph or a dateline).
    """
    canonical = {label.lower(): label for label in labels}
    pattern = label_pattern(labels)
    found: dict[str, list[str]] = {}
    current, end, index = None, 0, 0
    for index, block in enumerate(blocks):
        match = pattern.match(block.text)
        if match and len(block.text) < 120:
            current = canonical[" ".join(match.group("label").lower().split())]
            found.setdefault(current, [])
            if (match.group("value") or "").strip():
                found[current].append(match.group("value").strip())
            end = index + 1
            continue
        if stop and stop(block):
            break
        if current is not None and len(block.text) < 200:
            found[current].extend(block.links if block.link_only else [block.text])
            end = index + 1
            continue
        if found:
            break
    return {k: _dedupe(v) for k, v in found.items()}, end


def _dedupe(values: list[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        if value not in out:
            out.append(value)
    return out


def body_paragraphs(blocks: Sequence[Block], *, min_chars: int = 1) -> list[str]:
    """Paragraph-like blocks, stopping at the first chrome line (mailing list, share...)."""
    out: list[str] = []
    for block in blocks:
        if CHROME_TEXT.match(block.text):
            if out:
                break
            continue
        if block.link_only and len(block.text) < 80:
            continue
        if block.tag in PARAGRAPH_TAGS and len(block.text) >= min_chars and (not out or out[-1] != block.text):
            out.append(block.text)
    return out


@dataclass
class ListingRow:
    """A release linked from a listing page, with what the teaser says about it."""

    url: str
    title: str | None
    date: str | None


def listing_rows(root, page_url: str, path_pattern: re.Pattern | None = None,
                 hosts: Iterable[str] = ()) -> list[ListingRow]:
    """Release links of a listing page, in page order, without menus or pagers.

    Drupal teasers mark the title link ``rel="bookmark"``; failing that, links in
    headings of the content area, then links whose path matches ``path_pattern``.
    Links to the page's host or to ``hosts`` (the live site, for a local copy) count.
    Strips the page chrome from ``root`` in place: read the pager first.
    """
    from urllib.parse import urljoin, urlsplit

    from storage.normalize import find_date

    site = {urlsplit(page_url).hostname, *hosts}
    tree = root
    strip_chrome(tree)
    def path(href: str) -> str:
        try:
            return urlsplit(urljoin(page_url, href)).path
        except ValueError:
            return ""

    def matching(links: list) -> list:
        if path_pattern is None:
            return links
        return [a for a in links if path_pattern.search(path(a.get("href")))]

    bookmarks = _BOOKMARKS(tree)
    candidates = bookmarks or matching(
        _heading_links(tree)) or matching(tree.xpath("//a[@href]"))
    if not bookmarks:  # guessed from the markup: a sidebar's links are not the listing's
        candidates = [a for a in candidates if not a.xpath("ancestor::aside")] or candidates
    rows, seen = [], set()
    listed_inside = _listed_links_inside(candidates)
    for a in candidates:
        try:
            url = urljoin(page_url, a.get("href").strip())
            parts = urlsplit(url)
        except ValueError:  # e.g. "http://[broken": one bad link must not lose the page
            continue
        if parts.hostname not in site or parts.scheme not in ("http", "https") or url in seen:
            continue
        seen.add(url)
        date, node = None, a
        for _ in range(5):
            node = node.getparent()
            if node is None or listed_inside[node] > 1:
                break  # the row ends where the next listed link begins
            text = node.text_content()
            following = node.getnext() if node.tag == "dt" else None
            if following is not None and following.tag == "dd":  # a dl row: its details follow
                text = f"{text} {following.text_content()}"
            date = find_date(text)
            if date:
                break
        rows.append(ListingRow(url, clean_text(a.text_content()) or None, date))
    if not bookmarks and any(row.date for row in rows):
        rows = [row for row in rows if row.date]  # listing rows show their date; other links not
    return rows


def _heading_links(tree) -> list:
    """Links inside h2-h4 headings, in page order. (libxml2 evaluates the XPath
    ``//*[self::h2 or ...]//a`` in time quadratic in the number of headings.)"""
    links = (a for h in tree.iter("h2", "h3", "h4") for a in h.iter("a") if a.get("href") is not None)
    return list(dict.fromkeys(links))


def _listed_links_inside(links: list) -> dict:
    """How many of ``links`` each of their ancestors holds: one walk up per link, so a
    listing of n links costs O(n x depth), not O(n^2) (the dict keeps the element
    proxies alive, so lxml hands back the same ones)."""
    inside: dict = {}
    for a in set(links):
        for node in a.iterancestors():
            inside[node] = inside.get(node, 0) + 1
    return inside


# ``/descendant::x[test]``: ``//x[test]``, twice as fast in libxml2 (spiders/osce.py, D7_DATE).
_BOOKMARKS = etree.XPath("/descendant::a[@rel='bookmark'][@href]")
_NEXT_PATHS = tuple(etree.XPath(path) for path in (
    "/descendant::a[@rel='next']/@href", "/descendant::link[@rel='next']/@href",
    "/descendant::li[contains(@class,'next')]//a/@href"))
NEXT_TEXT = re.compile(r"^\s*(next|next page|older|more|›|»|>|next\s*[›»>])\s*$", re.I)


def next_page_url(root, page_url: str) -> str | None:
    """The pager's next page: ``rel=next``, a ``next`` item, or a ``Next`` link."""
    from urllib.parse import urljoin

    for path in _NEXT_PATHS:
        found = path(root)
        if found:
            return urljoin(page_url, found[0].strip())
    for a in root.xpath("//a[@href]"):
        if NEXT_TEXT.match(a.text_content() or "") or NEXT_TEXT.match(a.get("aria-label") or ""):
            return urljoin(page_url, a.get("href").strip())
    return None


def last_page_number(root, page_url: str) -> int | None:
    """The number N of the pager's last page (``?page=N``), when the pager tells it."""
    from urllib.parse import parse_qs, urljoin, urlsplit

    hrefs = root.xpath("//a[@rel='last']/@href | //li[contains(@class,'last')]//a/@href") or [
        a.get("href") for a in root.xpath("//a[@href]")
        if re.match(r"^\s*(last|last page)\b", a.text_content() or "", re.I)]
    for href in hrefs:
        query = parse_qs(urlsplit(urljoin(page_url, href)).query)
        if query.get("page", [""])[0].isdigit():
            return int(query["page"][0])
    return None
