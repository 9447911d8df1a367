"""UN News stories from its RSS feeds, or a topic listing (docs/sites.md, "news.un.org").

    scrapy crawl un_news                                   # the feeds in UN_NEWS_FEEDS
    scrapy crawl un_news -s UN_NEWS_FEEDS=/feed/subscribe/en/news/topic/peace-and-security/feed/rss.xml
    scrapy crawl un_news -a topic=peace-and-security       # back-fill from /en/news/topic/<slug>
    scrapy crawl un_news -a keywords=OSCE,Kosovo           # keep only stories that mention one

Every story a feed (or a visited listing page) links is requested; the HTTP cache makes
that a conditional GET, so an unchanged story costs a 304 and an edited one a new version.
The story page wins over its feed item; a story that drops out of the feed stays stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote, urlsplit

from scrapy.http import Response

from crawler.crawl.items import ReleaseItem, ReleaseLoader
from spiders.base import ReleaseSpider, not_a_web_url, request_meta
from spiders.extract import (
    blocks_after,
    body_paragraphs,
    content_root,
    css,
    css_texts,
    first_h1,
    page_date,
    parse_html,
    strip_chrome,
)
from spiders.feeds import feed_entries
from spiders.structured import note_structured
from storage.normalize import clean_text, normalize_for_hash, parse_date

TITLE = ("h1 .field--name-title", "h1")
TOPICS = (".views-field-field-news-topics a", ".field--name-field-news-topics a")
LEAD = (".views-field-field-news-story-lead", ".field--name-field-news-story-lead")
TEXT = (".field--name-field-text-column", ".views-field-field-news-story-body", ".field--name-body")
PARAGRAPH_TAGS = ("p", "h2", "h3", "h4", "blockquote", "li")


def keyword_pattern(keywords: str | None) -> re.Pattern | None:
    """A case-insensitive whole-word pattern for ``OSCE,Kosovo`` (None: no filter)."""
    words = [re.escape(w.strip()) for w in (keywords or "").split(",") if w.strip()]
    return re.compile(rf"\b(?:{'|'.join(words)})\b", re.I) if words else None


def _paragraphs(scopes: list) -> list[str]:
    """Paragraph texts inside the text-column elements (a paragraph inside another is not repeated)."""
    out = []
    for scope in scopes:
        for el in scope.iter(*PARAGRAPH_TAGS):
            if next(el.iterancestors(*PARAGRAPH_TAGS), None) is not None:
                continue
            text = clean_text(el.text_content()).replace("\n\n", " ")
            if text:
                out.append(text)
    return out


def _story_body(root) -> tuple[str | None, list[str], bool]:
    """Lead, body paragraphs, and whether the story markup was recognised.

    By class-name hints first, else the paragraph blocks after the ``h1``.
    """
    lead = next(iter(css_texts(root, *LEAD)), None)
    paragraphs = _paragraphs([el for selector in TEXT for el in css(selector)(root)])
    recognised = bool(paragraphs) or lead is not None
    if not paragraphs:
        h1 = first_h1(root)
        paragraphs = [p for p in body_paragraphs(blocks_after(content_root(root, h1), h1))
                      if not parse_date(p)]  # the printed date next to the title
    if lead and (not paragraphs or normalize_for_hash(paragraphs[0]) != normalize_for_hash(lead)):
        paragraphs = [lead, *paragraphs]
    return (lead or (paragraphs[0] if paragraphs else None)), paragraphs, recognised


def extract_story(response: Response, source: str = "un_news") -> ReleaseItem | None:
    """The story on a UN News page (None when the page holds no story).

    The page's values come first; the feed item's (request meta) only fill gaps.
    """
    root = parse_html(response.body, response.encoding)
    if root is None:
        return None
    title = next(iter(css_texts(root, *TITLE) + root.xpath("//meta[@property='og:title']/@content")), None)
    note_structured(response, root)
    strip_chrome(root)  # header, menus, share bar, related stories
    lead, paragraphs, recognised = _story_body(root)
    published = page_date(root)
    if not paragraphs or not (recognised or published):
        return None  # neither the story markup nor a dated text: a maintenance or error page
    scope = content_root(root)
    topics = css_texts(root, *TOPICS) or [
        clean_text(a.text_content()) for a in scope.xpath(".//a[contains(@href, '/news/topic/')]")]
    meta = request_meta(response)
    loader = ReleaseLoader()  # response= would parse the page again
    loader.add_value("source", source)
    loader.add_value("url", response.url)
    loader.add_value("title", title)
    loader.add_value("title", meta.get("listing_title"))
    loader.add_value("published", published)
    loader.add_value("published", meta.get("listing_date"))
    loader.add_value("topics", topics)
    loader.add_value("lead", lead)
    loader.add_value("body", paragraphs)
    return loader.load_item()


class UnNewsSpider(ReleaseSpider):
    """New and edited UN News stories from the feeds, or older ones from a topic listing."""

    name = "un_news"
    source = "un_news"
    base_url_setting = "UN_NEWS_BASE_URL"
    default_base_url = "https://news.un.org"
    release_path = re.compile(r"/story/(?:\d{4}/\d{2}/)?\d+/?$")
    topic_path = "/en/news/topic/{slug}"

    def __init__(self, *args, topic: str | None = None, keywords: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.topic = (topic or "").strip() or None
        self.keywords = keyword_pattern(keywords)
        self.feeds: list[str] = []

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        paths = [p.strip() for p in crawler.settings.get("UN_NEWS_FEEDS", "").split(",") if p.strip()]
        spider.feeds = [spider.url(p) for p in paths]
        hosts = [urlsplit(f).hostname for f in spider.feeds]
        spider.allowed_domains = list(dict.fromkeys(spider.allowed_domains + [h for h in hosts if h]))
        return spider

    async def start(self):
        if self.topic:
            url = self.url(self.topic_path.format(slug=quote(self.topic)))
            yield self.request(url, self.parse_listing, entry=True, listing=True, page=0)
            return
        if not self.feeds:
            self.problem("UN_NEWS_FEEDS", "no feed configured", entry=True)
        for feed in self.feeds:
            yield self.request(feed, self.parse_feed, entry=True)

    def parse_feed(self, response: Response) -> Iterator:
        """Request every story the feed links.

        @fixture un_news/feed.xml
        @returns requests 3 3
        @returns items 0 0
        """
        entries = feed_entries(response)
        if not entries:
            self.problem(response.url, "the feed shows no items (not RSS, or empty)", entry=True)
            return
        self.crawler.stats.inc_value("releasewatch/feed_items", len(entries))
        for entry in entries:
            if reason := not_a_web_url(entry.url):  # e.g. a javascript: link: skip it, not the feed
                self.problem(response.url, f"feed item skipped: {reason}")
                continue
            yield self.request(entry.url, self.parse_release, release=True, listing_title=entry.title,
                               listing_date=entry.date)

    def parse_release(self, response: Response) -> Iterator[ReleaseItem]:
        """Parse one story.

        @fixture un_news/story-2007-current.html
        @returns items 1 1
        @returns requests 0 0
        @scrapes source url title published topics lead body
        """
        item = extract_story(response, self.source)
        if item is not None:
            self.check_structured(response, item)
        if item is None or not item.get("title"):
            self.problem(response.url, "no story found on the page (maintenance page or new layout?)")
            return
        if self.keywords and not self.keywords.search(f"{item['title']}\n{item['body']}"):
            self.crawler.stats.inc_value("releasewatch/keyword_skipped")
            return
        if not item.get("published"):
            self.problem(response.url, "story without a readable date")
        yield item
