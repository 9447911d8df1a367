"""The baseline: a bare Scrapy spider that follows the links ``scrapy crawl osce`` follows.

Home page, the closed field operations page it links, every listing page through the
pager and every release a listing links (``rel=bookmark``), with stock Scrapy: no item,
no pipeline, no HTTP cache, no extension. Run by ``bench.crawl`` with the project's
concurrency settings::

    scrapy runspider bench/bare_spider.py -a base=http://127.0.0.1:8123
"""

from __future__ import annotations

import scrapy


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, base: str = "", **kwargs):
        super().__init__(**kwargs)
        self.base = base.rstrip("/")

    async def start(self):
        yield scrapy.Request(f"{self.base}/", self.parse_home)
        yield scrapy.Request(f"{self.base}/press-releases?page=0", self.parse_listing)

    def parse_home(self, response):
        yield from response.follow_all(
            xpath="//a[normalize-space(.)='Closed field activities']", callback=self.parse_page)

    def parse_listing(self, response):
        yield from response.follow_all(css="a[rel=bookmark]", callback=self.parse_page)
        yield from response.follow_all(css="a[rel=next]", callback=self.parse_listing)

    def parse_page(self, response):
        return None
