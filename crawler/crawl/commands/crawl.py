"""``scrapy crawl``: an unknown spider, or a database the crawl cannot write, is one line,
not a traceback (nor a crawl that fails on every page for a reason it does not say).

Checked in ``process_options``, before Scrapy starts its crawler process and logging.
"""

from __future__ import annotations

import sys

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.spiderloader import get_spider_loader

from storage.schema import unwritable


class Command(ScrapyCrawl):
    def process_options(self, args, opts) -> None:
        super().process_options(args, opts)
        if len(args) == 1:
            known = sorted(get_spider_loader(self.settings).list())
            if args[0] not in known:
                print(f"Error: unknown spider {args[0]!r} (spiders: {', '.join(known)})", file=sys.stderr)
                sys.exit(2)
        db = self.settings.get("RELEASEWATCH_DB")
        writes = self.settings.getdict("ITEM_PIPELINES").get("crawler.crawl.pipelines.StoragePipeline") is not None
        if db and writes and not self.settings.get("REDIS_URL") and (problem := unwritable(db)):  # workers never write
            print(f"Error: {problem} (set -s RELEASEWATCH_DB= to a writable location)", file=sys.stderr)
            sys.exit(2)
