"""Crawl health: one ``crawl_runs`` row per run, and a loud verdict at the end.

Spiders and pipelines report problems with :func:`report_problem`; this extension turns
the run's stats into a status (SITES.md ``crawl_runs``):

- ``failed``: the entry point (listing, feed, home page) could not be fetched, nothing
  was fetched at all, or the run did not finish;
- ``degraded``: a page that should yield a release yielded none or lacked required
  fields, a release could not be fetched, or a tracked list looked unhealthy;
- ``ok``: everything else.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.spiders import Spider
from scrapy.utils.defer import deferred_from_coro

from storage import open_db, utcnow
from storage.runs import close_run, mark_abandoned_runs, start_run

logger = logging.getLogger(__name__)

PROBLEMS = "releasewatch/problems"
ENTRY_FAILED = "releasewatch/entry_failed"
ENTRY_PROBLEM = "releasewatch/entry_problem"
STOPPED = "releasewatch/stopped"
MAX_PROBLEMS_KEPT = 500
#: Signal sent by ``report_problem`` (``url``, ``reason``, ``entry``): the distributed
#: worker (``crawler.distributed``) files each problem under its run.
problem_reported = object()


def report_problem(crawler: Crawler, url: str, reason: str, *, entry: bool = False) -> None:
    """Record that ``url`` did not give what it should; ``entry`` marks the run failed."""
    stats = crawler.stats
    stats.inc_value("releasewatch/problem_count")
    if entry:
        stats.inc_value(ENTRY_FAILED)
        if not stats.get_value(ENTRY_PROBLEM):
            stats.set_value(ENTRY_PROBLEM, f"{url}: {reason}")
    problems = stats.get_value(PROBLEMS) or []
    if len(problems) < MAX_PROBLEMS_KEPT:
        problems.append({"url": url, "error": reason, "at": utcnow()})
        stats.set_value(PROBLEMS, problems)
    logger.warning("releasewatch problem: %s: %s", url, reason)
    crawler.signals.send_catch_log(problem_reported, url=url, reason=reason, entry=entry)


def stop_crawl(crawler: Crawler, url: str, reason: str, *, finish_reason: str) -> None:
    """Report a problem that makes going on pointless (the database refuses writes) and
    close the spider: the run is failed, with ``reason`` as its reason."""
    report_problem(crawler, url, reason)
    if crawler.stats.get_value(STOPPED):
        return
    crawler.stats.set_value(STOPPED, reason)
    logger.error("releasewatch: %s - stopping the crawl", reason)
    deferred_from_coro(crawler.engine.close_spider_async(reason=finish_reason))


def run_status(stats: dict[str, Any], finish_reason: str | None) -> tuple[str, str]:
    """``(status, reason)`` for a finished run from its stats."""
    pages = stats.get("response_received_count", 0)
    if stats.get(ENTRY_FAILED):
        return "failed", ("the listing/feed/home page could not be fetched or read"
                          + (f": {stats[ENTRY_PROBLEM]}" if stats.get(ENTRY_PROBLEM) else ""))
    if stats.get(STOPPED):  # also when the database refused the last batch at close
        return "failed", stats[STOPPED]
    if finish_reason not in (None, "finished"):
        return "failed", f"run ended early: {finish_reason}"
    if not pages:
        return "failed", "no page could be fetched"
    problems = stats.get("releasewatch/problem_count", 0)
    if problems:
        first = (stats.get(PROBLEMS) or [{}])[0]
        return "degraded", f"{problems} problem(s), first: {first.get('url')}: {first.get('error')}"
    if stats.get("httpcache/errorrecovery"):
        return "degraded", "some pages failed and were served from the cache"
    if stats.get("log_count/ERROR"):
        return "degraded", f"{stats['log_count/ERROR']} error(s) in the log"
    return "ok", "ok"


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
                trigger=self.trigger, pid=os.getpid(), scope=getattr(spider, "scope", ""),
            )
        finally:
            db.close()
        self.crawler.stats.set_value("releasewatch/run_id", self.run_id)

    def spider_error(self, failure: Any, response: Any = None, spider: Spider | None = None) -> None:
        url = getattr(response, "url", None) or getattr(getattr(failure, "request", None), "url", None) or "?"
        report_problem(self.crawler, url, f"spider error: {failure.getErrorMessage()}")

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = self.crawler.stats.get_stats()
        status, why = run_status(stats, reason)
        counts = {
            "pages": stats.get("response_received_count", 0),
            "items_new": stats.get("releasewatch/items_new", 0),
            "items_changed": stats.get("releasewatch/items_changed", 0),
            "items_unchanged": stats.get("releasewatch/items_unchanged", 0),
        }
        try:
            db = open_db(self.db_path)
            try:
                close_run(
                    db, self.run_id, status=status, reason=why, finish_reason=reason,
                    problems=stats.get(PROBLEMS) or [], **counts,
                )
            finally:
                db.close()
        except sqlite3.Error as error:  # disk full, read-only: say so, and still give the verdict
            logger.error("releasewatch: could not record run %s in %s: %s", self.run_id, self.db_path, error)
        line = (
            f"releasewatch run {self.run_id} {spider.name}: {status.upper()} "
            f"pages={counts['pages']} new={counts['items_new']} "
            f"changed={counts['items_changed']} unchanged={counts['items_unchanged']} "
            f"problems={stats.get('releasewatch/problem_count', 0)} - {why}"
        )
        (logger.info if status == "ok" else logger.error)(line)
