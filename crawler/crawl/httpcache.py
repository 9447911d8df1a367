"""Conditional GET through Scrapy's own HTTP cache.

Every cached page is revalidated (``If-None-Match`` / ``If-Modified-Since``) on every
run, so an unchanged page costs a 304 and an edited one is fetched in full. Only a 304
reuses the cached copy: a 5xx is never masked by an old page.

The cached responses live in one SQLite file per spider next to the database
(``<db>.httpcache/<spider>.sqlite``). Scrapy's filesystem storage creates a directory
and six (gzipped) files per response, which cost more than the rest of the crawl's work
for a page (see the benchmarks in ``bench/``); a row in SQLite costs a fraction of that.
"""

from __future__ import annotations

import sqlite3
import time
import zlib
from pathlib import Path

from scrapy.extensions.httpcache import RFC2616Policy
from scrapy.http import Headers, Request, Response
from scrapy.responsetypes import responsetypes
from scrapy.settings import BaseSettings
from scrapy.spiders import Spider
from w3lib.http import headers_dict_to_raw, headers_raw_to_dict


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
    fresh database always starts with full downloads. Writes are committed every
    ``COMMIT_EVERY`` responses and when the spider closes; a killed crawl loses at most
    those, and the next run fetches them in full instead of getting a 304. Distributed
    workers (``REDIS_URL``) share the file, so each of them commits every response: a
    batch would hold the write lock and stall the other workers.
    """

    COMMIT_EVERY = 100

    def __init__(self, settings: BaseSettings):
        explicit = settings.get("RELEASEWATCH_HTTPCACHE_DIR")
        db_path = Path(settings.get("RELEASEWATCH_DB", "releasewatch.db")).resolve()
        self.cachedir = str(Path(explicit).resolve()) if explicit else f"{db_path}.httpcache"
        self.commit_every = 1 if settings.get("REDIS_URL") else self.COMMIT_EVERY
        self.expiration_secs = settings.getint("HTTPCACHE_EXPIRATION_SECS")
        self.compress = settings.getbool("HTTPCACHE_GZIP")
        self.conn: sqlite3.Connection | None = None
        self.pending = 0

    def open_spider(self, spider: Spider) -> None:
        Path(self.cachedir).mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(Path(self.cachedir, f"{spider.name}.sqlite"), isolation_level=None,
                                    timeout=30)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS responses (fingerprint TEXT PRIMARY KEY, url TEXT, "
            "status INTEGER, headers BLOB, body BLOB, compressed INTEGER, stored_at REAL)")
        self._fingerprinter = spider.crawler.request_fingerprinter

    def close_spider(self, spider: Spider) -> None:
        if self.conn is not None:
            if self.conn.in_transaction:
                self.conn.execute("COMMIT")
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
        body = zlib.decompress(body) if compressed else body
        headers = Headers(headers_raw_to_dict(raw_headers))
        request.meta["cache_timestamp"] = stored_at
        respcls = responsetypes.from_args(headers=headers, url=url, body=body)
        return respcls(url=url, headers=headers, status=status, body=body)

    def store_response(self, spider: Spider, request: Request, response: Response) -> None:
        body = zlib.compress(response.body, 1) if self.compress else response.body
        if not self.conn.in_transaction:
            self.conn.execute("BEGIN")
        self.conn.execute(
            "INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?, ?, ?)",
            [self._fingerprinter.fingerprint(request).hex(), response.url, response.status,
             headers_dict_to_raw(response.headers), body, int(self.compress), time.time()],
        )
        self.pending += 1
        if self.pending >= self.commit_every:
            self.conn.execute("COMMIT")
            self.pending = 0
