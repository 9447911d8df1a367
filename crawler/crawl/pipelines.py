"""Item pipelines: check an item is complete, then store it (``storage.write``, as the ingester does)."""

from __future__ import annotations

import contextlib
import logging
import sqlite3

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.spiders import Spider
from twisted.internet.task import LoopingCall

from crawler.crawl.items import ListSnapshotItem, ReleaseItem
from crawler.crawl.problems import report_problem, stop_crawl
from storage import neardup, open_db
from storage.lists import MAX_CHANGES
from storage.write import LIST, RELEASE, store_item

logger = logging.getLogger(__name__)

REQUIRED = ("title", "body", "published")


class ValidationPipeline:
    """Drop releases without title or body; flag (but keep) releases without a date."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidationPipeline:
        return cls(crawler)

    def process_item(self, item, spider: Spider | None = None):
        if not isinstance(item, ReleaseItem):
            return item
        missing = [field for field in REQUIRED if not item.get(field)]
        if missing:
            report_problem(self.crawler, item.get("url", "?"), f"missing {', '.join(missing)}")
        if not item.get("title") or not item.get("body"):
            raise DropItem(f"incomplete release {item.get('url')}: missing {', '.join(missing)}")
        return item


class StoragePipeline:
    """Store releases and list snapshots in SQLite, several items per transaction.

    Items are written in batches: a commit every ``RELEASEWATCH_BATCH_SIZE`` items or
    every ``RELEASEWATCH_BATCH_SECONDS``, whichever comes first, and when the spider
    closes. Each item is still all-or-nothing (a savepoint inside the batch). A killed
    crawl loses at most the uncommitted batch: those URLs are not in ``release_urls``,
    so the next incremental run does not stop at them and fetches them again.
    ``RELEASEWATCH_BATCH_SIZE=1`` commits every item on its own.

    A write the database refuses (disk full, read-only, locked beyond the busy timeout)
    stops the crawl as failed (``crawler.crawl.problems.stop_crawl``); the open batch is rolled back.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.db_path = crawler.settings.get("RELEASEWATCH_DB")
        self.batch_size = max(1, crawler.settings.getint("RELEASEWATCH_BATCH_SIZE", 100))
        self.batch_seconds = crawler.settings.getfloat("RELEASEWATCH_BATCH_SECONDS", 1.0)
        self.max_changes = crawler.settings.getint("RELEASEWATCH_LIST_MAX_CHANGES", MAX_CHANGES)
        self.db = None
        self.pending = 0
        self.timer: LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoragePipeline:
        return cls(crawler)

    def open_spider(self, spider: Spider | None = None) -> None:
        self.db = open_db(self.db_path)
        neardup.load()
        if self.batch_size > 1 and self.batch_seconds > 0:
            self.timer = LoopingCall(self.commit)
            self.timer.start(self.batch_seconds, now=False)

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.timer is not None and self.timer.running:
            self.timer.stop()
        if self.db is not None:
            self.commit()
            self.db.close()

    def commit(self) -> None:
        """Commit the open batch, if any (a refused commit fails the crawl, see ``refuse``)."""
        if self.db is not None and self.db.conn.in_transaction:
            try:
                self.db.conn.execute("COMMIT")
            except sqlite3.Error as error:
                self.refuse(self.db_path, error)
                return
        self.pending = 0

    def process_item(self, item, spider: Spider | None = None):
        try:
            if self.batch_size > 1 and not self.db.conn.in_transaction:
                # IMMEDIATE: take the write lock now (waiting up to the busy timeout) rather
                # than fail later when a read transaction cannot be upgraded.
                self.db.conn.execute("BEGIN IMMEDIATE")
            try:
                return self._store(item)
            finally:
                self.pending += 1
                if self.pending >= self.batch_size:
                    self.commit()
        except sqlite3.Error as error:
            raise DropItem(self.refuse(item.get("url", "?"), error)) from error

    def refuse(self, url: str, error: sqlite3.Error) -> str:
        """Roll back the open batch and stop the crawl as failed; return the reason."""
        if self.db is not None and self.db.conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self.db.conn.execute("ROLLBACK")
        self.pending = 0
        reason = f"cannot write to the database {self.db_path}: {error}"
        stop_crawl(self.crawler, url, reason, finish_reason="storage_error")
        return reason

    def _store(self, item):
        stats = self.crawler.stats
        kind = LIST if isinstance(item, ListSnapshotItem) else RELEASE
        result = store_item(self.db, kind, item, run_id=stats.get_value("releasewatch/run_id"),
                            max_changes=self.max_changes)
        if kind == RELEASE:
            stats.inc_value(f"releasewatch/items_{result.counts_as}")
            stats.inc_value(f"releasewatch/store/{result.status}")
            logger.debug("%s %s -> release %s", result.status, item["url"], result.release_id)
        else:
            stats.inc_value("releasewatch/list_changes", len(result.changes))
            stats.inc_value(f"releasewatch/lists/{result.status}")
            if result.problem:
                report_problem(self.crawler, item.get("url", item["list"]), result.problem)
        return item
