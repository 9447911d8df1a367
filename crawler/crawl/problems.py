"""Reporting what went wrong during a crawl: spiders and pipelines call these.

The run's verdict is made from what is reported here (``crawler.verdict``); this module
touches no database, so spiders may import it.
"""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro

from crawler.verdict import ENTRY_FAILED, ENTRY_PROBLEM, PROBLEM_COUNT, PROBLEMS, STOPPED
from storage.normalize import utcnow

logger = logging.getLogger(__name__)

MAX_PROBLEMS_KEPT = 500
#: Signal sent by ``report_problem`` (``url``, ``reason``, ``entry``): the distributed
#: worker (``crawler.distributed.addon``) files each problem under its run.
problem_reported = object()


def report_problem(crawler: Crawler, url: str, reason: str, *, entry: bool = False) -> None:
    """Record that ``url`` did not give what it should; ``entry`` marks the run failed."""
    stats = crawler.stats
    stats.inc_value(PROBLEM_COUNT)
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
