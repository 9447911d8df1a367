"""Made-up releases and page furniture for the local press rooms (``pressrooms/__init__``).

Every site gets its own deterministic releases (titles, dates, teasers, bodies) and the
chrome real press rooms have: a header with a menu, breadcrumbs, share links, a
"related" block, a tag cloud, a "most read" box and a footer, so that finding release
rows and release text means telling them apart from all that.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape

ACTORS = ["The Secretary General", "The High Commissioner", "The Committee of Ministers", "The Special Envoy",
          "The Director", "The Chairperson", "The Spokesperson", "The Representative", "The President",
          "The Deputy Minister", "The Council", "The Mission"]
VERBS = ["welcomes", "condemns", "announces", "calls for", "launches", "reviews", "supports", "concludes",
         "opens", "marks", "hosts", "urges"]
THINGS = ["ceasefire talks", "humanitarian access", "a new migration compact", "election observation",
          "media freedom", "cyber security cooperation", "water sharing agreement", "demining programme",
          "anti-corruption reform", "refugee resettlement", "climate security dialogue", "youth employment plan",
          "border management training", "minority rights report", "judicial independence review",
          "arms control measures", "vaccine delivery", "food security appeal", "detention monitoring",
          "civil society forum"]
PLACES = ["Vienna", "Geneva", "Brussels", "Strasbourg", "Nairobi", "Kyiv", "Tbilisi", "Skopje", "Amman",
          "Bamako", "Bishkek", "Chisinau", "Dhaka", "Bogotá", "Yerevan", "Pristina", "Tirana", "Sarajevo"]
SENTENCES = [
    "{actor} said that {thing} in {place} remained a priority for the coming {n} months.",
    "Officials met with {n} partner organisations to discuss {thing} and the next steps.",
    "The meeting in {place} brought together delegations from {n} countries and several agencies.",
    "According to the latest figures, more than {big} people are affected in the region around {place}.",
    "{actor} stressed that progress on {thing} depends on sustained political will.",
    "A follow-up review of {thing} is planned before the end of the year, with a report due in {month}.",
    "Participants agreed on {n} practical measures, including regular monitoring and public reporting.",
    "Funding of {big} euros has been pledged so far, well below the amount that was requested.",
    "Local authorities in {place} welcomed the initiative and offered to host further consultations.",
    "The programme will train {n} officials and support {big} households over the next two years.",
    "Observers noted that the situation in {place} had improved since the previous assessment in {month}.",
    "Civil society representatives asked for a stronger role in shaping {thing}.",
    "Further details will be published on the organisation's website once the consultations conclude.",
    "{actor} thanked the host government for its cooperation and for facilitating access to {place}.",
]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
NAV = ["About us", "What we do", "Where we work", "Newsroom", "Publications", "Events", "Careers", "Contact"]
TAGS = ["Human rights", "Elections", "Migration", "Gender equality", "Media freedom", "Security",
        "Climate", "Youth", "Rule of law", "Democracy"]
FOOTER_TEXT = "Terms of use · Privacy notice · Accessibility · Cookie settings"
MOST_READ = ["Annual report presented to member states", "Interview: ten years in the field",
             "Photo story: rebuilding schools", "Podcast: voices from the border"]


@dataclass(frozen=True)
class Release:
    """One release of a local press room: where it lives and what it says."""

    path: str
    title: str
    published: date
    teaser: str
    paragraphs: tuple[str, ...]


def make_releases(site: str, count: int, prefix: str, start: date) -> list[Release]:
    """``count`` releases of ``site``, newest first, under ``prefix``."""
    rnd = random.Random(site)
    releases, titles, day = [], set(), start
    while len(releases) < count:
        actor, verb, thing, place = (rnd.choice(ACTORS), rnd.choice(VERBS), rnd.choice(THINGS),
                                     rnd.choice(PLACES))
        title = f"{actor.removeprefix('The ')} {verb} {thing} in {place}"
        if title in titles:
            continue
        titles.add(title)
        fill = {"actor": actor, "thing": thing, "place": place}
        paragraphs = tuple(
            " ".join(s.format(**fill, n=rnd.randint(3, 40), big=f"{rnd.randint(2, 900)},{rnd.randint(100, 999)}",
                              month=rnd.choice(MONTHS))
                     for s in rnd.sample(SENTENCES, 3))
            for _ in range(rnd.randint(3, 5)))
        slug = "-".join(title.lower().replace("á", "a").split()[:7])
        releases.append(Release(f"{prefix}/{slug}-{len(releases) + 101}", title, day,
                                paragraphs[0].split(". ")[0] + ".", paragraphs))
        day -= timedelta(days=rnd.randint(1, 4))
    return releases


def header(org: str) -> str:
    menu = "".join(f'<li><a href="/{n.lower().replace(" ", "-")}">{n}</a></li>' for n in NAV)
    return (f'<header class="site-header"><a class="logo" href="/">{escape(org)}</a>'
            f'<nav class="main-menu"><ul>{menu}</ul></nav>'
            '<form class="search" action="/search"><input name="q"><button>Search</button></form></header>')


def footer(org: str) -> str:
    links = "".join(f'<li><a href="/{n.lower().replace(" ", "-")}">{n}</a></li>' for n in NAV[:5])
    return (f'<footer class="site-footer"><div class="newsletter">Subscribe to our newsletter '
            f'<a href="/newsletter">Sign up</a></div><ul class="footer-links">{links}</ul>'
            f'<p>{FOOTER_TEXT}</p><p>© 2024 {escape(org)}. All rights reserved.</p></footer>')


def tag_cloud() -> str:
    tags = "".join(f'<a class="tag" href="/tags/{t.lower().replace(" ", "-")}">{t}</a> ' for t in TAGS)
    return f'<div class="tag-cloud"><h3>Topics</h3>{tags}</div>'


def most_read(start: date) -> str:
    """A sidebar box of dated links that are not releases (stories, podcasts)."""
    items = "".join(
        f'<li><a href="/stories/{i}-{t.split(":")[0].lower().replace(" ", "-")}">{t}</a>'
        f' <span class="date">{(start - timedelta(days=9 * i)).strftime("%d %B %Y")}</span></li>'
        for i, t in enumerate(MOST_READ, 1))
    return f'<aside class="sidebar"><section class="most-read"><h3>Most read</h3><ul>{items}</ul></section>{tag_cloud()}</aside>'


def events(start: date, kind: str = "events") -> str:
    """A block of dated links in the main column that are not releases (events, speeches)."""
    titles = ["Conference on media freedom in the digital age", "Expert meeting on water diplomacy",
              "High-level panel on the protection of civilians"]
    items = "".join(
        f'<li><a href="/{kind}/{i}-{t.split()[0].lower()}">{t}</a> <span>{(start + timedelta(days=7 * i)).strftime("%d %B %Y")}</span>'
        f'<p>Venue: Palais des Nations, Geneva. Registration is open until the end of the month.</p></li>'
        for i, t in enumerate(titles, 1))
    return f'<section class="{kind}-block"><h2>Upcoming {kind}</h2><ul class="{kind}">{items}</ul></section>'


def featured(release: Release) -> str:
    """A hero block on top of a listing: the newest release again, bigger."""
    return (f'<div class="hero"><a href="{release.path}"><img src="/img/hero.jpg" alt=""></a><h2><a href="{release.path}">'
            f'{escape(release.title)}</a></h2><p>{escape(release.teaser)}</p></div>')


def page(org: str, title: str, main: str, *, head: str = "", aside: str = "") -> str:
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)} | {escape(org)}</title>'
            f'{head}</head><body>{header(org)}<div class="layout"><main id="content">{main}</main>{aside}</div>'
            f'{footer(org)}</body></html>')


def release_page(org: str, release: Release, related: list[Release], date_style: str) -> str:
    """A release page; ``date_style`` says where the date is: time, meta, jsonld or text."""
    iso, human = release.published.isoformat(), release.published.strftime("%d %B %Y").lstrip("0")
    head = f'<meta property="og:title" content="{escape(release.title)}"><meta name="description" content="{escape(release.teaser)}">'
    when = f'<time datetime="{iso}">{human}</time>'
    if date_style == "meta":
        head += f'<meta property="article:published_time" content="{iso}T09:30:00+00:00">'
        when = f"<span>{human}</span>"
    elif date_style == "jsonld":
        data = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": release.title,
                "datePublished": f"{iso}T10:00:00Z", "publisher": {"@type": "Organization", "name": org}}
        head += f'<script type="application/ld+json">{json.dumps(data)}</script>'
        when = f"<span>Press release, {human}</span>"
    elif date_style == "text":
        when = f"<p class='meta'>Published on {human} · Press release</p>"
    body = "".join(f"<p>{escape(p)}</p>" for p in release.paragraphs)
    links = "".join(f'<li><a href="{r.path}">{escape(r.title)}</a></li>' for r in related)
    main = (f'<nav class="breadcrumb"><a href="/">Home</a> › <a href="/newsroom">Newsroom</a></nav>'
            f'<article class="release"><h1>{escape(release.title)}</h1><div class="release-meta">{when}</div>'
            f'<div class="release-body">{body}</div><div class="share">Share: <a href="https://x.com/share">X</a> '
            f'<a href="https://www.facebook.com/sharer">Facebook</a></div></article>'
            f'<section class="related"><h2>Related news</h2><ul>{links}</ul></section>')
    return page(org, release.title, main, head=head, aside=tag_cloud())
