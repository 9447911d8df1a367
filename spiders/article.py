"""Any article page on any site, e.g. a site that republishes a UN story (docs/sites.md, "Mirrors").

    scrapy crawl article -a url=https://example.org/news/ban-extols-un-mission
    scrapy crawl article -a url=https://a.example/story,https://b.example/copy

The main text comes from trafilatura, which knows no site in particular; what remains of
a page's furniture (a banner or a "Join the mailing list" line on an old table layout)
is left to the storage's near-duplicate matching, which files a copy under the release
it copies (one ``releases`` row, one more ``release_urls`` row).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from scrapy.http import Response

from crawler.crawl.items import ReleaseItem, ReleaseLoader
from spiders.base import ReleaseSpider, not_a_web_url
from spiders.extract import first_h1, page_date, parse_html
from storage.normalize import clean_text, normalize_for_hash, parse_date, split_dateline

# Dates from the page's markup and URL only: a date in free text (a copyright line)
# is not the publication date; the body's dateline is read separately.
DATE_PARAMS = {"extensive_search": False, "original_date": True}
# "Headline :: Site", "Headline | Site", "Headline - Site": a dash only with the site's name.
TITLE_SUFFIX = re.compile(r"^(?P<title>.+?)\s+(?P<sep>::|\||[-\u2013\u2014])\s+(?P<site>[^|:]{2,60})$")
SENTENCE_WORDS = 10  # a line shorter than this is a link, a label or a menu entry
UNDATED_MIN_WORDS = 80  # undated text shorter than this is a notice, not an article


def split_urls(value: str | None) -> list[str]:
    """``URL1,URL2`` -> URLs (a comma inside a URL's query string stays in it)."""
    return [u.strip() for u in re.split(r",\s*(?=https?://)", value or "") if u.strip()]


def extract_article(response: Response, source: str = "article") -> ReleaseItem | None:
    """Title, date, dateline place and main text of an article page (None: no article)."""
    if not hasattr(response, "text"):
        return None  # a PDF or an image, not a page
    import trafilatura  # here: every crawl imports every spider module (Scrapy's SpiderLoader)

    doc = trafilatura.bare_extraction(
        response.text, url=response.url, with_metadata=True, include_comments=False,
        include_tables=False, include_images=False, date_extraction_params=DATE_PARAMS)
    if doc is None or not doc.text or not doc.title:
        return None
    root = parse_html(response.body, response.encoding)
    title = headline(doc.title, root, doc.sitename)
    paragraphs = [line.strip() for line in doc.text.split("\n") if line.strip()]
    if paragraphs and normalize_for_hash(paragraphs[0]) in {normalize_for_hash(t) for t in (title, doc.title)}:
        paragraphs = paragraphs[1:]  # the headline repeated as the first line of text
    if not paragraphs:
        return None
    place, dateline_date, _ = split_dateline(paragraphs[0])
    dates = [parse_date(d) for d in (doc.date, page_date(root) if root is not None else None, dateline_date)]
    published = next((d for d in dates if d), None)
    if not looks_like_an_article(paragraphs, published):
        return None
    loader = ReleaseLoader()  # response= would parse the page again
    loader.add_value("source", source)
    loader.add_value("url", response.url)
    loader.add_value("title", title)
    loader.add_value("published", published)
    loader.add_value("place", place)
    loader.add_value("body", paragraphs)
    return loader.load_item()


def headline(title: str, root, sitename: str | None) -> str:
    """The article's own title: ``<title>`` often appends the site (``Story :: Site``)."""
    h1 = first_h1(root) if root is not None else None
    heading = clean_text(h1.text_content()).replace("\n\n", " ") if h1 is not None else ""
    if (heading and heading != title and len(heading) * 2 >= len(title)  # not a logo's h1
            and normalize_for_hash(title).startswith(normalize_for_hash(heading))):
        return heading
    match = TITLE_SUFFIX.match(title)
    if match and (match.group("sep") in ("::", "|") or (
            sitename and normalize_for_hash(match.group("site")) == normalize_for_hash(sitename))):
        return match.group("title")
    return title


def looks_like_an_article(paragraphs: list[str], published: str | None) -> bool:
    """An article says something: dated text of some length, mostly in sentences.

    A maintenance notice is short and undated; a listing or a menu is mostly short lines.
    """
    words = [len(p.split()) for p in paragraphs]
    in_sentences = sum(n for n in words if n >= SENTENCE_WORDS)
    return in_sentences * 2 >= sum(words) and (published is not None or sum(words) >= UNDATED_MIN_WORDS)


class ArticleSpider(ReleaseSpider):
    """The article at each ``-a url=``; it fetches nothing but those URLs' hosts.

    Only http(s) URLs are crawled (anything else is a ``crawl_errors`` row), and a
    redirect to a host the user did not name is refused (``allowed_hosts``, matched
    exactly by ``crawler.crawl.middlewares.RedirectGuardMiddleware``).
    """

    name = "article"
    source = "article"

    def __init__(self, *args, url: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.urls = split_urls(url)
        hosts = (urlsplit(u).hostname for u in self.urls if not not_a_web_url(u))
        self.allowed_hosts = list(dict.fromkeys(h for h in hosts if h))
        self.allowed_domains = self.allowed_hosts

    async def start(self):
        if not self.urls:
            self.problem("-a url", "no article URL given: scrapy crawl article -a url=URL[,URL...]", entry=True)
        for url in self.urls:  # one page among several that fails degrades the run
            if reason := not_a_web_url(url):
                self.problem(url, reason, entry=len(self.urls) == 1)
                continue
            yield self.request(url, self.parse_release, entry=len(self.urls) == 1, release=True)

    def parse_release(self, response: Response) -> Iterator[ReleaseItem]:
        """Parse one article page.

        @fixture mirror/story-2009-kosovo.html
        @returns items 1 1
        @returns requests 0 0
        @scrapes source url title published body
        """
        item = extract_article(response, self.source)
        if item is None:
            self.problem(response.url, "no article (a title and dated text in sentences) found on the page")
            return
        yield item
