"""The HTTP cache's storage (``crawler/crawl/httpcache.py``): a cached page comes back as it
was sent, its body stored compressed, and rows written by earlier versions (zlib, or no
compression) are still read."""

from __future__ import annotations

import sqlite3
import zlib
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.spiders import Spider
from scrapy.utils.test import get_crawler

from crawler.crawl.httpcache import DatabaseSideCacheStorage

PAGE = b"<html><body>" + b"".join(
    f"<p>Paragraph {n} of the release, as a site repeats its template.</p>".encode() for n in range(300)
) + "<p>Déclaration \u2013 fin</p></body></html>".encode()


@pytest.fixture
def cache(tmp_path):
    crawler = get_crawler(Spider, settings_dict={"RELEASEWATCH_DB": str(tmp_path / "rw.db"), "HTTPCACHE_GZIP": True})
    spider = Spider.from_crawler(crawler, name="osce")
    storage = DatabaseSideCacheStorage(crawler.settings)
    storage.open_spider(spider)
    yield storage, spider
    storage.close_spider(spider)


def stored_body(storage: DatabaseSideCacheStorage, url: str) -> bytes:
    conn = sqlite3.connect(Path(storage.cachedir, "osce.sqlite"))
    try:
        return conn.execute("SELECT body FROM responses WHERE url = ?", [url]).fetchone()[0]
    finally:
        conn.close()


def test_a_cached_page_comes_back_as_sent_and_is_stored_compressed(cache):
    storage, spider = cache
    url = "http://127.0.0.1:1/pc/1"
    sent = HtmlResponse(url, status=200, body=PAGE, headers={"ETag": '"v1"', "Content-Type": "text/html; charset=utf-8"})
    storage.store_response(spider, Request(url), sent)

    back = storage.retrieve_response(spider, Request(url))
    assert (back.url, back.status, back.body) == (url, 200, PAGE)
    assert back.headers[b"ETag"] == b'"v1"'
    assert len(stored_body(storage, url)) * 4 < len(PAGE)
    assert storage.retrieve_response(spider, Request("http://127.0.0.1:1/pc/2")) is None


@pytest.mark.parametrize("compressed, encode", [(1, lambda body: zlib.compress(body, 1)), (0, lambda body: body)])
def test_rows_written_before_zstd_are_still_read(cache, compressed, encode):
    storage, spider = cache
    url = "http://127.0.0.1:1/pc/3"
    request = Request(url)
    storage.conn.execute(
        "INSERT INTO responses VALUES (?, ?, 200, ?, ?, ?, 0)",
        [storage._fingerprinter.fingerprint(request).hex(), url, b"ETag: \"v0\"\r\n", encode(PAGE), compressed])
    back = storage.retrieve_response(spider, request)
    assert back.body == PAGE and back.headers[b"ETag"] == b'"v0"'
