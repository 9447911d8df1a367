"""``scrapy check``: the spiders' contracts, on saved pages. A check is not a crawl, so it
records nothing: no crawl run, no item, no HTTP cache, no database opened. A check's
``ok`` run in ``crawl_runs`` would count, for the gap rule, as a run that paged past what a
killed crawl left (docs/reliability.md), and it wrote ``releasewatch.db`` wherever it ran.
"""

from __future__ import annotations

from scrapy.commands.check import Command as ScrapyCheck

NOTHING_RECORDED = {
    "ITEM_PIPELINES": {},  # the storage pipeline
    "EXTENSIONS": {},  # crawl health (the crawl_runs row), progress, watches
    "SPIDER_MIDDLEWARES": {},  # stop-at-known reads the database
    "HTTPCACHE_ENABLED": False,
}


class Command(ScrapyCheck):
    def process_options(self, args, opts) -> None:
        super().process_options(args, opts)
        # Above the project's settings (a command's default_settings rank below them).
        self.settings.setdict(NOTHING_RECORDED, priority="cmdline")
