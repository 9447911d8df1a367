"""Conditional GET through Scrapy's own HTTP cache.

Every cached page is revalidated (``If-None-Match`` / ``If-Modified-Since``) on every
run, so an unchanged page costs a 304 and an edited one is fetched in full. Only a 304
reuses the cached copy: a 5xx is never masked by an old page.
"""

from __future__ import annotations

from pathlib import Path

from scrapy.extensions.httpcache import FilesystemCacheStorage, RFC2616Policy
from scrapy.http import Request, Response
from scrapy.settings import BaseSettings


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


class DatabaseSideCacheStorage(FilesystemCacheStorage):
    """Filesystem cache kept next to the database (``<db>.httpcache/``).

    Tying the cache to the database means two databases never share validators: a
    fresh database always starts with full downloads.
    """

    def __init__(self, settings: BaseSettings):
        explicit = settings.get("RELEASEWATCH_HTTPCACHE_DIR")
        db_path = Path(settings.get("RELEASEWATCH_DB", "releasewatch.db")).resolve()
        cachedir = str(Path(explicit).resolve()) if explicit else f"{db_path}.httpcache"
        # An absolute HTTPCACHE_DIR needs no scrapy.cfg to resolve (Scrapyd eggs have none).
        super().__init__(BaseSettings({**settings.copy_to_dict(), "HTTPCACHE_DIR": cachedir}))
        self.cachedir = cachedir
