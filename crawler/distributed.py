"""Distributed mode: many ``scrapy crawl`` workers share one crawl through Redis.

Off unless the ``REDIS_URL`` setting (or environment variable) is set; then
:class:`DistributedAddon` (listed in ``ADDONS``) rewires the crawler:

- the scrapy-redis scheduler and a per-run dupefilter, so every worker pulls from one
  request queue and no page is fetched twice in a run; a request is marked seen and
  queued in one atomic step (:class:`LeasedScheduler`); pops are *leases*
  (:class:`LeasedQueue`), acknowledged only once the response's requests and items
  are safely in Redis, and taken back from workers whose heartbeat stopped;
- no SQLite in workers: :class:`HandoffPipeline` pushes items to Redis for
  ``releasewatch ingest`` (the one writer), stop-at-known reads the known URLs the
  ingester publishes in Redis, and run health goes to per-run counters in Redis that
  the ingester turns into the ``crawl_runs`` row (:class:`DistributedWorker`);
- start requests come from seeds (``releasewatch seed osce``, ``crawler.handoff.seed_run``),
  not from each worker's start, so N workers start one crawl, not N;
- back-pressure (:class:`BackPressure`): workers pause while the ingester is behind.

The Redis key layout and the seeding are in ``crawler.handoff`` (no Scrapy).
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
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import Base
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from crawler import handoff
from crawler.handoff import SpiderKeys
from crawler.health import problem_reported, report_problem
from crawler.items import ListSnapshotItem
from crawler.middlewares import StopAtKnownMiddleware
from spiders.base import truthy
from storage import utcnow

logger = logging.getLogger(__name__)

RUN = "releasewatch_run"  # request meta: the run (seed) a request belongs to
FULL = "releasewatch_full"  # request meta: the run was seeded with full=1
ITEM_RUN = "_releasewatch_run"  # item attribute: the run an item belongs to

#: Sent by :class:`LeasedQueue` when the scheduler opens it (``queue``).
queue_opened = object()

DEFAULTS = {
    "RELEASEWATCH_ITEMS_KEY": handoff.ITEMS_KEY,
    "RELEASEWATCH_WORKER_TTL": 15.0,  # seconds without heartbeat before leases are taken back
    "RELEASEWATCH_POLL_INTERVAL": 0.1,  # seconds between acknowledgements / queue polls
    "RELEASEWATCH_IDLE_CLOSE": 0.0,  # close after this long with nothing to do (0: wait for seeds)
    "RELEASEWATCH_QUEUE_MAX": 5000,  # items waiting for the ingester before workers pause
}


def setting(settings: Settings, name: str) -> Any:
    """A distributed-mode setting: ``-s NAME=...``, else the environment, else its default."""
    value = settings.get(name)
    if value in (None, ""):
        value = os.environ.get(name) or DEFAULTS[name]
    return type(DEFAULTS[name])(value)


class DistributedAddon:
    """Switch a crawler to distributed mode when ``REDIS_URL`` is set; else do nothing."""

    SWAPS = {
        "ITEM_PIPELINES": ("crawler.pipelines.StoragePipeline", "crawler.distributed.HandoffPipeline"),
        "EXTENSIONS": ("crawler.health.CrawlHealth", "crawler.distributed.DistributedWorker"),
        "SPIDER_MIDDLEWARES": ("crawler.middlewares.StopAtKnownMiddleware",
                               "crawler.distributed.DistributedStopAtKnownMiddleware"),
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
            "SCHEDULER": "crawler.distributed.LeasedScheduler",
            "SCHEDULER_QUEUE_CLASS": "crawler.distributed.LeasedQueue",
            "DUPEFILTER_CLASS": "crawler.distributed.RunDupeFilter",
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
        settings["SPIDER_MIDDLEWARES"].set("crawler.distributed.RunTagMiddleware", 10, priority="project")
        settings["EXTENSIONS"].set("crawler.distributed.BackPressure", 510, priority="project")


# --- scheduler: leased queue and per-run dupefilter ---------------------------------
class LeasedQueue(Base):
    """LIFO request queue (like Scrapy's default: a listing's next page goes before the
    releases it listed, so the crawl fans out at once) whose pops are leases.

    ``pop`` moves the request into this worker's leased list (``LMOVE``, atomic);
    :meth:`checkpoint` acknowledges it once the engine is done with it (its callback's
    requests are queued and its items pushed), counting its run down. A killed worker's
    leases go back to the queue (``crawler.handoff.requeue_orphans``).
    """

    def __init__(self, server, spider: Spider, key: str, serializer=None):
        super().__init__(server, spider, key, serializer)
        self.worker = handoff.new_worker_id()
        self.leased_key = SpiderKeys(spider.name).leased(self.key, self.worker)
        self.items_key = setting(spider.crawler.settings, "RELEASEWATCH_ITEMS_KEY")
        self.ack_script = server.register_script(handoff.ACK_SCRIPT)
        self.push_script = server.register_script(handoff.PUSH_SCRIPT)
        self.leases: dict[Request, bytes] = {}
        self.acked = 0
        spider.crawler.signals.send_catch_log(queue_opened, queue=self)

    def __len__(self) -> int:
        return self.server.llen(self.key)

    def push(self, request: Request, seen_key: str = "", fingerprint: str = "") -> bool:
        """Queue ``request`` (counting it in its run); with a ``fingerprint``, only if the
        set ``seen_key`` lacks it, which adds it in the same atomic step. True if queued."""
        run = request.meta.get(RUN)
        return bool(self.push_script(
            keys=[self.key, handoff.run_key(run or "-"), seen_key or self.key],
            args=[self._encode_request(request), fingerprint, handoff.DUPEFILTER_TTL, int(bool(run))]))

    def pop(self, timeout: int = 0) -> Request | None:
        data = self.server.lmove(self.key, self.leased_key, "LEFT", "LEFT")  # newest first, as Scrapy's own
        if data is None:
            return None
        try:
            request = self._decode_request(data)
        except Exception:
            logger.exception("dropping a queued request that cannot be decoded")
            self.ack(data, None)
            return None
        self.leases[request] = data
        return request

    def ack(self, data: bytes, run: str | None) -> int:
        """Acknowledge one lease; returns what is left pending in its run (-1: not leased)."""
        finished = handoff.run_finished_message(run, self.spider.name) if run else ""
        left = self.ack_script(keys=[self.leased_key, handoff.run_key(run or "-"), self.items_key],
                               args=[data, finished])
        self.acked += 1
        if run and left == 0:
            logger.info("run %s: last request done, run finished", run)
        return left

    def checkpoint(self, in_progress: set[Request] | None) -> None:
        """Acknowledge every lease the engine no longer works on (all, if ``None``)."""
        for request, data in list(self.leases.items()):
            if in_progress is None or request not in in_progress:
                del self.leases[request]
                self.ack(data, request.meta.get(RUN))

    def give_back(self) -> int:
        """Return every unacknowledged lease to the queue (a worker shutting down)."""
        moved = 0
        while self.server.lmove(self.leased_key, self.key, "RIGHT", "RIGHT") is not None:
            moved += 1
        self.leases.clear()
        return moved


class RunDupeFilter(RFPDupeFilter):
    """scrapy-redis' shared dupefilter, one fingerprint set per run.

    A fingerprint seen in yesterday's run must not hide a release from today's: each
    run has its own set, which the ingester deletes when the run is closed (and which
    expires anyway after a week). :class:`LeasedScheduler` adds to it as it queues.
    """

    def key_for(self, request: Request) -> str:
        """The fingerprint set of the request's run."""
        run = request.meta.get(RUN)
        return f"{self.key}:{run}" if run else self.key

    def request_seen(self, request: Request) -> bool:
        key = self.key_for(request)
        with self.server.pipeline(transaction=True) as pipe:
            pipe.sadd(key, self.request_fingerprint(request))
            pipe.expire(key, handoff.DUPEFILTER_TTL)
            added, _ = pipe.execute()
        return added == 0


class LeasedScheduler(Scheduler):
    """The scrapy-redis scheduler, but "not seen yet" and "queued" are one Redis step.

    scrapy-redis marks a request seen, then pushes it: a worker killed in between
    leaves it marked and unqueued, and the run never fetches it (the killed worker's
    leased listing is fetched again, and its links are all "seen").
    """

    def enqueue_request(self, request: Request) -> bool:
        seen_key = fingerprint = ""
        if not request.dont_filter:
            seen_key, fingerprint = self.df.key_for(request), self.df.request_fingerprint(request)
        if not self.queue.push(request, seen_key, fingerprint):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True


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
