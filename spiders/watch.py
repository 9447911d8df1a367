"""One generic spider for every watched press room (``releasewatch watch``, docs/watch.md).

    scrapy crawl watch -a name=nato_int                 # the watch saved by `watch add`
    scrapy crawl watch -a name=nato -a url=https://www.nato.int/cps/en/natohq/news.htm

The listing is read by structure (``spiders.listing_detect``), release pages with the
generic machinery (``spiders.watch_extract``); everything else is ``ReleaseSpider``'s:
health reporting, stop-at-known paging, conditional requests, politeness. The spider's
name is the watch's name, so its runs, its releases' ``source`` and its stop-at-known
history are the watch's own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response

from crawler.crawl.items import ReleaseItem, ReleaseLoader
from spiders.base import ReleaseSpider
from spiders.listing_detect import MIN_ROWS, detect_listing


class WatchSpider(ReleaseSpider):
    """The watch ``-a name=`` (its URL ``-a url=``, else the saved one, loaded by
    ``crawler.crawl.watches.WatchLoader``)."""

    name = "watch"

    def __init__(self, *args: Any, name: str | None = None, url: str | None = None,
                 rows: str | None = None, **kwargs: Any):
        super().__init__(*args, name=name, **kwargs)
        self.source = self.name
        self.watch_url = url
        self.rows = rows  # the rows' signature when the watch was added (a hint, not a requirement)

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.use_watch(spider.watch_url, spider.rows)
        return spider

    @property
    def needs_watch(self) -> bool:
        """A watch name without its URL: ``crawler.crawl.watches.WatchLoader`` reads the
        saved watch (spiders never open the database) and calls :meth:`use_watch`."""
        return not self.watch_url and self.name != WatchSpider.name

    def use_watch(self, url: str | None, rows: str | None = None) -> None:
        """Crawl the listing at ``url`` (and stay on its host)."""
        self.watch_url, self.rows = url, self.rows or rows
        host = urlsplit(url or "").hostname
        self.allowed_domains = [host] if host else []

    async def start(self):
        if self.name == WatchSpider.name or not self.watch_url:
            self.problem("-a name", "no watch to run: scrapy crawl watch -a name=NAME "
                         "(a watch saved by `releasewatch watch add`, or give -a url=)", entry=True)
            return
        yield self.request(self.watch_url, self.parse_listing, entry=True, listing=True, page=0)

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        """Request every release row of a listing page, then the pager's next page."""
        page = response.meta.get("page", 0)
        if not hasattr(response, "text"):
            self.problem(response.url, "listing page is not a web page", entry=page == 0)
            return
        expected = response.meta.get("rows") or self.rows  # the previous page's rows, or watch add's
        listing = detect_listing(response.body, response.url, response.encoding, expected=expected,
                                 known_min=1 if page else MIN_ROWS)
        if not listing.rows:  # a redesign, a maintenance page: loud on the first run
            self.problem(response.url, f"listing page {page + 1} of watch {self.name}: {listing.problem}")
            return
        self.logger.info("listing page %s: %s rows (%s), next: %s", page + 1, len(listing.rows),
                         listing.signature, listing.next_url or "none")
        for row in listing.rows:
            yield self.release_request(row)
        if listing.next_url and listing.next_url != response.url:
            # Past the cap the request is still yielded, marked, as the built-in spiders do:
            # the stop-at-known middleware drops it, as a problem unless the page was all known.
            yield self.request(listing.next_url, self.parse_listing, listing=True, next_page=True, page=page + 1,
                               rows=listing.signature, beyond_cap=page + 1 >= self.max_listing_pages)

    def parse_release(self, response: Response) -> Iterator[ReleaseItem]:
        from spiders.watch_extract import read_release

        if not hasattr(response, "text"):
            self.problem(response.url, "release page is not a web page (a PDF or an image?)")
            return
        found = read_release(response.text, response.url, listing_title=response.meta.get("listing_title"),
                             listing_date=response.meta.get("listing_date"))
        if found is None:
            self.problem(response.url, "release page: no main text found")
            return
        loader = ReleaseLoader(response=response)
        loader.add_value("source", self.source)
        loader.add_value("url", response.url)
        for field in ("title", "published", "place", "body"):
            loader.add_value(field, found[field])
        yield loader.load_item()
