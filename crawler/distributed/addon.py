"""Distributed mode: many ``scrapy crawl`` workers share one crawl through Redis.

Off unless the ``REDIS_URL`` setting (or environment variable) is set; then
:class:`DistributedAddon` (listed in ``ADDONS``) rewires the crawler:

- the scrapy-redis scheduler and a per-run dupefilter, so every worker pulls from one
  request queue and no page is fetched twice in a run; a request is marked seen and
  queued in one atomic step; pops are *leases*, acknowledged only once the response's
  requests and items are safely in Redis, and taken back from workers whose heartbeat
  stopped (``crawler/distributed/queue.py``);
- no SQLite in workers: :class:`HandoffPipeline` pushes items to Redis for
  ``releasewatch ingest`` (the one writer), stop-at-known reads the known URLs the
  ingester publishes in Redis, and run health goes to per-run counters in Redis that
  the ingester turns into the ``crawl_runs`` row (:class:`DistributedWorker`);
- start requests come from seeds (``releasewatch seed osce``, ``crawler.distributed.handoff.seed_run``),
  not from each worker's start, so N workers start one crawl, not N;
- back-pressure (:class:`BackPressure`): workers pause while the ingester is behind.

The Redis key layout and the seeding are in ``crawler.distributed.handoff`` (no Scrapy).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import AsyncIterator, Iterable
from typing import Any

from itemadapter import ItemAdapter
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.http import Response
from scrapy.settings import Settings
from scrapy.spiders import Spider
from scrapy.utils.defer import deferred_from_coro
from scrapy_redis.connection import get_redis_from_settings
from twisted.internet import task

from crawler.crawl.items import ListSnapshotItem
from crawler.crawl.middlewares import StopAtKnownMiddleware
from crawler.crawl.problems import problem_reported, report_problem
from crawler.crawl.spider_args import truthy
from crawler.distributed import handoff
from crawler.distributed.handoff import SpiderKeys
from crawler.distributed.queue import RUN, LeasedQueue, queue_opened, setting
from storage import utcnow

logger = logging.getLogger(__name__)

FULL = "releasewatch_full"  # request meta: the run was seeded with full=1
ITEM_RUN = "_releasewatch_run"  # item attribute: the run an item belongs to


class DistributedAddon:
    """Switch a crawler to distributed mode when ``REDIS_URL`` is set; else do nothing."""

    SWAPS = {
        "ITEM_PIPELINES": ("crawler.crawl.pipelines.StoragePipeline", "crawler.distributed.addon.HandoffPipeline"),
        "EXTENSIONS": ("crawler.crawl.health.CrawlHealth", "crawler.distributed.addon.DistributedWorker"),
        "SPIDER_MIDDLEWARES": ("crawler.crawl.middlewares.StopAtKnownMiddleware",
                               "crawler.distributed.addon.DistributedStopAtKnownMiddleware"),
    }

    def update_settings(self, settings: Settings) -> None:
        if not settings.get("REDIS_URL"):
            return
        if os.environ.get("RELEASEWATCH_RUN_ID"):
            # Started by `releasewatch crawl` / run_crawl, which owns a crawl_runs row and
            # waits for this process to close it: a worker would wait for seeds instead.
            logger.warning("REDIS_URL ignored: `releasewatch crawl` runs one process; "
                           "start distributed runs with `releasewatch seed`")
            return
        for name, value in {
            "SCHEDULER": "crawler.distributed.queue.LeasedScheduler",
            "SCHEDULER_QUEUE_CLASS": "crawler.distributed.queue.LeasedQueue",
            "DUPEFILTER_CLASS": "crawler.distributed.queue.RunDupeFilter",
            "SCHEDULER_PERSIST": True,  # one worker closing must not flush the shared queue
        }.items():
            settings.set(name, value, priority="addon")
        # A worker leases as many requests as it may have in flight: more than one site
        # allows would wait in its downloader while other workers idle.
        settings.set("CONCURRENT_REQUESTS", settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"), priority="project")
        for name, (old, new) in self.SWAPS.items():
            components = settings[name]
            order = components.get(old) or 500
            components.set(old, None, priority="project")
            components.set(new, order, priority="project")
        settings["SPIDER_MIDDLEWARES"].set("crawler.distributed.addon.RunTagMiddleware", 10, priority="project")
        settings["EXTENSIONS"].set("crawler.distributed.addon.BackPressure", 510, priority="project")


# --- spider middlewares -------------------------------------------------------------
class RunTagMiddleware:
    """Carry the run (and its ``full`` flag) from each response to what it yields, and
    leave the start to seeds: a worker's own ``start()`` is not crawled."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunTagMiddleware:
        return cls()

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        logger.info("distributed mode: waiting for seeds (releasewatch seed <spider>)")
        return
        yield  # pragma: no cover - makes this an (empty) async generator

    def process_spider_output(self, response: Response, result: Iterable, spider: Spider | None = None):
        for entry in result:
            yield tag(entry, response.meta.get(RUN), response.meta.get(FULL))

    async def process_spider_output_async(self, response: Response, result, spider: Spider | None = None):
        async for entry in result:
            yield tag(entry, response.meta.get(RUN), response.meta.get(FULL))


def tag(entry: Any, run: str | None, full: bool | None) -> Any:
    """Mark a request or item as part of ``run``."""
    if run is None:
        return entry
    if isinstance(entry, Request):
        entry.meta.setdefault(RUN, run)
        entry.meta.setdefault(FULL, bool(full))
    else:
        with contextlib.suppress(AttributeError, TypeError):  # a plain dict: left untagged
            setattr(entry, ITEM_RUN, run)
    return entry


class KnownUrlsInRedis:
    """The release URLs run ``run`` may stop at, as the ingester published them when it
    recorded the run's start (none, if it has not yet: the run pages on)."""

    def __init__(self, server, run: str | None):
        self.server, self.key = server, handoff.run_known_key(run) if run else None

    def __contains__(self, url: object) -> bool:
        return self.key is not None and bool(self.server.sismember(self.key, str(url)))


class DistributedStopAtKnownMiddleware(StopAtKnownMiddleware):
    """Stop-at-known on the URLs the ingester published for the response's run (workers
    never open SQLite); a run seeded with ``full=1`` pages on.

    The ingester computes them with the same gap rule as one process
    (``storage.runs.trusted_known_urls``, for the run's spider and scope) when it
    records the run's start, so a listing fetched again in the same run (its first
    worker was killed) does not stop at releases the run itself stored.
    """

    def spider_opened(self, spider: Spider) -> None:
        self.server = get_redis_from_settings(self.crawler.settings)

    def known_for(self, response: Response) -> KnownUrlsInRedis:
        return KnownUrlsInRedis(self.server, response.meta.get(RUN))

    def pages_on(self, response: Response) -> bool:
        return bool(response.meta.get(FULL)) or super().pages_on(response)

    def listing_key(self, response: Response, chain: str) -> object:
        return response.meta.get(RUN), chain  # a worker serves many runs


# --- item pipeline ----------------------------------------------------------------
class HandoffPipeline:
    """Push each item, as JSON with its run, to the list the ingester drains.

    The push is synchronous, so it is in Redis before the request that produced the
    item is acknowledged: a worker killed at any point loses no item.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.server = get_redis_from_settings(crawler.settings)
        self.key = setting(crawler.settings, "RELEASEWATCH_ITEMS_KEY")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HandoffPipeline:
        return cls(crawler)

    def process_item(self, item, spider: Spider | None = None):
        kind = "list" if isinstance(item, ListSnapshotItem) else "release"
        run = getattr(item, ITEM_RUN, None)
        self.server.lpush(self.key, handoff.message(
            kind, run=run, spider=self.crawler.spider.name, item=ItemAdapter(item).asdict()))
        self.crawler.stats.inc_value(f"releasewatch/handoff/{kind}")
        return item


# --- extensions ---------------------------------------------------------------------
def engine_slot(crawler: Crawler):
    """The engine's slot (its in-progress requests and its next-call trigger).

    Scrapy has no public "request fully processed" hook: a request leaves
    ``slot.inprogress`` only after its callback's output is scheduled and its items
    went through the pipelines, which is exactly when a lease may be acknowledged.
    """
    return getattr(crawler.engine, "_slot", None) if crawler.engine else None


class DistributedWorker:
    """One worker of a shared crawl: leases, seeds, heartbeat, and run health in Redis.

    - acknowledges finished leases every ``RELEASEWATCH_POLL_INTERVAL`` seconds and
      wakes the engine when the shared queue has work (Scrapy itself polls every 5 s);
    - when idle, turns a seed token into the spider's start requests for that run;
    - keeps a heartbeat (``RELEASEWATCH_WORKER_TTL``) and takes back dead workers' leases;
    - counts each run's pages and files each problem under its run, for the ingester;
    - closes after ``RELEASEWATCH_IDLE_CLOSE`` idle seconds (0: waits for seeds forever).
    """

    MAX_URLS_REMEMBERED = 10_000

    def __init__(self, crawler: Crawler):
        if not crawler.settings.get("REDIS_URL"):
            raise NotConfigured("REDIS_URL is not set")
        self.crawler = crawler
        settings = crawler.settings
        self.server = get_redis_from_settings(settings)
        self.items_key = setting(settings, "RELEASEWATCH_ITEMS_KEY")
        self.ttl = setting(settings, "RELEASEWATCH_WORKER_TTL")
        self.poll = setting(settings, "RELEASEWATCH_POLL_INTERVAL")
        self.idle_close = setting(settings, "RELEASEWATCH_IDLE_CLOSE")
        self.ack_script = self.server.register_script(handoff.ACK_SCRIPT)
        self.queue: LeasedQueue | None = None
        self.keys: SpiderKeys | None = None
        self.url_runs: dict[str, str] = {}
        self.last_run: str | None = None
        self.idle_since: float | None = None
        self.starting = 0
        self.runs_started = 0
        self.loops: list[task.LoopingCall] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DistributedWorker:
        ext = cls(crawler)
        for handler, signal in [
            (ext.queue_opened, queue_opened), (ext.spider_opened, signals.spider_opened),
            (ext.spider_idle, signals.spider_idle), (ext.spider_closed, signals.spider_closed),
            (ext.request_reached, signals.request_reached_downloader),
            (ext.response_received, signals.response_received),
            (ext.problem_reported, problem_reported), (ext.spider_error, signals.spider_error),
        ]:
            crawler.signals.connect(handler, signal=signal)
        return ext

    @property
    def worker(self) -> str:
        return self.queue.worker if self.queue is not None else "?"

    def queue_opened(self, queue: LeasedQueue) -> None:
        self.queue = queue

    def spider_opened(self, spider: Spider) -> None:
        if self.queue is None:
            raise NotConfigured("distributed mode needs SCHEDULER_QUEUE_CLASS = LeasedQueue")
        self.keys = SpiderKeys(spider.name)
        self.beat()
        for function, interval in ((self.beat, max(self.ttl / 3, 0.2)), (self.tick, self.poll)):
            loop = task.LoopingCall(function)
            loop.start(interval, now=False).addErrback(
                lambda failure: logger.error("distributed worker loop failed: %s", failure.value))
            self.loops.append(loop)
        logger.info("releasewatch worker %s: sharing %s's crawl on Redis", self.worker, spider.name)

    # heartbeat, acknowledgements, wake-ups
    def beat(self) -> None:
        assert self.keys is not None
        self.server.set(self.keys.heartbeat(self.worker), utcnow(), px=int(self.ttl * 1000))
        moved = handoff.requeue_orphans(self.server, self.keys, alive=self.worker)
        if moved:
            self.crawler.stats.inc_value("releasewatch/distributed/recovered", moved)
            logger.warning("took back %d request(s) leased by workers that stopped", moved)

    def checkpoint(self) -> None:
        slot = engine_slot(self.crawler)
        if self.queue is not None:
            self.queue.checkpoint(slot.inprogress if slot is not None else set(self.queue.leases))

    def tick(self) -> None:
        self.checkpoint()
        slot = engine_slot(self.crawler)
        if slot is None or self.crawler.engine.paused or self.keys is None:
            return
        if self.server.llen(self.keys.requests) or self.server.llen(self.keys.seeds):
            slot.nextcall.schedule()

    # seeds
    def spider_idle(self, spider: Spider) -> None:
        self.checkpoint()
        if self.starting:
            raise DontCloseSpider
        assert self.keys is not None
        leased = self.keys.leased(self.keys.seeds, self.worker)
        token = self.server.lmove(self.keys.seeds, leased, "RIGHT", "LEFT")
        if token is not None:
            self.idle_since = None
            self.starting += 1
            deferred_from_coro(self.start_run(token, leased)).addErrback(
                lambda failure: logger.error("could not start a seeded run: %s", failure.value))
            raise DontCloseSpider
        now = time.monotonic()
        self.idle_since = self.idle_since or now
        if self.idle_close and now - self.idle_since >= self.idle_close:
            return  # nothing to do for a while: let Scrapy close the spider
        raise DontCloseSpider

    async def start_run(self, token: bytes, leased: str) -> None:
        """Schedule the spider's start requests for a seeded run, then release the seed."""
        try:
            seed = json.loads(token)
            run, args = seed["run"], seed.get("args") or {}
            spider = self.crawler.spider
            self.last_run = run
            self.runs_started += 1
            logger.info("run %s: starting %s from its seed %s", run, spider.name, args or "")
            saved = {name: getattr(spider, name, None) for name in args}
            for name, value in args.items():
                setattr(spider, name, truthy(value) if name == "full" else value)
            try:
                async for entry in spider.start():
                    if isinstance(entry, Request):
                        entry.meta[RUN], entry.meta[FULL] = run, truthy(args.get("full"))
                        self.crawler.engine.crawl(entry)
            except Exception as exc:
                report_problem(self.crawler, spider.name, f"start requests failed: {exc}", entry=True)
            finally:
                for name, value in saved.items():
                    setattr(spider, name, value)
            self.ack_script(keys=[leased, handoff.run_key(run), self.items_key],
                            args=[token, handoff.run_finished_message(run, spider.name)])
        finally:
            self.starting -= 1

    # run health
    def remember(self, url: str, run: str | None) -> None:
        if run is None:
            return
        self.url_runs[url] = self.last_run = run
        if len(self.url_runs) > self.MAX_URLS_REMEMBERED:
            del self.url_runs[next(iter(self.url_runs))]

    def request_reached(self, request: Request, spider: Spider) -> None:
        self.remember(request.url, request.meta.get(RUN))

    def response_received(self, response: Response, request: Request, spider: Spider) -> None:
        self.idle_since = None
        run = request.meta.get(RUN)
        self.remember(response.url, run)
        if run:
            self.server.hincrby(handoff.run_key(run), "pages", 1)

    def problem_reported(self, url: str, reason: str, entry: bool = False) -> None:
        run = self.url_runs.get(url, self.last_run)
        if run is None:
            return
        with self.server.pipeline(transaction=True) as pipe:
            pipe.rpush(handoff.run_problems_key(run), json.dumps({"url": url, "error": reason, "at": utcnow()}))
            pipe.hincrby(handoff.run_key(run), "problem_count", 1)
            if entry:
                pipe.hincrby(handoff.run_key(run), "entry_failed", 1)
            pipe.execute()

    def spider_error(self, failure: Any, response: Any, spider: Spider) -> None:
        report_problem(self.crawler, response.url, f"spider error: {failure.getErrorMessage()}")

    def spider_closed(self, spider: Spider, reason: str) -> None:
        for loop in self.loops:
            if loop.running:
                loop.stop()
        given_back = 0
        if self.queue is not None:
            if reason == "finished":
                self.queue.checkpoint(set())
            given_back = self.queue.give_back()
        if self.keys is not None:
            self.server.delete(self.keys.heartbeat(self.worker))
        logger.info(
            "releasewatch worker %s %s: closed (%s) runs_started=%d pages=%d acknowledged=%d given_back=%d",
            self.worker, spider.name, reason, self.runs_started,
            self.crawler.stats.get_value("response_received_count", 0),
            self.queue.acked if self.queue is not None else 0, given_back)


class BackPressure:
    """Pause the engine while more than ``RELEASEWATCH_QUEUE_MAX`` items wait for the
    ingester; resume below half of it. In-flight requests finish; no new ones start."""

    INTERVAL = 1.0

    def __init__(self, crawler: Crawler):
        if not crawler.settings.get("REDIS_URL"):
            raise NotConfigured("REDIS_URL is not set")
        self.crawler = crawler
        self.server = get_redis_from_settings(crawler.settings)
        self.key = setting(crawler.settings, "RELEASEWATCH_ITEMS_KEY")
        self.high = setting(crawler.settings, "RELEASEWATCH_QUEUE_MAX")
        self.loop = task.LoopingCall(self.check)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackPressure:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        self.loop.start(self.INTERVAL, now=False)

    def spider_closed(self, spider: Spider) -> None:
        if self.loop.running:
            self.loop.stop()

    def check(self) -> None:
        engine, waiting = self.crawler.engine, self.server.llen(self.key)
        if not engine.paused and waiting > self.high:
            engine.pause()
            self.crawler.stats.inc_value("releasewatch/backpressure/pauses")
            logger.info("%d items wait for the ingester (> %d): pausing", waiting, self.high)
        elif engine.paused and waiting <= self.high // 2:
            engine.unpause()
            logger.info("%d items wait for the ingester: resuming", waiting)
            slot = engine_slot(self.crawler)
            if slot is not None:
                slot.nextcall.schedule()
