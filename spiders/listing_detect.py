"""Understand any press-release listing by its structure (``releasewatch watch``).

The release rows of a listing are its repeated blocks that each hold one link plus a
date or a teaser: every link on the page is climbed up to its *block* (the largest
ancestor that links nowhere else), blocks are grouped by their tag/class path, and the
groups are scored by repetition, dates, teasers and title-like link texts; groups in
menus, headers, footers, sidebars, tag clouds and "related" boxes are left out. The
pager is the link to the next page of rows: ``rel=next``, a "Next"/"›"/"Load more"
link, the numbered pager's next number, or a link to ``?page=N+1``.

Plain lxml, no Scrapy: the spider (``spiders/watch.py``) and the CLI's preview
(``crawler/cli/watch_preview.py``) use it alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urljoin, urlsplit

from spiders.extract import ListingRow, parse_html
from storage.normalize import clean_text, find_date

NOISE = re.compile(r"(^|[\s_-])(nav|navbar|menu|header|footer|sidebar|aside|breadcrumbs?|related|tags?|"
                   r"tag-cloud|cloud|most-read|popular|trending|share|social|pager|pagination|"
                   r"newsletter|cookie|skip)([\s_-]|$)", re.I)
NOISE_TAGS = {"nav", "header", "footer", "aside", "form"}
VOLATILE_CLASS = re.compile(r"\d|^(active|first|last|odd|even|is-|has-|current|selected|featured)", re.I)
NUMERIC_DATE = re.compile(r"(?<!\d)(\d{1,2})[./](\d{1,2})[./](\d{4})(?!\d)")
NEXT_TEXT = re.compile(r"^(next|next page|next »|next ›|older|older (entries|posts|news|releases)|"
                       r"more|load more|show more|see more|view more|more news|›|»|>|>>|→)$", re.I)
PAGE_PARAMS = ("page", "p", "pg", "paged", "pagenum", "page_number")
MIN_ROWS = 3
CONTAINERS = {"ul", "ol", "dl", "table", "tbody", "thead", "main", "body", "html"}
ACTIVE = re.compile(r"(^|[\s_-])(active|current)(\s|$)", re.I)


@dataclass
class Listing:
    """What a listing page shows: its release rows, the pager, and how they were found."""

    rows: list[ListingRow] = field(default_factory=list)
    next_url: str | None = None
    pager: str | None = None  # how the next page was found: rel=next, text "Next", ?page=N+1...
    signature: str | None = None  # the rows' tag/class path, e.g. "ul.newsroom-list > li.news-item"
    problem: str | None = None  # why no rows were found


def date_in(text: str) -> str | None:
    """The first date in ``text``: words (``12 March 2024``), ISO, or ``12.3.2024`` / ``12/03/2024``
    (day first, as European press rooms print it)."""
    found = find_date(text)
    if found:
        return found
    match = NUMERIC_DATE.search(text or "")
    if match:
        day, month, year = (int(g) for g in match.groups())
        if 1 <= month <= 12 and 1 <= day <= 31:
            return f"{year:04d}-{month:02d}-{day:02d}"
    return None


def _label(el) -> str:
    classes = [c for c in (el.get("class") or "").split() if not VOLATILE_CLASS.search(c)]
    return el.tag + "".join(f".{c}" for c in sorted(classes)[:2])


def _signature(el) -> str:
    parts = []
    for node in [el, *el.iterancestors()]:
        if node.tag in ("body", "html"):
            break
        parts.append(_label(node))
    return " > ".join(reversed(parts))


def _noisy(el) -> bool:
    for node in [el, *el.iterancestors()]:
        if node.tag in NOISE_TAGS or node.get("role") in ("navigation", "banner", "contentinfo", "complementary"):
            return True
        if NOISE.search(f"{node.get('class') or ''} {node.get('id') or ''}"):
            return True
    return False


def _site_links(root, page_url: str) -> list[tuple[object, str]]:
    host = urlsplit(page_url).hostname
    page = page_url.split("#")[0]
    out = []
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        try:
            url = urljoin(page_url, href).split("#")[0]
            parts = urlsplit(url)
        except ValueError:
            continue
        if parts.scheme in ("http", "https") and parts.hostname == host and url != page:
            out.append((a, url))
    return out


def _block(a, url: str, target_of: dict, expected: str | None = None) -> object:
    """The largest ancestor of link ``a`` that links nowhere but ``url``; or, on the way
    there, the element shaped like the ``expected`` rows (a last page's single row)."""
    chain = [a]
    for node in a.iterancestors():
        if node.tag in CONTAINERS:
            break  # a list of one row is still a list, not the row
        if any(target_of.get(link, url) != url for link in node.iter("a")):
            break
        chain.append(node)
    if expected:
        for node in reversed(chain):
            if same_rows(_signature(node), expected):
                return node
    return chain[-1]


def _title(block, a) -> str:
    headings = [h for h in block.iter("h1", "h2", "h3", "h4", "h5", "h6") if clean_text(h.text_content())]
    if headings:
        return clean_text(headings[0].text_content())
    texts = [clean_text(link.text_content()) for link in block.iter("a") if link.get("href")]
    return max(texts, key=len) if texts else clean_text(a.text_content())


def _date(block) -> str | None:
    for time in block.iter("time"):
        found = date_in(time.get("datetime") or "") or date_in(time.text_content())
        if found:
            return found
    found = date_in(_text(block))
    if found:
        return found
    previous = block.getprevious()  # <dt>date</dt><dd>link</dd>
    if previous is not None and not list(previous.iter("a")):
        return date_in(_text(previous))
    return None


def _text(el) -> str:
    """``el``'s text with its parts apart (``<span>12.3.2024</span>Title``)."""
    return " ".join(" ".join(el.itertext()).split())


@dataclass
class _Group:
    signature: str
    rows: list[tuple[object, object, str]] = field(default_factory=list)  # (block, link, url)
    score: float = 0.0


def same_rows(signature: str | None, expected: str | None) -> bool:
    """Whether two row signatures name the same rows: their last two steps agree (a
    "load more" fragment lacks the page around its rows)."""
    if not signature or not expected:
        return False
    return signature.split(" > ")[-2:] == expected.split(" > ")[-2:]


def _score(group: _Group, expected: str | None = None, known_min: int = 1) -> float:
    n = len({url for _, _, url in group.rows})
    known = same_rows(group.signature, expected)  # rows like the first page's: a last page may hold one
    if n < (known_min if known else MIN_ROWS):
        return 0.0
    dated = sum(1 for block, _, _ in group.rows if _date(block)) / len(group.rows)
    teased, wordy = 0, 0
    for block, a, _ in group.rows:
        title = _title(block, a)
        rest = _text(block).replace(title, "", 1)
        teased += len(rest) >= 40
        wordy += len(title.split()) >= 4
    teased /= len(group.rows)
    wordy /= len(group.rows)
    if dated < 0.5 and teased < 0.5:
        return 0.0  # release rows carry a date or a teaser
    noisy = sum(_noisy(block) for block, _, _ in group.rows) / len(group.rows)
    if noisy > 0.5:
        return 0.0  # a menu, a sidebar, a tag cloud or a "related" box
    return n * (dated + teased * 0.6 + wordy) * (1 - noisy) * (10 if known else 1)


def detect_listing(body: bytes | str, page_url: str, encoding: str | None = None, *,
                   expected: str | None = None, known_min: int = 1) -> Listing:
    """The release rows and pager of a listing page (``Listing.problem`` says why none).

    ``expected`` is the rows' signature on an earlier page (or when the watch was added):
    rows like those win, even ``known_min`` of them (a last page may hold one release; a
    first page after a redesign must still show ``MIN_ROWS``, so pass that there).
    """
    root = parse_html(body, encoding)
    if root is None:
        return Listing(problem="the listing page is not HTML")
    for junk in root.xpath("//script|//style|//noscript|//template"):
        junk.drop_tree()
    next_url, pager = find_pager(root, page_url)
    links = _site_links(root, page_url)
    target_of = {a: url for a, url in links}
    groups: dict[str, _Group] = {}
    for a, url in links:
        if url == next_url:
            continue
        block = _block(a, url, target_of, expected)
        signature = _signature(block)
        group = groups.setdefault(signature, _Group(signature))
        if not any(url == seen for _, _, seen in group.rows):
            group.rows.append((block, a, url))
    for group in groups.values():
        group.score = _score(group, expected, known_min)
    best = max(groups.values(), key=lambda g: g.score, default=None)
    if best is None or best.score <= 0:
        return Listing(next_url=next_url, pager=pager, problem=(
            f"no release rows: no {MIN_ROWS} or more repeated blocks with one link and a date or a teaser "
            f"({len(links)} links on the page)"))
    rows = [ListingRow(url, _title(block, a) or None, _date(block)) for block, a, url in best.rows]
    return Listing(rows, next_url, pager, best.signature)


def find_pager(root, page_url: str) -> tuple[str | None, str | None]:
    """``(next page URL, how it was found)``, or ``(None, None)`` on the last page."""
    def absolute(href: str) -> str | None:
        try:
            url = urljoin(page_url, href.strip()).split("#")[0]
        except ValueError:
            return None
        return url if url != page_url and urlsplit(url).scheme in ("http", "https") else None

    for xpath in ("//a[@rel='next']/@href", "//link[@rel='next']/@href"):
        for href in root.xpath(xpath):
            if absolute(href):
                return absolute(href), "rel=next"
    anchors = [a for a in root.iter("a") if a.get("href")]
    for a in anchors:
        text = " ".join(a.text_content().split())
        label = a.get("aria-label") or a.get("title") or ""
        nextish = NEXT_TEXT.match(text) or (not text and NEXT_TEXT.match(label)) or re.match(
            r"^(go to )?next", label, re.I)
        if nextish and absolute(a.get("href")):
            return absolute(a.get("href")), f'link "{text or label}"'
    current = _current_number(root)
    numbers = [a for a in anchors if a.text_content().strip().isdigit()]
    if current is not None or len(numbers) >= 1:
        want = str((current or 1) + 1)
        for a in numbers:
            if a.text_content().strip() == want and absolute(a.get("href")):
                return absolute(a.get("href")), f"numbered pager ({want})"
    return _page_plus_one(anchors, page_url, absolute)


def _current_number(root) -> int | None:
    """The number a numbered pager marks as the current page (``aria-current``, ``active``)."""
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        text = el.text_content().strip()
        if text.isdigit() and len(text) < 4 and (el.get("aria-current") or ACTIVE.search(el.get("class") or "")):
            return int(text)
    return None


def _page_plus_one(anchors, page_url: str, absolute) -> tuple[str | None, str | None]:
    here = urlsplit(page_url)
    params = dict(parse_qsl(here.query))
    for name in PAGE_PARAMS:
        value = params.get(name, "")
        wanted = {int(value) + 1} if value.isdigit() else {1, 2}
        for a in anchors:
            url = absolute(a.get("href"))
            if not url:
                continue
            parts = urlsplit(url)
            other = dict(parse_qsl(parts.query))
            if parts.path == here.path and other.get(name, "").isdigit() and int(other[name]) in wanted:
                return url, f"?{name}={other[name]}"
    return None, None
