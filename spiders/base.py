"""What every releasewatch spider shares: base URL from settings, allowed domains that
follow it, ``-a full=1``, requests that report their failures to crawl health, and
listing pagination with stop-at-known (``crawler.crawl.middlewares.StopAtKnownMiddleware``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import scrapy
from scrapy.exceptions import DownloadCancelledError, DownloadFailedError, ResponseDataLossError
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.crawl.problems import report_problem
from crawler.crawl.spider_args import truthy
from spiders.extract import ListingRow, last_page_number, listing_rows, next_page_url, parse_html
from spiders.structured import conflicts, noted_structured, read_structured
from storage.normalize import run_scope


def request_meta(response: Response) -> dict:
    """The response's request meta, or {} for a response built without a request."""
    return response.request.meta if response.request is not None else {}


def failure_reason(failure: Failure) -> str:
    """One line saying why a request failed: the HTTP status, or the error in plain words."""
    if failure.check(HttpError):
        return f"HTTP {failure.value.response.status}"
    error, message = failure.value, str(failure.value)
    wrapped = getattr(error.__cause__, "reasons", None)  # twisted's ResponseFailed
    if failure.check(DownloadFailedError) and wrapped:
        message = "; ".join(reason.getErrorMessage() for reason in wrapped)
    elif failure.check(DownloadCancelledError) and not message:
        message = "download stopped (larger than DOWNLOAD_MAXSIZE?)"
    elif failure.check(ResponseDataLossError) and not message:
        message = "the connection closed before the whole page arrived"
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def not_a_web_url(url: str) -> str | None:
    """Why ``url`` cannot be crawled (None: an absolute http(s) URL with a host).

    ``file:``, ``data:``, ``javascript:`` and scheme-less text never become requests:
    Scrapy would read local files, parse inline data or raise mid-callback.
    """
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https"):
        hint = f" (did you mean https://{url.strip()}?)" if not parts.scheme and url.strip() else ""
        return f"not an http(s) URL: {url!r}{hint}"
    if not parts.hostname:
        return f"URL without a host: {url!r}"
    return None


class ReleaseSpider(scrapy.Spider):
    """Base class: subclasses set ``name``, ``source`` and ``base_url_setting``."""

    source: str = ""
    base_url_setting: str = ""
    base_url: str = ""
    default_base_url: str = ""  # the live site; its absolute links are rebased onto base_url
    release_path: re.Pattern | None = None

    def __init__(self, *args: Any, full: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.full = truthy(full)

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.scope = run_scope(kwargs)  # what this run covers, for the gap rule
        if cls.base_url_setting:
            spider.base_url = crawler.settings.get(cls.base_url_setting).rstrip("/")
            spider.allowed_domains = [urlsplit(spider.base_url).hostname]
        spider.max_listing_pages = crawler.settings.getint("RELEASEWATCH_MAX_LISTING_PAGES", 20_000)
        return spider

    def url(self, path: str) -> str:
        """``path`` joined to the configured base URL (absolute URLs pass through)."""
        return urljoin(self.base_url + "/", path.lstrip("/")) if "://" not in path else path

    @property
    def live_hosts(self) -> tuple[str, ...]:
        """The live site's host names (with and without ``www.``)."""
        if not self.default_base_url:
            return ()
        host = urlsplit(self.default_base_url).hostname or ""
        return (host, f"www.{host}", host.removeprefix("www."))

    def rebase(self, url: str) -> str:
        """A link to the live site, moved onto the configured base URL (local copies)."""
        if not self.default_base_url or self.base_url == self.default_base_url.rstrip("/"):
            return url
        parts = urlsplit(url)
        if parts.hostname not in self.live_hosts:
            return url
        base = urlsplit(self.base_url)
        return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))

    def request(self, url: str, callback, *, entry: bool = False, **meta: Any) -> scrapy.Request:
        """A request whose failure is reported (``entry`` failures fail the run)."""
        return scrapy.Request(url, callback=callback, errback=self.on_error,
                              meta={"entry": entry, **meta}, dont_filter=entry)

    def on_error(self, failure: Failure) -> None:
        request = failure.request
        url = (request.meta.get("redirect_urls") or [request.url])[0]  # the URL that was linked
        self.problem(url, f"could not fetch: {failure_reason(failure)}", entry=request.meta.get("entry", False))

    def problem(self, url: str, reason: str, *, entry: bool = False) -> None:
        """Report a page that did not give what it should (see ``crawler.crawl.problems``)."""
        report_problem(self.crawler, url, reason, entry=entry)

    def check_structured(self, response: Response, item) -> None:
        """Fill the title and date a page states only in structured form (JSON-LD, ``og:``
        and ``article:`` meta), and report every field where that disagrees with the
        visible text: the release is stored as the page shows it, the run is degraded."""
        stated = noted_structured(response)  # read by the extractor, before stripping
        if stated is None:
            try:
                root = response.selector.root  # the unmodified page
            except AttributeError:  # not a text response
                return
            stated = read_structured(root, response.url)
        for name in ("title", "published"):
            if not item.get(name) and getattr(stated, name):
                item[name] = getattr(stated, name)
        for line in conflicts(item, stated):
            self.problem(response.url, f"structured data disagrees with the page: {line}")

    # --- listings ---------------------------------------------------------------
    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        """Request every release a listing page links, then its next page.

        The stop-at-known middleware drops the next page when all releases are known.
        """
        page = response.meta.get("page", 0)
        root = parse_html(response.body, response.encoding)
        next_url = self.rebase(next_page_url(root, response.url) or "") if root is not None else None
        last = last_page_number(root, response.url) if root is not None and page == 0 and self.full else None
        rows = listing_rows(root, response.url, self.release_path, self.live_hosts) if root is not None else []
        if not rows:
            self.problem(response.url, "listing page shows no release links", entry=page == 0)
            return
        if last is not None:  # the pager tells how long a back-fill is: progress gets an ETA
            self.crawler.stats.inc_value("releasewatch/expected_pages", (last + 1) * (len(rows) + 1))
        for row in rows:
            yield self.release_request(row)
        if next_url and next_url != response.url:
            # Past the cap the request is still yielded, marked: the stop-at-known
            # middleware drops it, as a problem unless the page was all known anyway.
            yield self.request(next_url, self.parse_listing, listing=True, next_page=True, page=page + 1,
                               beyond_cap=page + 1 >= self.max_listing_pages)

    def release_request(self, row: ListingRow) -> scrapy.Request:
        return self.request(self.rebase(row.url), self.parse_release, release=True,
                            listing_title=row.title, listing_date=row.date)

    def parse_release(self, response: Response):  # pragma: no cover - abstract
        raise NotImplementedError
