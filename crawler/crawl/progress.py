"""The crawl's side of live progress: counters to ``RELEASEWATCH_PROGRESS_FILE``
(read by ``crawler.runner``, shown by ``crawler.progress.ProgressView``)."""

from __future__ import annotations

import json
import os

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from crawler.progress import snapshot


class ProgressReporter:
    """Scrapy extension: write counters as JSON lines while the crawl runs."""

    INTERVAL = 1.0

    def __init__(self, crawler, path: str):
        self.crawler, self.path, self.task = crawler, path, None

    @classmethod
    def from_crawler(cls, crawler):
        path = crawler.settings.get("RELEASEWATCH_PROGRESS_FILE") or os.environ.get("RELEASEWATCH_PROGRESS_FILE")
        if not path:
            raise NotConfigured
        ext = cls(crawler, path)
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def opened(self, spider) -> None:
        self.task = task.LoopingCall(self.write)
        self.task.start(self.INTERVAL, now=True)

    def closed(self, spider, reason: str) -> None:
        if self.task and self.task.running:
            self.task.stop()
        self.write(done=True)

    def write(self, done: bool = False) -> None:
        line = {**snapshot(self.crawler.stats.get_stats()), "done": done}
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")
