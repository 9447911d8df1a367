"""Drop the crawl's debug lines where they are made when no handler would show them.

Scrapy sets its loggers to ``DEBUG`` and the root logger to ``NOTSET`` and filters in its
handler (``LOG_LEVEL``), so each of its per-page debug calls ("Crawled (200)", "Scraped
from") builds a log record, looking its caller up on the stack, for the handler to throw
away: about 5-10 us a line, two lines a page. When every handler hangs on the root logger
(a library's ``NullHandler`` aside) and none takes records below some level, the loggers
set below that level are raised to it: what is logged stays the same (docs/benchmarks.md,
"The crawl's cost per page").
"""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.crawler import Crawler


class RootLogLevel:
    """Scrapy extension: raise loggers to the lowest level a handler takes (never lower one)."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RootLogLevel:
        ext = cls()
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        return ext

    def spider_opened(self, spider) -> None:
        root = logging.getLogger()
        others = [lg for lg in root.manager.loggerDict.values() if isinstance(lg, logging.Logger)]
        if not root.handlers or any(not isinstance(handler, logging.NullHandler)
                                    for lg in others for handler in lg.handlers):
            return
        lowest = min(handler.level for handler in root.handlers)
        if lowest <= logging.NOTSET:
            return
        for logger in (root, *others):
            if logger.level < lowest and (logger is root or logger.level > logging.NOTSET):
                logger.setLevel(lowest)
