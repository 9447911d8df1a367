"""Conditional GET through Scrapy's own HTTP cache.

Every cached page is revalidated (``If-None-Match`` / ``If-Modified-Since``) on every
run, so an unchanged page costs a 304 and an edited one is fetched in full. Only a 304
reuses the cached copy: a 5xx is never masked by an old page.

The cached responses live in one SQLite file per spider next to the database
(``<db>.httpcache/<spider>.sqlite``). Scrapy's filesystem storage creates a directory
and six (gzipped) files per response, which cost more than the rest of the crawl's work
for a page (see the benchmarks in ``bench/``); a row in SQLite costs a fraction of that.

Bodies are compressed with zstd at level 1 (``HTTPCACHE_GZIP``, on by default): the same
size as zlib at level 1 (4.5x smaller than the page on the formulaic OSCE site, 2.9x on
UN News) for half its CPU, ~60 us a page (docs/benchmarks.md, "The crawl's cost per page").
Rows written with zlib (``compressed`` = 1) are still read.
"""

from __future__ import annotations

import logging
import sqlite3
import time
import zlib
from pathlib import Path

import zstandard
from scrapy.extensions.httpcache import RFC2616Policy
from scrapy.http import Headers, Request, Response
from scrapy.responsetypes import responsetypes
from scrapy.settings import BaseSettings
from scrapy.spiders import Spider
from w3lib.http import headers_dict_to_raw, headers_raw_to_dict

logger = logging.getLogger(__name__)

# The ``compressed`` column: how ``body`` is stored.
RAW, ZLIB, ZSTD = 0, 1, 2


class RevalidatePolicy(RFC2616Policy):
    """Cache pages that carry validators; treat every cached page as stale."""

    def should_cache_response(self, response: Response, request: Request) -> bool:
        cc = self._parse_cachecontrol(response)
        has_validator = b"ETag" in response.headers or b"Last-Modified" in response.headers
        return response.status == 200 and b"no-store" not in cc and has_validator

    def is_cached_response_fresh(self, cachedresponse: Response, request: Request) -> bool:
        self._set_conditional_validators(request, cachedresponse)
        return False

    def is_cached_response_valid(
        self, cachedresponse: Response, response: Response, request: Request
    ) -> bool:
        return response.status == 304


class DatabaseSideCacheStorage:
    """Cached responses in SQLite, kept next to the database (``<db>.httpcache/``).

    Tying the cache to the database means two databases never share validators: a
    fresh database always starts with full downloads. Each response is its own short
    transaction (WAL, ``synchronous=NORMAL``: a commit costs no fsync), so crawls that
    share the file (two jobs of one spider, distributed workers) never hold the write
    lock for long; a busy timeout makes one wait for the other's single write.
    """

    BUSY_TIMEOUT_S = 30

    def __init__(self, settings: BaseSettings):
        explicit = settings.get("RELEASEWATCH_HTTPCACHE_DIR")
        db_path = Path(settings.get("RELEASEWATCH_DB", "releasewatch.db")).resolve()
        self.cachedir = str(Path(explicit).resolve()) if explicit else f"{db_path}.httpcache"
        self.expiration_secs = settings.getint("HTTPCACHE_EXPIRATION_SECS")
        self.compress = settings.getbool("HTTPCACHE_GZIP")
        self._zstd = zstandard.ZstdCompressor(level=1)  # one context, reused: no allocation per page
        self._unzstd = zstandard.ZstdDecompressor()
        self.conn: sqlite3.Connection | None = None

    def open_spider(self, spider: Spider) -> None:
        Path(self.cachedir).mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(Path(self.cachedir, f"{spider.name}.sqlite"), isolation_level=None,
                                    timeout=self.BUSY_TIMEOUT_S)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS responses (fingerprint TEXT PRIMARY KEY, url TEXT, "
            "status INTEGER, headers BLOB, body BLOB, compressed INTEGER, stored_at REAL)")
        self._fingerprinter = spider.crawler.request_fingerprinter

    def close_spider(self, spider: Spider) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def retrieve_response(self, spider: Spider, request: Request) -> Response | None:
        row = self.conn.execute(
            "SELECT url, status, headers, body, compressed, stored_at FROM responses WHERE fingerprint = ?",
            [self._fingerprinter.fingerprint(request).hex()],
        ).fetchone()
        if row is None:
            return None
        url, status, raw_headers, body, compressed, stored_at = row
        if 0 < self.expiration_secs < time.time() - stored_at:
            return None
        if compressed == ZSTD:
            body = self._unzstd.decompress(body)
        elif compressed == ZLIB:
            body = zlib.decompress(body)
        headers = Headers(headers_raw_to_dict(raw_headers))
        request.meta["cache_timestamp"] = stored_at
        respcls = responsetypes.from_args(headers=headers, url=url, body=body)
        return respcls(url=url, headers=headers, status=status, body=body)

    def store_response(self, spider: Spider, request: Request, response: Response) -> None:
        body = self._zstd.compress(response.body) if self.compress else response.body
        try:
            self.conn.execute(  # autocommit: one short write transaction
                "INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?, ?, ?)",
                [self._fingerprinter.fingerprint(request).hex(), response.url, response.status,
                 headers_dict_to_raw(response.headers), body, ZSTD if self.compress else RAW, time.time()],
            )
        except sqlite3.Error as error:  # disk full: the page is still used, only not cached
            spider.crawler.stats.inc_value("releasewatch/httpcache_write_errors")
            logger.warning("could not cache %s in %s: %s", response.url, self.cachedir, error)
