"""Middlewares: stop paging at known releases, honour ``Retry-After``, and make redirects
that Scrapy would drop silently (off the site, in a loop) fail loudly."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Container, Iterable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.spiders import Spider
from w3lib.url import canonicalize_url, safe_url_string

from crawler.crawl.problems import report_problem
from storage import open_db
from storage.normalize import canonical_url
from storage.runs import mark_abandoned_runs, trusted_known_urls

logger = logging.getLogger(__name__)


class StopAtKnownMiddleware:
    """Drop a listing's next-page request when every release it links is already stored.

    Spiders mark listing responses with ``meta["listing"]``, release requests with
    ``meta["release"]`` and the pager request with ``meta["next_page"]``. A spider
    attribute ``full`` (``-a full=1``) turns the stop off. Only releases that the gap
    rule trusts count as known (``storage.runs.trusted_known_urls``: not stored while a
    failed, degraded, killed, running or differently scoped run of the spider was at
    work), so the gap such a run left further down is filled.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.known: set[str] = set()
        self.listed: dict[object, set[str]] = {}  # listing (``listing_key``) -> release URLs it linked
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StopAtKnownMiddleware:
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        db = open_db(self.crawler.settings.get("RELEASEWATCH_DB"))
        try:
            mark_abandoned_runs(db)
            self.known = trusted_known_urls(  # the run row is CrawlHealth's (an extension: opened first)
                db, spider.name, getattr(spider, "scope", ""),
                exclude_run=self.crawler.stats.get_value("releasewatch/run_id"))
        finally:
            db.close()

    def known_for(self, response: Response) -> Container[str]:
        """The release URLs that count as known for ``response``: those stored before the run."""
        return self.known

    def pages_on(self, response: Response) -> bool:
        """Whether the run pages on regardless of known releases (``-a full=1``)."""
        return bool(getattr(self.crawler.spider, "full", False))

    def listing_key(self, response: Response, chain: str) -> object:
        """Which listing of this run ``response`` is a page of (``chain``: its first page's URL)."""
        return chain

    def process_spider_output(self, response: Response, result: Iterable, spider: Spider | None = None):
        if not response.meta.get("listing"):
            yield from result
            return
        output = list(result)
        all_known = False
        releases = [canonical_url(r.url) for r in output if isinstance(r, Request) and r.meta.get("release")]
        if not self.pages_on(response):
            known = self.known_for(response)
            all_known = bool(releases) and all(url in known for url in releases)
        # A page that links only releases its listing linked already in this run is a pager
        # going round (a page past the end answering with the last one, a loop): the
        # listing has ended, whatever the pager says. (Per listing: two listings of one
        # spider, such as two UN bodies', may share releases.)
        chain = response.meta.get("listing_chain", response.url)
        listed = self.listed.setdefault(self.listing_key(response, chain), set())
        repeated = bool(releases) and listed.issuperset(releases)
        listed.update(releases)
        for entry in output:
            if isinstance(entry, Request) and entry.meta.get("next_page"):
                entry.meta["listing_chain"] = chain
                if all_known:
                    self.crawler.stats.inc_value("releasewatch/stopped_at_known")
                    logger.info("every release on %s is known: not paging further", response.url)
                    continue
                if repeated:
                    self.crawler.stats.inc_value("releasewatch/stopped_at_repeat")
                    logger.info("%s links only releases listed before in this run: not paging further",
                                response.url)
                    continue
                if entry.meta.get("beyond_cap"):  # a runaway pager, or a back-fill cut short
                    cap = self.crawler.settings.getint("RELEASEWATCH_MAX_LISTING_PAGES")
                    report_problem(self.crawler, response.url, f"listing cap reached: stopped after {cap} "
                                   "pages (RELEASEWATCH_MAX_LISTING_PAGES) with more pages left")
                    continue
            yield entry

    async def process_spider_output_async(self, response: Response, result, spider: Spider | None = None):
        collected = [entry async for entry in result]
        for entry in self.process_spider_output(response, collected):
            yield entry


def retry_after_seconds(value: bytes | str | None) -> float:
    """Seconds a ``Retry-After`` header asks to wait: delta-seconds or an HTTP date."""
    text = (value.decode("latin-1") if isinstance(value, bytes) else value or "").strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return 0.0
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class RetryAfterMiddleware:
    """Wait as long as a 429/503 ``Retry-After`` asks (capped) before the retry happens.

    Its priority must be above Scrapy's RetryMiddleware (550): responses travel the
    chain from high to low priority, and the retry middleware turns the response into
    a new request that nobody after it sees. No wait when no retry is left.
    """

    MAX_WAIT = 120.0

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.retry_times = crawler.settings.getint("RETRY_TIMES")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        return cls(crawler)

    async def process_response(self, request: Request, response: Response, spider: Spider | None = None):
        if response.status not in (429, 503) or b"Retry-After" not in response.headers:
            return response
        retries_left = request.meta.get("max_retry_times", self.retry_times) - request.meta.get("retry_times", 0)
        if request.meta.get("dont_retry") or retries_left <= 0:
            return response
        wait = min(retry_after_seconds(response.headers[b"Retry-After"]), self.MAX_WAIT)
        if wait > 0:
            logger.info("%s asked to retry after %.0fs", request.url, wait)
            self.crawler.stats.inc_value("releasewatch/retry_after_waits")
            await asyncio.sleep(wait)
        return response


class RedirectGuardMiddleware:
    """Turn a redirect off the site, to a non-http(s) URL, or back into its own chain,
    into a request failure.

    Scrapy drops such a redirect without a word (its offsite filter and duplicate filter
    act on the new request), so a release behind it would vanish from a run that still
    says ``ok``. Raising ``IgnoreRequest`` here, above the RedirectMiddleware (600),
    sends the failure to the request's errback, which reports it. Entry requests
    (``dont_filter``) are checked for the site too (a listing or an ``article`` URL
    that redirects to ``169.254.169.254`` is refused); only the loop check skips them,
    as Scrapy stops their loops loudly (``REDIRECT_MAX_TIMES``). A spider with
    ``allowed_hosts`` (``article``) allows those hosts exactly, no subdomains.
    """

    REDIRECTS = (301, 302, 303, 307, 308)

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectGuardMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response, spider: Spider | None = None):
        if (response.status not in self.REDIRECTS or b"Location" not in response.headers
                or request.meta.get("dont_redirect")):
            return response
        target = urljoin(request.url, safe_url_string(response.headers[b"Location"]))
        if urlsplit(target).scheme.lower() not in ("http", "https"):
            raise IgnoreRequest(f"redirected to a non-http(s) URL {target}")
        if not request.meta.get("allow_offsite") and not self.on_site(target):
            raise IgnoreRequest(f"redirected off the site to {target}")
        chain = {canonicalize_url(url) for url in [*request.meta.get("redirect_urls", []), request.url]}
        if not request.dont_filter and canonicalize_url(target) in chain:
            raise IgnoreRequest(f"redirect loop back to {target}")
        return response

    def on_site(self, url: str) -> bool:
        """Whether ``url``'s host is one the spider may fetch (any, if it names none)."""
        host = (urlsplit(url).hostname or "").lower()
        spider = self.crawler.spider
        exact = getattr(spider, "allowed_hosts", None)
        if exact is not None:
            return host in {h.lower() for h in exact}
        allowed = getattr(spider, "allowed_domains", None) or []
        return not allowed or any(host == domain or host.endswith(f".{domain}") for domain in allowed)
