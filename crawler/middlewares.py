"""Middlewares: stop paging at known releases, and honour ``Retry-After``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.spiders import Spider

from storage import known_urls, open_db
from storage.normalize import canonical_url

logger = logging.getLogger(__name__)


class StopAtKnownMiddleware:
    """Drop a listing's next-page request when every release it links is already stored.

    Spiders mark listing responses with ``meta["listing"]``, release requests with
    ``meta["release"]`` and the pager request with ``meta["next_page"]``. A spider
    attribute ``full`` (``-a full=1``) turns the stop off.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.known: set[str] = set()
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StopAtKnownMiddleware:
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        db = open_db(self.crawler.settings.get("RELEASEWATCH_DB"))
        try:
            self.known = known_urls(db)
        finally:
            db.close()

    def process_spider_output(self, response: Response, result: Iterable, spider: Spider | None = None):
        if not response.meta.get("listing") or getattr(self.crawler.spider, "full", False):
            yield from result
            return
        output = list(result)
        releases = [r for r in output if isinstance(r, Request) and r.meta.get("release")]
        all_known = bool(releases) and all(canonical_url(r.url) in self.known for r in releases)
        for entry in output:
            if all_known and isinstance(entry, Request) and entry.meta.get("next_page"):
                self.crawler.stats.inc_value("releasewatch/stopped_at_known")
                logger.info("every release on %s is known: not paging further", response.url)
                continue
            yield entry

    async def process_spider_output_async(self, response: Response, result, spider: Spider | None = None):
        collected = [entry async for entry in result]
        for entry in self.process_spider_output(response, collected):
            yield entry


class RetryAfterMiddleware:
    """Wait as long as a 429/503 ``Retry-After`` asks (capped) before the retry happens."""

    MAX_WAIT = 120.0

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        return cls(crawler)

    async def process_response(self, request: Request, response: Response, spider: Spider | None = None):
        if response.status in (429, 503) and b"Retry-After" in response.headers:
            try:
                wait = min(float(response.headers[b"Retry-After"]), self.MAX_WAIT)
            except ValueError:
                wait = 0.0
            if wait > 0:
                logger.info("%s asked to retry after %.0fs", request.url, wait)
                self.crawler.stats.inc_value("releasewatch/retry_after_waits")
                await asyncio.sleep(wait)
        return response
