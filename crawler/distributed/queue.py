"""The shared request queue of distributed mode: leases, and one dupefilter per run.

The scrapy-redis scheduler, queue and dupefilter, changed so that a request is marked
seen and queued in one atomic step (:class:`LeasedScheduler`), pops are *leases*
(:class:`LeasedQueue`) acknowledged only once the response's requests and items are in
Redis, and each run has its own fingerprint set (:class:`RunDupeFilter`).
:class:`~crawler.distributed.addon.DistributedAddon` installs them.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from scrapy import Request
from scrapy.settings import Settings
from scrapy.spiders import Spider
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import Base
from scrapy_redis.scheduler import Scheduler

from crawler.distributed import handoff
from crawler.distributed.handoff import SpiderKeys

logger = logging.getLogger(__name__)

RUN = "releasewatch_run"  # request meta: the run (seed) a request belongs to

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


class LeasedQueue(Base):
    """LIFO request queue (like Scrapy's default: a listing's next page goes before the
    releases it listed, so the crawl fans out at once) whose pops are leases.

    ``pop`` moves the request into this worker's leased list (``LMOVE``, atomic);
    :meth:`checkpoint` acknowledges it once the engine is done with it (its callback's
    requests are queued and its items pushed), counting its run down. A killed worker's
    leases go back to the queue (``crawler.distributed.handoff.requeue_orphans``).
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
