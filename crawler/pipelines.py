"""Item pipelines: check an item is complete, then hand it to ``storage``."""

from __future__ import annotations

import logging
import sqlite3

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.spiders import Spider

from crawler.health import report_problem, stop_crawl
from crawler.items import ListSnapshotItem, ReleaseItem
from storage import open_db, store_release
from storage.lists import MAX_CHANGES, record_list_snapshot

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
    """Store releases and list snapshots in SQLite (one transaction per item).

    A write the database refuses stops the crawl as failed (``crawler.health.stop_crawl``):
    the item's transaction is rolled back, and fetching more pages that cannot be stored
    would only hide the problem.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.db_path = crawler.settings.get("RELEASEWATCH_DB")
        self.db = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoragePipeline:
        return cls(crawler)

    def open_spider(self, spider: Spider | None = None) -> None:
        self.db = open_db(self.db_path)

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.db is not None:
            self.db.close()

    def process_item(self, item, spider: Spider | None = None):
        try:
            return self._store(item)
        except sqlite3.Error as error:  # disk full, read-only, locked beyond the busy timeout
            reason = f"cannot write to the database {self.db_path}: {error}"
            stop_crawl(self.crawler, item.get("url", "?"), reason, finish_reason="storage_error")
            raise DropItem(reason) from error

    def _store(self, item):
        stats = self.crawler.stats
        if isinstance(item, ReleaseItem):
            result = store_release(self.db, item)
            stats.inc_value(f"releasewatch/items_{result.counts_as}")
            stats.inc_value(f"releasewatch/store/{result.status}")
            logger.debug("%s %s -> release %s", result.status, item["url"], result.release_id)
        elif isinstance(item, ListSnapshotItem):
            result = record_list_snapshot(
                self.db, item["list"], item.get("items") or [],
                healthy=item.get("healthy", True), reason=item.get("reason"),
                run_id=stats.get_value("releasewatch/run_id"),
                max_changes=self.crawler.settings.getint("RELEASEWATCH_LIST_MAX_CHANGES", MAX_CHANGES),
            )
            stats.inc_value("releasewatch/list_changes", len(result.changes))
            stats.inc_value(f"releasewatch/lists/{result.status}")
            if result.problem:
                report_problem(self.crawler, item.get("url", item["list"]), result.problem)
        return item
