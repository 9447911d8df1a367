"""A local copy of press.un.org (docs/sites.md, "press.un.org").

Drupal pages with the site header and footer, the document type as a link, the symbol
near the top, the date in ``.field--name-field-dated time[datetime]``, the title in
``h1`` and the body in ``.field--name-body``; listings per body paged with ``?page=N``;
and the site RSS feed with Drupal's ``NNN at https://press.un.org`` guids.

``markup="live"`` (``build_site``, ``release_page``, ``listing_page``, ``rss``) is the
markup press.un.org serves as public scrapers read it (docs/sites.md, "press.un.org"):
document type in ``div.field--name-field-doctype`` (an entity-reference link
``<a href="/en/press-release" hreflang="en">Press Release</a>``), date in
``div.field--name-field-dated time`` printed ``%d %B %Y``, title in
``field--name-field-display-title``, a subtitle line under it for Meetings Coverage
(``9431st Meeting (AM)``), body in ``div.field--name-body.field--type-text-with-summary``;
listing rows ``article.node--view-mode-content-list-item`` with
``field--name-field-display-title h3 a``, ``field--name-field-dated .field__item
time[datetime]`` and ``field--name-body p``, plus rows without a body that link to live
pages (``/en/sc_live``) and are not releases; ``og:``/``article:`` meta and ``hreflang``
alternates in the head. Evidence: public scrapers found with the code search (an R
scraper of press.un.org site search reading ``field--name-body
field--type-text-with-summary``, ``field--name-field-doctype
field--type-entity-reference`` and ``field--name-field-dated field--type-datetime``
with ``%d %B %Y`` dates; Python crawlers of ``/en`` that recognise a press release by
the ``<a href="/en/press-release" hreflang="en">Press Release</a>`` link and read the
title from ``field--name-field-display-title``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape

from crawler.localsite.server import Page

BODIES = {
    "security-council": "Security Council",
    "general-assembly": "General Assembly",
    "secretary-general": "Secretary-General",
}
TYPE_PATHS = {"Press Release": "/en/press-release", "Meetings Coverage": "/en/meetings-coverage",
              "Statement": "/en/statement"}


@dataclass
class PressRelease:
    """One press.un.org document."""

    path: str
    symbol: str
    document_type: str
    body_slug: str
    date: str  # ISO date
    title: str
    paragraphs: list[str]
    node: int = 0


def sample_releases() -> list[PressRelease]:
    """Three releases of different document types, newest first."""
    return [
        PressRelease(
            path="/en/2023/sgsm21950.doc.htm", symbol="SG/SM/21950", document_type="Statement",
            body_slug="secretary-general", date="2023-09-21", node=237001,
            title="Secretary-General Welcomes Cooperation with OSCE on Conflict Prevention, in Message to Ministerial Meeting",
            paragraphs=[
                "The following message by UN Secretary-General António Guterres was delivered today to the "
                "meeting of the Organization for Security and Co-operation in Europe (OSCE) in New York:",
                "I thank the Chairpersonship for bringing us together. Our two Organizations share a "
                "commitment to dialogue, to the peaceful settlement of disputes and to the protection of "
                "human rights across the OSCE region, from Vancouver to Vladivostok.",
                "From the Western Balkans to Central Asia, our field presences work side by side to "
                "prevent conflict, support elections and build institutions that serve people. That "
                "cooperation has never been more needed than it is today.",
                "I count on your continued engagement, and I wish you a productive meeting.",
            ]),
        PressRelease(
            path="/en/2023/sc15431.doc.htm", symbol="SC/15431", document_type="Meetings Coverage",
            body_slug="security-council", date="2023-09-20", node=236950,
            title="Security Council Hears Briefing on Cooperation between United Nations, Regional "
                  "Organizations in Maintaining International Peace and Security",
            paragraphs=[
                "The Security Council today heard a briefing by the Chairperson-in-Office of the "
                "Organization for Security and Co-operation in Europe (OSCE) on cooperation between "
                "the United Nations and regional and subregional organizations.",
                "Opening the meeting, the Chairperson-in-Office said that the OSCE remains a unique "
                "platform for dialogue in a deeply divided region, and that its field operations "
                "continue to deliver concrete results on the ground, from border management to the "
                "protection of national minorities.",
                "Council members broadly welcomed the briefing. Several speakers stressed the "
                "importance of the OSCE's work in early warning and conflict prevention, while others "
                "urged the organization to respect the principle of consensus in its decisions.",
                "The meeting began at 10:05 a.m. and ended at 12:40 p.m.",
            ]),
        PressRelease(
            path="/en/2023/ga12530.doc.htm", symbol="GA/12530", document_type="Press Release",
            body_slug="general-assembly", date="2023-09-15", node=236871,
            title="General Assembly Adopts Resolution on Cooperation between United Nations and "
                  "Organization for Security and Co-operation in Europe",
            paragraphs=[
                "The General Assembly today adopted without a vote a resolution on cooperation between "
                "the United Nations and the Organization for Security and Co-operation in Europe, "
                "encouraging the two organizations to strengthen their dialogue and coordination.",
                "By the terms of the text, the Assembly welcomed the contribution of the OSCE to the "
                "maintenance of international peace and security in its region and invited the "
                "Secretary-General to continue to consult with the OSCE Chairpersonship.",
                "Introducing the draft, the representative of the country holding the OSCE "
                "Chairpersonship said that the resolution reflects the shared values of both "
                "organizations.",
            ]),
    ]


def _layout(title: str, main: str, head: str = "") -> str:
    return f"""<!DOCTYPE html>
<html lang="en" dir="ltr"><head><meta charset="utf-8">
<title>{escape(title)} | Meetings Coverage and Press Releases</title>{head}
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="alternate" type="application/rss+xml" title="Press releases" href="/en/rss.xml">
</head>
<body class="path-node page-node-type-press-release">
<a href="#main-content" class="visually-hidden focusable">Skip to main content</a>
<header role="banner" class="un-header">
 <div class="un-brand"><a href="https://www.un.org/en/">Welcome to the United Nations</a></div>
 <div class="site-name"><a href="/en" rel="home">Meetings Coverage and Press Releases</a></div>
 <nav role="navigation" aria-label="Main"><ul class="menu">
  <li><a href="/en/content/secretary-general">Secretary-General</a></li>
  <li><a href="/en/content/general-assembly">General Assembly</a></li>
  <li><a href="/en/content/security-council">Security Council</a></li>
  <li><a href="/en/content/economic-and-social-council">Economic and Social Council</a></li>
  <li><a href="/en/content/press-conferences">Press Conferences</a></li>
 </ul></nav>
</header>
<main id="main-content" role="main"><div class="region region-content">{main}</div></main>
<footer role="contentinfo" class="un-footer"><ul>
 <li><a href="https://www.un.org/en/about-us/copyright">Copyright</a></li>
 <li><a href="https://www.un.org/en/about-us/fraud-alert">Fraud Alert</a></li>
 <li><a href="https://www.un.org/en/about-us/privacy-notice">Privacy Notice</a></li>
 <li><a href="https://www.un.org/en/about-us/terms-of-use">Terms of Use</a></li></ul>
 <p>For information media. Not an official record.</p></footer>
</body></html>"""


def subtitle(rel: PressRelease) -> str | None:
    """The line under a Meetings Coverage title (``9431st Meeting (AM)``), else None."""
    if rel.document_type != "Meetings Coverage":
        return None
    number = 9000 + int(rel.symbol.rsplit("/", 1)[-1]) % 1000
    suffix = "th" if number % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix} Meeting (AM)"


def live_release_page(rel: PressRelease, base: str = "https://press.un.org") -> str:
    """A release as press.un.org serves it (module docstring)."""
    body = "".join(f"<p>{escape(p)}</p>" for p in rel.paragraphs)
    printed = datetime.fromisoformat(rel.date).strftime("%d %B %Y")
    french = rel.path.replace("/en/", "/fr/", 1)
    head = (f'<meta property="og:title" content="{escape(rel.title)}">'
            f'<meta property="article:published_time" content="{rel.date}T12:00:00-04:00">'
            f'<link rel="alternate" hreflang="en" href="{base}{rel.path}">'
            f'<link rel="alternate" hreflang="fr" href="{base}{french}">')
    sub = subtitle(rel)
    sub_html = f'<div class="field field--name-field-subtitle field--type-string field--label-hidden field__item">{escape(sub)}</div>' if sub else ""
    return _layout(rel.title, f"""
<article class="node node--type-press-release node--view-mode-full">
 <div class="field field--name-field-doctype field--type-entity-reference field--label-hidden field__item"><a href="{TYPE_PATHS[rel.document_type]}" hreflang="en">{rel.document_type}</a></div>
 <div class="field field--name-field-symbol field--type-string field--label-hidden field__item">{escape(rel.symbol)}</div>
 <div class="field field--name-field-dated field--type-datetime field--label-hidden field__item"><time datetime="{rel.date}T12:00:00Z">{printed}</time></div>
 <h1 class="page-header"><div class="field field--name-field-display-title field--type-string field--label-hidden field__item">{escape(rel.title)}</div></h1>
 {sub_html}
 <div class="clearfix text-formatted field field--name-body field--type-text-with-summary field--label-hidden field__item">{body}</div>
</article>""", head)


def release_page(rel: PressRelease, markup: str = "current", base: str = "https://press.un.org") -> str:
    if markup == "live":
        return live_release_page(rel, base)
    body = "".join(f"<p>{escape(p)}</p>" for p in rel.paragraphs)
    printed = datetime.fromisoformat(rel.date).strftime("%-d %B %Y")
    return _layout(rel.title, f"""
<article class="node node--type-press-release node--view-mode-full">
 <div class="field field--name-field-document-type"><a href="{TYPE_PATHS[rel.document_type]}">{rel.document_type}</a></div>
 <div class="field field--name-field-symbol field__item">{escape(rel.symbol)}</div>
 <div class="field field--name-field-dated"><time datetime="{rel.date}T12:00:00Z">{printed}</time></div>
 <h1 class="page-header"><span class="field field--name-title">{escape(rel.title)}</span></h1>
 <div class="clearfix text-formatted field field--name-body">{body}</div>
 <div class="field field--name-field-body-tags"><a href="/en/content/{rel.body_slug}">{BODIES[rel.body_slug]}</a></div>
</article>""")


LIVE_PAGES = {"security-council": ("/en/sc_live", "Security Council: live coverage of today's meeting")}


def _live_rows(slug: str, rows: list[PressRelease], page: int) -> str:
    """Listing rows as press.un.org serves them; page 0 of a body with a live page starts
    with a row that has no body and links to it (not a release)."""
    out = []
    if page == 0 and slug in LIVE_PAGES:
        path, title = LIVE_PAGES[slug]
        out.append(f"""<div class="views-row"><article class="node node--type-page node--view-mode-content-list-item">
 <div class="field field--name-field-display-title field--type-string field--label-hidden field__item"><h3><a href="{path}" hreflang="en">{escape(title)}</a></h3></div></article></div>""")
    for r in rows:
        printed = datetime.fromisoformat(r.date).strftime("%d %B %Y")
        out.append(f"""<div class="views-row"><article class="node node--type-press-release node--view-mode-content-list-item">
 <div class="field field--name-field-display-title field--type-string field--label-hidden field__item"><h3><a href="{r.path}" hreflang="en">{escape(r.title)}</a></h3></div>
 <div class="field field--name-field-dated field--type-datetime field--label-hidden"><div class="field__item"><time datetime="{r.date}T12:00:00Z">{printed}</time></div></div>
 <div class="clearfix text-formatted field field--name-body field--type-text-with-summary field--label-hidden field__item"><p>{escape(r.paragraphs[0][:200])}</p></div>
</article></div>""")
    return "".join(out)


def listing_page(slug: str, rows: list[PressRelease], page: int, last: int, markup: str = "current") -> str:
    items = _live_rows(slug, rows, page) if markup == "live" else "".join(f"""<div class="views-row"><div class="views-field views-field-title">
 <span class="field-content"><a href="{r.path}" hreflang="en">{escape(r.title)}</a></span></div>
 <div class="views-field views-field-field-dated"><time datetime="{r.date}T12:00:00Z">{r.date}</time></div>
 <div class="views-field views-field-field-symbol">{escape(r.symbol)}</div></div>""" for r in rows)
    pager = f'<li class="pager__item pager__item--next"><a href="?page={page + 1}" rel="next">Next page</a></li>' \
        if page < last else ""
    return _layout(BODIES[slug], f"""<h1>{BODIES[slug]}</h1>
<div class="view view-body-listing"><div class="view-content">{items}</div>
<nav class="pager" role="navigation"><ul class="pager__items">{pager}</ul></nav></div>""")


def rss(rows: list[PressRelease], base: str = "https://press.un.org", markup: str = "current") -> str:
    """The site feed; ``markup="live"``: descriptions are the teaser as escaped HTML."""
    def description(r: PressRelease) -> str:
        text = escape(r.paragraphs[0][:200])
        return escape(f"<p>{text}</p>") if markup == "live" else text

    items = "".join(f"""<item><title>{escape(r.title)}</title><link>{base}{r.path}</link>
<description>{description(r)}</description>
<pubDate>{format_datetime(datetime.fromisoformat(r.date + "T12:00:00").replace(tzinfo=UTC))}</pubDate>
<dc:creator>Meetings Coverage and Press Releases</dc:creator>
<guid isPermaLink="false">{r.node} at https://press.un.org</guid></item>""" for r in rows)
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xml:base="{base}/en" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>Meetings Coverage and Press Releases</title><link>{base}/en</link>
<description>United Nations</description><language>en</language>{items}</channel></rss>"""


def build_site(releases: list[PressRelease], *, base: str, feed_size: int = 2,
               per_page: int = 2, markup: str = "current") -> dict[str, Page]:
    """Feed (newest ``feed_size`` only), per-body listings and release pages.

    ``base`` is the site's own URL (the feed carries absolute links); ``markup``
    ``current`` or ``live`` (module docstring).
    """
    pages = {
        "/robots.txt": Page("User-agent: *\nDisallow: /admin/\n", content_type="text/plain"),
        "/en/rss.xml": Page(rss(releases[:feed_size], base, markup),
                            content_type="application/rss+xml; charset=utf-8"),
    }
    if markup == "live":
        for path, title in LIVE_PAGES.values():
            pages[path] = Page(_layout(title, f"<h1>{escape(title)}</h1><p>The meeting has not started yet.</p>"))
    for slug in BODIES:
        rows = [r for r in releases if r.body_slug == slug]
        chunks = [rows[i:i + per_page] for i in range(0, len(rows), per_page)] or [[]]
        for number, chunk in enumerate(chunks):
            html = listing_page(slug, chunk, number, len(chunks) - 1, markup)
            pages[f"/en/content/{slug}?page={number}"] = Page(html)
            if number == 0:
                pages[f"/en/content/{slug}"] = Page(html)
    for rel in releases:
        pages[rel.path] = Page(release_page(rel, markup, base))
    return pages


def more_releases(count: int, start: int = 15500, seed: int = 11) -> list[PressRelease]:
    """``count`` distinct extra Security Council releases, newest first (for paging tests)."""
    import random

    from crawler.localsite.osce import sentence_pool

    rng, pool, template = random.Random(seed), sentence_pool(), sample_releases()[1]
    out = []
    for n in range(count):
        number = start + count - n
        sentences = rng.sample(pool, 8)
        out.append(replace(template, path=f"/en/2024/sc{number}.doc.htm", symbol=f"SC/{number}",
                           date=f"2024-{12 - n % 12:02d}-{28 - n % 28:02d}", node=300000 + number,
                           title=f"Security Council Meeting {number}: {sentences[0][:50]}",
                           paragraphs=[" ".join(sentences[i:i + 2]) for i in range(0, 8, 2)]))
    return out


def seed_site(url: str) -> dict[str, Page]:
    """The local copy served at ``url``: the sample releases (what ``releasewatch localsite
    un_press`` serves and the demo crawls)."""
    return build_site(sample_releases(), base=url)


if __name__ == "__main__":  # python -m crawler.localsite.un_press [PORT]: serve the local copy
    import sys

    from crawler.localsite.serve import module_main

    module_main("un_press", "UN_PRESS_BASE_URL", seed_site, sys.argv[1:])
