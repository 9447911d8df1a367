"""A local copy of news.un.org (UN News), built from the seed captures (docs/sites.md, "news.un.org").

Drupal 10 markup as the site serves it: the header with the "Global perspective Human
stories" slogan, the topics menu, story pages (topics, ``h1`` title, ``time[datetime]``,
lead, text column, an inline related-story card, a share bar and a related-stories
block), RSS 2.0 feeds (all news and per topic) and topic listings paged with
``a[rel=next]``. ``variant="redesign"`` renders a story with unknown class names.

``markup="live"`` (``build_site``; story variants ``live`` and ``live-photo``) is the
markup news.un.org serves as public scrapers read it (docs/sites.md, "news.un.org"):
title ``h1 span.field--name-title``; date ``span.views-field-field-news-date
span.field-content time.datetime``; topics ``span.views-field-field-news-topics
span.field-content``; lead ``div.views-field-field-news-story-lead p``; body
``div.clearfix.text-formatted.field--name-field-text-column`` with ``h3`` headings
(``live``), or ``views-field-field-news-story-*`` blocks after a photo with its caption
(``live-photo``); listing rows ``div.views-row h2.node__title a`` with
``span.field--name-field-news-date time[datetime]``, no ``rel=bookmark``; JSON-LD,
``og:``/``article:`` meta and ``hreflang`` alternates in the head. Evidence: three
independent public scrapers (BeautifulSoup: climate-change topic crawler reading
``h2.node__title`` rows and the story fields above; a Russian-language news.un.org
crawler keyed on ``views-field-field-news-story-lead`` / ``views-field-field-news-story``
blocks; a scrapy spider reading ``views-field-field-news-story-lead``), found with the
code search.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from datetime import date as Date
from email.utils import format_datetime
from html import escape
from pathlib import Path

from crawler.localsite.osce import drupal_pager, sentence_pool
from crawler.localsite.server import Page
from storage.normalize import split_dateline

SEEDS = Path(__file__).with_name("seeds")
SLOGAN = "Global perspective Human stories"
ALL_FEED = "/feed/subscribe/en/news/all/rss.xml"
TOPICS = ("Climate Change", "Culture and Education", "Economic Development", "Health",
          "Human Rights", "Humanitarian Aid", "Law and Crime Prevention",
          "Migrants and Refugees", "Peace and Security", "SDGs", "UN Affairs", "Women")
LANGUAGES = ("العربية", "中文", "English", "Français", "Русский", "Español", "Kiswahili",
             "Português", "हिन्दी")


@dataclass
class Story:
    """One UN News story as the site shows it (``date`` is ISO ``YYYY-MM-DD``)."""

    path: str
    title: str
    date: str
    topics: list[str]
    lead: str
    paragraphs: list[str]
    variant: str = "current"
    feed_title: str | None = None  # the feed may lag behind an edited headline
    related: list[tuple[str, str]] = field(default_factory=list)

    @property
    def printed_date(self) -> str:
        day = Date.fromisoformat(self.date)
        return f"{day.day} {day:%B %Y}"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def seed_stories() -> list[Story]:
    """The two seed stories, newest first: the 2009 Kosovo story (also on the mirror,
    seed 002) and the 2007 OSCE story (seed 001)."""
    kosovo = [line for line in (SEEDS / "mirror_2009_ban_kosovo.txt").read_text().splitlines() if line.strip()]
    title, paragraphs = kosovo[1], kosovo[2:-1]  # banner first, "Join the mailing list" last
    osce = [line for line in (SEEDS / "un_news_2007_ban_osce.txt").read_text().splitlines() if line.strip()]
    assert osce[0] == SLOGAN and osce[1] == osce[2], "seed 001 layout changed"
    return [
        Story("/en/story/2009/10/316262", title, "2009-10-05", ["Peace and Security"],
              split_dateline(paragraphs[0])[2], paragraphs[1:],
              related=[("/en/story/2009/09/315602", "Kosovo: UN envoy calls for pragmatism in the north")]),
        Story("/en/story/2007/11/241152", osce[1], "2007-11-29", ["UN Affairs", "Peace and Security"],
              osce[3], osce[4:],
              related=[("/en/story/2007/11/240912", "Ban welcomes OSCE role in Central Asia")]),
    ]


def generated_stories(count: int, start_id: int = 1150000, seed: int = 11) -> list[Story]:
    """``count`` distinct 2025 stories composed from seed sentences, newest first.

    They avoid the words OSCE and Kosovo, so keyword filters have something to leave out.
    """
    rng = random.Random(seed)
    pool = [s for s in sentence_pool() if not re.search(r"OSCE|Kosovo", s, re.I)]
    out = []
    for n in range(count):
        number = start_id + count - n
        day = Date.fromordinal(Date(2025, 12, 20).toordinal() - 3 * n)
        sentences = rng.sample(pool, 9)
        topics = [TOPICS[n % len(TOPICS)], "Peace and Security"] if n % 2 else ["Peace and Security"]
        out.append(Story(
            path=f"/en/story/{day:%Y/%m}/{number}", title=f"UN News story {number}: {sentences[0][:60].strip()}",
            date=day.isoformat(), topics=list(dict.fromkeys(topics)),
            lead=f"Story {number}. {sentences[0]}",
            paragraphs=[" ".join(sentences[i:i + 2]) for i in range(1, 9, 2)]))
    return out


def _topic_links(topics: list[str]) -> str:
    return ", ".join(f'<a href="/en/news/topic/{slug(t)}" hreflang="en">{escape(t)}</a>' for t in topics)


def live_head(story: Story, base: str = "https://news.un.org") -> str:
    """Structured data of a live story page: JSON-LD, ``og:``/``article:`` meta, alternates."""
    import json

    ld = {"@context": "https://schema.org", "@graph": [
        {"@type": "NewsArticle", "headline": story.title[:110], "datePublished": f"{story.date}T12:00:00+00:00",
         "publisher": {"@type": "Organization", "name": "UN News"}, "url": f"{base}{story.path}"}]}
    json_ld = json.dumps(ld).replace("</", "<\\/")  # no "</script>" inside the script
    alternates = "".join(f'<link rel="alternate" hreflang="{lang}" href="{base}/{lang}{story.path.removeprefix("/en")}" />'
                         for lang in ("en", "fr", "es"))
    return (f'<meta property="article:published_time" content="{story.date}T12:00:00+00:00" />\n'
            f'<link rel="canonical" href="{base}{story.path}" />{alternates}\n'
            f'<script type="application/ld+json">{json_ld}</script>')


def page_html(title: str, main: str, head: str = "") -> str:
    """A full UN News page: branding with the slogan, menus, main content, footer."""
    languages = "".join(f'<li><a href="/{i}" hreflang="{i}">{escape(name)}</a></li>'
                        for i, name in zip(("ar", "zh", "en", "fr", "ru", "es", "sw", "pt", "hi"), LANGUAGES, strict=True))
    topics = "".join(f'<li class="menu-item"><a href="/en/news/topic/{slug(t)}">{escape(t)}</a></li>' for t in TOPICS)
    return f"""<!DOCTYPE html>
<html lang="en" dir="ltr" prefix="og: https://ogp.me/ns#">
<head>
<meta charset="utf-8" />
<meta property="og:site_name" content="UN News" />
<meta property="og:type" content="article" />
<meta property="og:title" content="{escape(title)}" />
<link rel="alternate" type="application/rss+xml" title="UN News" href="{ALL_FEED}" />
<title>{escape(title)} | UN News</title>{head}
<link rel="stylesheet" media="all" href="/themes/custom/un_news/css/style.css" />
<script src="/core/assets/vendor/once/once.min.js"></script>
</head>
<body class="path-node page-node-type-news-story">
<a href="#main-content" class="visually-hidden focusable skip-link">Skip to main content</a>
<div class="dialog-off-canvas-main-canvas" data-off-canvas-main-canvas>
<div class="layout-container">
 <div class="region region-top-header">
  <div id="block-un-news-branding" class="block block-system-branding-block">
   <a href="/en" rel="home"><img src="/themes/custom/un_news/logo.svg" alt="UN News" /></a>
   <div class="site-slogan">{SLOGAN}</div>
  </div>
  <div class="language-switcher-language-url" role="navigation"><ul class="links">{languages}</ul></div>
  <div class="search-block-form"><form action="/en/search" method="get"><input type="search" name="search_api_fulltext" /></form></div>
 </div>
 <nav role="navigation" aria-labelledby="block-mainnavigation-menu" class="block-menu navigation menu--main">
  <ul class="menu"><li class="menu-item"><a href="/en">Home</a></li>
   <li class="menu-item menu-item--expanded"><span>Topics</span><ul class="menu">{topics}</ul></li>
   <li class="menu-item"><a href="/en/news/in-depth">In depth</a></li>
   <li class="menu-item"><a href="/en/audio-hub">Audio hub</a></li>
   <li class="menu-item"><a href="/en/videos">Videos</a></li></ul>
 </nav>
 <main role="main" id="main-content">
  <div class="region region-content">
{main}
  </div>
 </main>
 <footer role="contentinfo" class="footer">
  <div class="footer-branding"><span>UN News</span> <span>{SLOGAN}</span></div>
  <div class="newsletter"><a href="/en/subscribe">Subscribe</a> to the UN News newsletter</div>
  <ul class="menu"><li><a href="/en/contact-us">Contact Us</a></li><li><a href="https://www.un.org/en/about-us/copyright">Copyright</a></li>
   <li><a href="https://www.un.org/en/about-us/fraud-alert">Fraud Alert</a></li><li><a href="https://www.un.org/en/about-us/privacy-notice">Privacy Notice</a></li>
   <li><a href="https://www.un.org/en/about-us/terms-of-use">Terms of Use</a></li></ul>
 </footer>
</div></div>
<script>window.dataLayer = window.dataLayer || [];</script>
</body></html>"""


def _paragraphs_with_card(story: Story) -> str:
    """Body paragraphs with an inline related-story card after the second one."""
    html = [f"<p>{escape(p)}</p>" for p in story.paragraphs]
    if story.related and len(html) > 2:
        path, title = story.related[0]
        html.insert(2, f"""<div class="paragraph paragraph--type--related-story">
 <p class="related-story-label">Related story</p><h3><a href="{path}">{escape(title)}</a></h3></div>""")
    return "\n".join(html)


def _related_block(story: Story) -> str:
    rows = "".join(f"""<div class="views-row"><article class="node node--type-news-story node--view-mode-teaser">
 <time datetime="{story.date}T09:00:00Z">{story.printed_date}</time>
 <h3><a href="{path}">{escape(title)}</a></h3>
 <p>The Secretary-General has repeatedly urged all parties to show restraint and to engage in dialogue, and
 the United Nations will continue to support those efforts together with its regional partners.</p></article></div>"""
                   for path, title in story.related)
    return rows


def _live_body(story: Story) -> str:
    """Body paragraphs; a short line without a full stop is a subheading (``h3``)."""
    return "\n".join(f"<h3>{escape(p)}</h3>" if len(p) < 70 and not p.endswith((".", '"', "\u201d"))
                     else f"<p>{escape(p)}</p>" for p in story.paragraphs)


def live_story_main(story: Story) -> str:
    """A story as news.un.org serves it (module docstring): ``live`` or ``live-photo``."""
    header = f"""<div class="views-element-container"><div class="view view-story-header"><div class="views-row">
  <h1 class="story-title"><span class="field field--name-title field--type-string field--label-hidden">{escape(story.title)}</span></h1>
  <span class="views-field views-field-field-news-date"><span class="field-content"><time datetime="{story.date}T12:00:00Z" class="datetime">{story.printed_date}</time></span></span>
  <span class="views-field views-field-field-news-topics"><span class="field-content">{_topic_links(story.topics)}</span></span>
  <div class="views-field views-field-field-news-story-lead"><div class="field-content"><p>{escape(story.lead)}</p></div></div>
 </div></div></div>"""
    if story.variant == "live-photo":
        body = f"""<div class="views-field views-field-field-news-story-photo"><div class="field-content">
  <img src="/sites/news.un.org/files/styles/large/public/photo.jpg" alt="" />
  <div class="views-field views-field-field-news-story-photo-caption"><span class="field-content">UN Photo: {escape(story.topics[0])} in the field.</span></div></div></div>
 <div class="views-field views-field-field-news-story-body"><div class="field-content">{_live_body(story)}</div></div>"""
    else:
        body = f"""<div class="paragraph paragraph--type--text-column paragraph--view-mode--default">
  <div class="clearfix text-formatted field field--name-field-text-column field--type-text-long field--label-hidden field__item">{_live_body(story)}</div></div>"""
    return f"""<article data-history-node-id="{story.path.rsplit('/', 1)[-1]}" class="node node--type-news-story node--view-mode-full">
 {header}
 {body}
 <div class="social-media-links share-buttons"><span>Share this:</span> <a href="https://www.facebook.com/sharer">Facebook</a></div>
</article>
<div class="views-element-container block-related-stories"><h2>Related Stories</h2>
 <div class="view view-related-stories">{_related_block(story)}</div></div>"""


def story_main(story: Story) -> str:
    """The content area of a story page (current Drupal 10 markup, the live one, or a redesign)."""
    if story.variant.startswith("live"):
        return live_story_main(story)
    lead = escape(story.lead)
    if story.variant == "redesign":
        return f"""<div class="c-story"><div class="c-kicker">{_topic_links(story.topics)}</div>
<h1 class="c-headline">{escape(story.title)}</h1>
<p class="c-meta"><time datetime="{story.date}T12:00:00Z">{story.printed_date}</time></p>
<div class="c-standfirst"><p><strong>{lead}</strong></p></div>
<div class="c-copy">{"".join(f"<p>{escape(p)}</p>" for p in story.paragraphs)}</div>
<section class="c-more"><h2>Related Stories</h2>{_related_block(story)}</section></div>"""
    return f"""<article data-history-node-id="{story.path.rsplit('/', 1)[-1]}" class="node node--type-news-story node--view-mode-full">
 <div class="story-hero"><img src="/sites/news.un.org/files/styles/large/public/2009/10/photo.jpg" alt="" />
  <div class="hero-caption">{escape(story.title)}</div></div>
 <div class="views-element-container"><div class="view view-story-header"><div class="views-row">
  <div class="views-field views-field-field-news-topics"><div class="field-content">{_topic_links(story.topics)}</div></div>
  <h1 class="story-title"><span class="field field--name-title field--type-string field--label-hidden">{escape(story.title)}</span></h1>
  <div class="views-field views-field-created"><span class="field-content"><time datetime="{story.date}T12:00:00Z">{story.printed_date}</time></span></div>
  <div class="views-field views-field-field-news-story-lead"><div class="field-content"><p>{lead}</p></div></div>
 </div></div></div>
 <div class="paragraph paragraph--type--text-column paragraph--view-mode--default">
  <div class="clearfix text-formatted field field--name-field-text-column field--type-text-long field--label-hidden field__item">
{_paragraphs_with_card(story)}
  </div>
 </div>
 <div class="social-media-links share-buttons"><span>Share this:</span> <a href="https://www.facebook.com/sharer">Facebook</a>
  <a href="https://twitter.com/intent/tweet">Twitter</a> <a href="javascript:window.print()">Print</a> <a href="mailto:">Email</a></div>
</article>
<div class="views-element-container block-related-stories"><h2>Related Stories</h2>
 <div class="view view-related-stories">{_related_block(story)}</div></div>"""


def listing_main(topic: str, rows: list[Story], page: int, last_page: int, markup: str = "current") -> str:
    """A topic listing ``/en/news/topic/<slug>?page=N``: story rows and a Drupal pager."""
    if markup == "live":
        items = "\n".join(f"""<div class="views-row">
 <div class="views-field views-field-field-image"><img src="/sites/news.un.org/files/styles/small/public/photo.jpg" alt="" /></div>
 <h2 class="node__title"><a href="{s.path}" hreflang="en"><span class="field field--name-title field--type-string">{escape(s.title)}</span></a></h2>
 <span class="field field--name-field-news-date field--type-datetime"><time datetime="{s.date}T12:00:00Z" class="datetime">{s.printed_date}</time></span>
 <div class="views-field views-field-field-news-story-lead"><p>{escape(s.lead[:200])}</p></div></div>""" for s in rows)
        return f"""<h1 class="page-title">{escape(topic)}</h1>
<div class="view view-news-topic"><div class="view-content">{items}</div>
{drupal_pager(page, last_page, last_link=False)}</div>"""
    items = "\n".join(f"""<div class="views-row"><article class="node node--type-news-story node--view-mode-news-list-item">
 <div class="story-image"><img src="/sites/news.un.org/files/styles/small/public/photo.jpg" alt="" /></div>
 <h2 class="node__title"><a href="{s.path}" rel="bookmark"><span class="field field--name-title">{escape(s.title)}</span></a></h2>
 <div class="story-date"><time datetime="{s.date}T12:00:00Z">{s.printed_date}</time></div>
 <div class="field--name-field-news-story-lead"><p>{escape(s.lead[:200])}</p></div></article></div>""" for s in rows)
    return f"""<h1 class="page-title">{escape(topic)}</h1>
<div class="view view-news-topic"><div class="view-content">{items}</div>
{drupal_pager(page, last_page, last_link=False)}</div>"""


def feed_xml(stories: list[Story], base: str, feed_path: str, title: str = "All News",
             markup: str = "current") -> str:
    """An RSS 2.0 feed as Drupal's views serve it: ``link`` and ``guid`` are the story URL.

    ``markup="live"``: the description is the lead as escaped HTML with an image, as
    Drupal views render a teaser into RSS.
    """
    items = []
    for s in stories:
        published = format_datetime(datetime.fromisoformat(s.date).replace(hour=12, tzinfo=UTC))
        description = escape(f'<img src="{base}/sites/news.un.org/files/photo.jpg" alt="" /><p>{escape(s.lead)}</p>'
                             if markup == "live" else s.lead)
        items.append(f"""  <item>
   <title>{escape(s.feed_title or s.title)}</title>
   <link>{base}{s.path}</link>
   <description>{description}</description>
   <enclosure url="{base}/sites/news.un.org/files/styles/large/public/photo.jpg" length="0" type="image/jpeg" />
   <pubDate>{published}</pubDate>
   <dc:creator>UN News</dc:creator>
   <guid isPermaLink="true">{base}{s.path}</guid>
  </item>""")
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xml:base="{base}/en" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">
 <channel>
  <title>UN News - {escape(title)}</title>
  <link>{base}/en</link>
  <description>{SLOGAN}</description>
  <language>en</language>
  <atom:link href="{base}{feed_path}" rel="self" type="application/rss+xml" />
{chr(10).join(items)}
 </channel>
</rss>
"""


def topic_feed_path(topic: str) -> str:
    return f"/feed/subscribe/en/news/topic/{slug(topic)}/feed/rss.xml"


def build_site(stories: list[Story], base: str, *, per_page: int = 10, feed_size: int = 30,
               markup: str = "current") -> dict[str, Page]:
    """Every page of the local UN News: feeds, topic listings, stories, robots.txt.

    ``base`` is the site's own URL (feeds carry absolute links); ``stories`` newest first.
    ``markup="live"`` renders every page in the live markup (stories still in the
    ``current`` variant become ``live``; module docstring).
    """
    if markup == "live":
        stories = [replace(s, variant="live") if s.variant == "current" else s for s in stories]
    rss = "application/rss+xml; charset=utf-8"
    pages: dict[str, Page] = {
        "/robots.txt": Page("User-agent: *\nDisallow: /admin/\nDisallow: /en/search\n", content_type="text/plain"),
        ALL_FEED: Page(feed_xml(stories[:feed_size], base, ALL_FEED, markup=markup), content_type=rss),
    }
    for topic in sorted({t for s in stories for t in s.topics}):
        tagged = [s for s in stories if topic in s.topics]
        pages[topic_feed_path(topic)] = Page(feed_xml(tagged[:feed_size], base, topic_feed_path(topic), topic,
                                                      markup=markup), content_type=rss)
        chunks = [tagged[i:i + per_page] for i in range(0, len(tagged), per_page)]
        for number, rows in enumerate(chunks):
            html = Page(page_html(topic, listing_main(topic, rows, number, len(chunks) - 1, markup)))
            pages[f"/en/news/topic/{slug(topic)}?page={number}"] = html
            if number == 0:
                pages[f"/en/news/topic/{slug(topic)}"] = html
    for story in stories:
        head = live_head(story, base) if story.variant.startswith("live") else ""
        pages[story.path] = Page(page_html(story.title, story_main(story), head))
    return pages


def edited(story: Story, sentence: str) -> Story:
    """The story with a sentence added to its last paragraph (an edit on the site)."""
    return replace(story, paragraphs=story.paragraphs[:-1] + [f"{story.paragraphs[-1]} {sentence}"])


def serve(port: int = 8124, mirror_port: int = 8125) -> None:
    """Serve the local UN News and the mirror until Ctrl-C (for trying the spiders by hand)."""
    from crawler.localsite import mirror
    from crawler.localsite.serve import wait_for_interrupt
    from crawler.localsite.server import LocalSite

    site = LocalSite(port=port)
    site.pages = build_site(generated_stories(8) + seed_stories(), site.url)
    with site, LocalSite(mirror.build_site([mirror.seed_copy()]), port=mirror_port) as copy:
        print(f"UN News: {site.url}{ALL_FEED}\nmirror:  {copy.url}{mirror.KOSOVO_PATH}", flush=True)
        wait_for_interrupt()


if __name__ == "__main__":  # python -m crawler.localsite.un_news [PORT [MIRROR_PORT]]
    import sys

    serve(*map(int, sys.argv[1:3]))
