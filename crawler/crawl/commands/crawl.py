"""``scrapy crawl``: an unknown spider is one line naming the spiders, not a traceback.

Checked in ``process_options``, before Scrapy starts its crawler process and logging.
"""

from __future__ import annotations

import sys

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.spiderloader import get_spider_loader


class Command(ScrapyCrawl):
    def process_options(self, args, opts) -> None:
        super().process_options(args, opts)
        if len(args) == 1:
            known = sorted(get_spider_loader(self.settings).list())
            if args[0] not in known:
                print(f"Error: unknown spider {args[0]!r} (spiders: {', '.join(known)})", file=sys.stderr)
                sys.exit(2)
