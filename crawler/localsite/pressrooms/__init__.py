"""Ten local press rooms in different styles, modelled on real organisations' newsrooms,
for ``releasewatch watch`` (docs/watch.md): the tests and ``python -m bench --only watch``.

Each room is a dict of ``{path: Page}`` for ``crawler.localsite.server.LocalSite`` plus
its truth (the releases it lists), so recall, precision, titles and dates can be
measured. Styles: card grid, list with teasers, ``<article>`` list, "load more"
fragments, table, definition list, dates in text, bare paragraphs, month groups with
an image-only pager, and whole-card links.

    with press_room_site("nato") as (site, room):
        watch_url = site.url + room.listing
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from html import escape

from crawler.localsite.pressrooms.corpus import (
    Release,
    events,
    featured,
    make_releases,
    most_read,
    page,
    release_page,
)
from crawler.localsite.server import LocalSite, Page


def _d(r: Release, fmt: str) -> str:
    return r.published.strftime(fmt).replace(" 0", " ").lstrip("0")


def _num(r: Release) -> str:
    return f"{r.published.day}.{r.published.month}.{r.published.year}"


# --- rows: one release in each style -------------------------------------------------
def nato_row(r: Release) -> str:  # card grid, image link + title link, abbreviated month
    return (f'<div class="card"><a class="card__img" href="{r.path}"><img src="/img/{r.path[-3:]}.jpg" alt=""></a>'
            f'<div class="card__body"><span class="card__date">{_d(r, "%d %b. %Y")}</span>'
            f'<h3 class="card__title"><a href="{r.path}">{escape(r.title)}</a></h3></div></div>')


def coe_row(r: Release) -> str:  # list with numeric dates and teasers
    return (f'<li class="news-item"><div class="date">{r.published.strftime("%d/%m/%Y")}</div>'
            f'<a class="title" href="{r.path}">{escape(r.title)}</a><p class="teaser">{escape(r.teaser)}</p></li>')


def ohchr_row(r: Release) -> str:  # <article> teasers with <time>
    return (f'<article class="teaser"><h2><a href="{r.path}">{escape(r.title)}</a></h2>'
            f'<time datetime="{r.published.isoformat()}">{_d(r, "%d %B %Y")}</time><p>{escape(r.teaser)}</p></article>')


def unhcr_row(r: Release) -> str:  # search-result blocks, teaser, "Read more"
    return (f'<div class="result"><span class="result__type">Press release</span>'
            f'<h4><a href="{r.path}">{escape(r.title)}</a></h4><span class="result__date">{_d(r, "%d %B %Y")}</span>'
            f'<p>{escape(r.teaser)}</p><a class="more" href="{r.path}">Read more</a></div>')


def eeas_row(r: Release) -> str:  # Drupal views table
    return (f'<tr><td class="views-field-date">{r.published.strftime("%d.%m.%Y")}</td>'
            f'<td class="views-field-title"><a href="{r.path}">{escape(r.title)}</a></td>'
            '<td class="views-field-type">Press and information team</td></tr>')


def icrc_row(r: Release) -> str:  # definition list: the date in <dt>, the release in <dd>
    return (f'<dt>{_d(r, "%B %d, %Y")}</dt><dd><a href="{r.path}">{escape(r.title)}</a>'
            f'<p>{escape(r.teaser)}</p></dd>')


def mfa_row(r: Release) -> str:  # foreign ministry: the date inside a line of text
    return (f'<li><a href="{r.path}">{escape(r.title)}</a><br><span class="meta">Press release {_num(r)} '
            '| Unit for Communications</span></li>')


def oldstyle_row(r: Release) -> str:  # an old site: bare paragraphs, no classes
    return f'<p>{_d(r, "%d %B %Y")} – <a href="{r.path}">{escape(r.title)}</a></p>'


def geneva_row(r: Release) -> str:  # grouped by month (the groups are added by the page)
    return (f'<li><time datetime="{r.published.isoformat()}">{_d(r, "%d %b %Y")}</time> '
            f'<a href="{r.path}">{escape(r.title)}</a></li>')


def council_row(r: Release) -> str:  # the whole card is one link
    return (f'<div class="col"><a class="item" href="{r.path}"><h4>{escape(r.title)}</h4>'
            f'<span class="meta">Press release · {_d(r, "%d %B %Y")}</span></a></div>')


# --- pagers ------------------------------------------------------------------------
def numbered(base: str, page: int, pages: int, *, zero: bool = False) -> str:
    links = []
    for n in range(1, pages + 1):
        href = f"{base}?page={n - 1 if zero else n}" if (n > 1 or zero) else base
        links.append(f'<li class="active"><span>{n}</span></li>' if n == page
                     else f'<li><a href="{href}">{n}</a></li>')
    return f'<nav class="pager" aria-label="Pagination"><ul>{"".join(links)}</ul></nav>'


@dataclass
class Style:
    """How a press room lays out its listing: rows, their container and its pager."""

    org: str
    listing: str
    count: int
    row: Callable[[Release], str]
    wrap: Callable[[str], str]
    pager: Callable[[str, int, int], str]
    per_page: int = 8
    date_style: str = "time"
    page_url: Callable[[str, int], str] = lambda base, n: base if n == 1 else f"{base}?page={n}"
    fragment_pages: bool = False  # pages after the first are "load more" fragments
    group: Callable[[list[Release]], str] | None = None
    start: date = date(2024, 6, 14)
    extra: str = ""  # more dated links in the main column: "events", "speeches" or "featured"


def _next_text(text: str, attrs: str = "") -> Callable[[str, int, int], str]:
    def pager(base: str, n: int, pages: int) -> str:
        return f'<div class="pagination"><a href="{base}?page={n + 1}"{attrs}>{text}</a></div>' if n < pages else ""
    return pager


def _geneva_groups(rows: list[Release]) -> str:
    out, month = [], None
    for r in rows:
        if r.published.strftime("%B %Y") != month:
            if month:
                out.append("</ul>")
            month = r.published.strftime("%B %Y")
            out.append(f'<h2 class="month">{month}</h2><ul class="press-list">')
        out.append(geneva_row(r))
    return "".join(out) + "</ul>"


STYLES: dict[str, Style] = {
    "nato": Style("NATO", "/cps/en/natohq/news.htm", 24, nato_row, lambda s: f'<div class="grid">{s}</div>',
                  lambda b, n, p: numbered(b, n, p), per_page=9, date_style="meta", extra="featured"),
    "coe": Style("Council of Europe", "/en/web/portal/newsroom", 20, coe_row,
                 lambda s: f'<ul class="newsroom-list">{s}</ul>',
                 _next_text("›", ' title="Go to next page"'), date_style="jsonld"),
    "ohchr": Style("OHCHR", "/en/latest", 22, ohchr_row, lambda s: f'<div class="view-content">{s}</div>',
                   lambda b, n, p: f'<a rel="next" href="{b}?page={n + 1}">Older</a>' if n < p else "",
                   extra="events"),
    "unhcr": Style("UNHCR", "/news/press-releases", 26, unhcr_row, lambda s: f'<div class="results">{s}</div>',
                   lambda b, n, p: (f'<a class="btn load-more" href="{b}?page={n + 1}&amp;ajax=1">Load more</a>'
                                    if n < p else ""),
                   per_page=10, date_style="text",
                   page_url=lambda b, n: b if n == 1 else f"{b}?page={n}&ajax=1", fragment_pages=True),
    "eeas": Style("EEAS", "/eeas/press-material_en", 21, eeas_row,
                  lambda s: f'<table class="views-table"><thead><tr><th>Date</th><th>Title</th><th>Type</th>'
                            f'</tr></thead><tbody>{s}</tbody></table>',
                  lambda b, n, p: numbered(b, n, p, zero=True), date_style="meta", extra="events",
                  page_url=lambda b, n: b if n == 1 else f"{b}?page={n - 1}"),
    "icrc": Style("ICRC", "/en/whats-new", 18, icrc_row, lambda s: f'<dl class="news">{s}</dl>',
                  lambda b, n, p: f'<p class="next"><a href="{b}?page={n + 1}">Next page</a></p>' if n < p else "",
                  per_page=7, date_style="jsonld"),
    "mfa": Style("Ministry for Foreign Affairs", "/current-affairs/press-releases", 25, mfa_row,
                 lambda s: f'<ul class="press-releases">{s}</ul>', _next_text("»"), per_page=10,
                 date_style="text", extra="speeches"),
    "oldstyle": Style("Permanent Mission", "/press/index.html", 16, oldstyle_row,
                      lambda s: f'<div><p>Statements and press releases of the Mission.</p>{s}</div>',
                      lambda b, n, p: (f'<p><a href="/press/archive-{n + 1}.html">Older releases</a></p>'
                                       if n < p else ""),
                      per_page=6, date_style="text",
                      page_url=lambda b, n: b if n == 1 else f"/press/archive-{n}.html"),
    "geneva": Style("UN Geneva", "/en/news-and-media/press-releases", 23, geneva_row, lambda s: s,
                    lambda b, n, p: (f'<div class="arrows"><a href="{b}?page={n + 1}"><img src="/i/arrow.svg" '
                                     'alt=""></a></div>' if n < p else ""),
                    per_page=9, group=_geneva_groups),
    "council": Style("Council of the EU", "/en/press/press-releases", 17, council_row,
                     lambda s: f'<div class="row">{s}</div>', _next_text("Show more"), per_page=8,
                     date_style="jsonld"),
}


@dataclass
class PressRoom:
    """A built press room: its pages, listing path and the releases it lists."""

    name: str
    listing: str
    releases: list[Release]
    pages: dict[str, Page] = field(default_factory=dict)
    listing_pages: list[str] = field(default_factory=list)


def build(name: str, *, redesign: bool = False) -> PressRoom:
    """The pages of press room ``name``; ``redesign`` serves a listing without rows
    (a new site whose releases are rendered by a script)."""
    style = STYLES[name]
    prefix = style.listing.rsplit("/", 1)[0] if "." in style.listing.rsplit("/", 1)[-1] else style.listing
    releases = make_releases(name, style.count, prefix, style.start)
    room = PressRoom(name, style.listing, releases)
    chunks = [releases[i:i + style.per_page] for i in range(0, len(releases), style.per_page)]
    for n, rows in enumerate(chunks, 1):
        body = style.group(rows) if style.group else style.wrap("".join(style.row(r) for r in rows))
        pager = style.pager(style.listing, n, len(chunks))
        path = style.page_url(style.listing, n)
        room.listing_pages.append(path)
        if style.extra == "featured" and n == 1:
            body = featured(rows[0]) + body
        elif style.extra:
            pager += events(style.start, style.extra)
        if redesign:
            body, pager = '<div id="app" data-src="/api/news"></div><script src="/app.js"></script>', ""
        if style.fragment_pages and n > 1:
            html = f"{body}{pager}"
        else:
            html = page(style.org, "Press releases", f"<h1>Press releases</h1>{body}{pager}",
                        aside=most_read(style.start))
        room.pages[path] = Page(html)
    for i, release in enumerate(releases):
        related = [releases[j] for j in (i - 1, i + 1, i + 2) if 0 <= j < len(releases)]
        room.pages[release.path] = Page(release_page(style.org, release, related, style.date_style))
    room.pages["/robots.txt"] = Page("User-agent: *\nDisallow: /search\n", content_type="text/plain")
    return room


@contextmanager
def press_room_site(name: str, *, redesign: bool = False) -> Iterator[tuple[LocalSite, PressRoom]]:
    """Serve press room ``name`` on 127.0.0.1 (a free port)."""
    room = build(name, redesign=redesign)
    with LocalSite(room.pages) as site:
        yield site, room
