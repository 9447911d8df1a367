"""Crawl health: one ``crawl_runs`` row per run, and a loud verdict at the end.

Spiders and pipelines report problems with ``crawler.crawl.problems.report_problem``;
this extension opens the run's row, and at the end turns the run's stats into a status
(``crawler.verdict``) and closes the row.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.spiders import Spider

from crawler.crawl.problems import report_problem
from crawler.verdict import PROBLEM_COUNT, run_record, summary_line
from storage import open_db
from storage.runs import close_run, mark_abandoned_runs, start_run

logger = logging.getLogger(__name__)


class CrawlHealth:
    """Writes the ``crawl_runs`` row at start and end of every crawl."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.db_path = crawler.settings.get("RELEASEWATCH_DB")
        self.run_id: int | None = None
        self.trigger = os.environ.get("RELEASEWATCH_TRIGGER", "manual")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlHealth:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.spider_error, signal=signals.spider_error)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        db = open_db(self.db_path)
        try:
            mark_abandoned_runs(db)
            run_id = os.environ.get("RELEASEWATCH_RUN_ID")
            self.run_id = start_run(
                db, spider.name, run_id=int(run_id) if run_id else None,
                trigger=self.trigger, pid=os.getpid(),
            )
        finally:
            db.close()
        self.crawler.stats.set_value("releasewatch/run_id", self.run_id)

    def spider_error(self, failure: Any, response: Any, spider: Spider) -> None:
        report_problem(self.crawler, response.url, f"spider error: {failure.getErrorMessage()}")

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = self.crawler.stats.get_stats()
        record = run_record(stats, reason)
        try:
            db = open_db(self.db_path)
            try:
                close_run(db, self.run_id, **record)
            finally:
                db.close()
        except sqlite3.Error as error:  # disk full, read-only: say so, and still give the verdict
            logger.error("releasewatch: could not record run %s in %s: %s", self.run_id, self.db_path, error)
        line = "releasewatch " + summary_line(self.run_id, spider.name, {**record, "errors": stats.get(PROBLEM_COUNT, 0)})
        (logger.info if record["status"] == "ok" else logger.error)(line)
