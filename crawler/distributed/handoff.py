"""The Redis side of distributed crawling: key layout, seeding and acknowledged handoff.

Plain Python and redis-py, no Scrapy: the ingester, the CLI and the scheduler daemon
(which never imports Scrapy) use it. The Scrapy components are in ``crawler.distributed.addon``.

Every piece of work moves between Redis lists with ``LMOVE``/``BLMOVE`` into a
*leased* list and is removed (``LREM``) only once its effect is durable, so a process
killed at any moment leaves its work where the next one finds it:

==============================  ===================================================
key                             what
==============================  ===================================================
``<spider>:start_urls``         seed tokens (``seed_run``); a worker turns one into
                                the spider's start requests
``<spider>:requests``           the shared request queue (scrapy-redis scheduler)
``<spider>:…:leased:<worker>``  what one worker took and has not finished yet
``<spider>:workers:<worker>``   a worker's heartbeat (expires when it dies)
``<spider>:dupefilter:<run>``   request fingerprints seen in one run
``releasewatch:items``          items and run events for the one writer (ingester)
``releasewatch:items:ingesting``  what the ingester took and has not committed yet
``releasewatch:run:<run>``      a run's counters: pending requests, pages, problems
``releasewatch:unhealthy_since:<spider>``  first run of the spider's trailing streak of
                                failed or degraded runs (set by the ingester)
``releasewatch:known_urls_by_run``  every stored release URL, scored with the number of
                                the run that stored it first (0: before any); the
                                workers' stop-at-known (published by the ingester)
==============================  ===================================================

A run (one ``crawl_runs`` row) is one seed: ``pending`` counts its queued and leased
requests (the seed token counts as one), and the acknowledgement that brings it to zero
pushes the ``run_finished`` event behind the run's last item.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import redis

from storage import utcnow

ITEMS_KEY = "releasewatch:items"
KNOWN_URLS_KEY = "releasewatch:known_urls_by_run"
RUN_SEQUENCE_KEY = "releasewatch:run_seq"
DUPEFILTER_TTL = 7 * 24 * 3600  # a run's fingerprints outlive any sane run, then expire

# Acknowledge one leased entry: drop it from the leased list and, if it belonged to a
# run, count the run down; the acknowledgement that empties the run announces its end.
# A lease that is no longer there (recovered from a worker presumed dead) counts nothing:
# the recovered copy will be acknowledged instead.
ACK_SCRIPT = """
local removed = redis.call('LREM', KEYS[1], 1, ARGV[1])
if removed == 0 then return -1 end
if ARGV[2] == '' then return 0 end
local left = redis.call('HINCRBY', KEYS[2], 'pending', -1)
if left <= 0 then redis.call('LPUSH', KEYS[3], ARGV[2]) end
return left
"""


# Queue one request: with a fingerprint, only if the run's dupefilter set has not seen it,
# and in the same step as marking it seen. Marking and queueing apart would let a worker
# killed between the two leave a request "seen" that nobody ever queued: lost for the run.
PUSH_SCRIPT = """
if ARGV[2] ~= '' then
  if redis.call('SADD', KEYS[3], ARGV[2]) == 0 then return 0 end
  redis.call('EXPIRE', KEYS[3], ARGV[3])
end
redis.call('LPUSH', KEYS[1], ARGV[1])
if ARGV[4] == '1' then redis.call('HINCRBY', KEYS[2], 'pending', 1) end
return 1
"""


def connect(url: str) -> redis.Redis:
    """A Redis client for ``url`` (``redis://host:6379/0``), checked with a PING."""
    client = redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=10,
                                  retry_on_timeout=True)
    client.ping()
    return client


def new_worker_id() -> str:
    """A name unique to this process: host, pid and a random suffix."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class SpiderKeys:
    """The Redis keys of one spider's shared crawl."""

    spider: str

    @property
    def requests(self) -> str:
        return f"{self.spider}:requests"

    @property
    def seeds(self) -> str:
        return f"{self.spider}:start_urls"

    def leased(self, queue: str, worker: str) -> str:
        return f"{queue}:leased:{worker}"

    def heartbeat(self, worker: str) -> str:
        return f"{self.spider}:workers:{worker}"

    def dupefilter(self, run: str) -> str:
        return f"{self.spider}:dupefilter:{run}"


def run_number(run: str | None) -> int | None:
    """The sequence number of a run key (``osce-12`` -> 12); None when there is none."""
    number = (run or "").rpartition("-")[2]
    return int(number) if number.isdigit() else None


def unhealthy_since_key(spider: str) -> str:
    """The number of the first run of ``spider`` in its trailing streak of failed or
    degraded runs (absent after an ok run): what such runs stored does not stop paging."""
    return f"releasewatch:unhealthy_since:{spider}"


def run_key(run: str) -> str:
    return f"releasewatch:run:{run}"


def run_problems_key(run: str) -> str:
    return f"releasewatch:run:{run}:problems"


def message(kind: str, *, run: str | None, spider: str, **fields: Any) -> str:
    """One entry of the items list: a release, a list snapshot or a run event, as JSON.

    ``id`` makes ingestion exactly-once: the ingester records the ids it committed.
    """
    return json.dumps({"id": uuid.uuid4().hex, "kind": kind, "run": run, "spider": spider,
                       "at": utcnow(), **fields}, ensure_ascii=False, default=str)


def run_finished_message(run: str, spider: str) -> str:
    return message("run_finished", run=run, spider=spider)


def seed_run(client: redis.Redis | str, spider: str, *, args: Mapping[str, Any] | None = None,
             trigger: str = "manual", items_key: str = ITEMS_KEY) -> str:
    """Start a distributed run of ``spider``: returns its run key (e.g. ``osce-12``).

    Pushes, in one transaction, the ``run_started`` event for the ingester (which
    creates the ``crawl_runs`` row) and a seed token that the first idle worker turns
    into the spider's start requests (``args`` as with ``-a``, e.g. ``{"full": "1"}``).
    This is what the scheduler daemon calls instead of ``run_crawl`` when ``REDIS_URL``
    is set; it imports no Scrapy.
    """
    client = connect(client) if isinstance(client, str) else client
    keys = SpiderKeys(spider)
    run = f"{spider}-{client.incr(RUN_SEQUENCE_KEY)}"
    token = json.dumps({"run": run, "spider": spider, "args": dict(args or {}), "seeded_at": utcnow()})
    with client.pipeline(transaction=True) as pipe:
        pipe.hset(run_key(run), mapping={"spider": spider, "pending": 1, "pages": 0,
                                         "problem_count": 0, "entry_failed": 0})
        pipe.lpush(items_key, message("run_started", run=run, spider=spider, trigger=trigger,
                                      args=dict(args or {})))
        pipe.lpush(keys.seeds, token)
        pipe.execute()
    return run


def requeue_orphans(client: redis.Redis, keys: SpiderKeys, alive: str | None = None) -> int:
    """Put back the leases of workers whose heartbeat expired (killed, crashed).

    Each entry moves atomically (``LMOVE``), so two processes recovering at once
    cannot duplicate or drop one. ``alive`` names the caller, never an orphan.
    """
    moved = 0
    for queue in (keys.requests, keys.seeds):
        for leased in client.scan_iter(match=keys.leased(queue, "*"), count=100):
            leased = text(leased)
            worker = leased.rsplit(":leased:", 1)[1]
            if worker == alive or client.exists(keys.heartbeat(worker)):
                continue
            while client.lmove(leased, queue, "RIGHT", "RIGHT") is not None:
                moved += 1
    return moved


def drop_run_keys(client: redis.Redis, run: str, spider: str) -> None:
    """Forget a finished run's counters, problems and fingerprints."""
    client.delete(run_key(run), run_problems_key(run), SpiderKeys(spider).dupefilter(run))


def text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def run_counters(client: redis.Redis, run: str) -> tuple[dict[str, int], list[dict]]:
    """A run's counters (pages, problem_count, entry_failed, pending) and its problems."""
    counters = {text(k): int(v) for k, v in client.hgetall(run_key(run)).items()
                if text(k) != "spider"}
    problems = [json.loads(p) for p in client.lrange(run_problems_key(run), 0, -1)]
    return counters, problems
