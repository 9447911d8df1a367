"""The ingester: the one writer of distributed mode (``releasewatch ingest``).

Workers (``scrapy crawl <spider>`` with ``REDIS_URL``) push items and run events to a
Redis list; the ingester drains it into SQLite with the same code as a single-process
crawl (``storage.write.store_item``; runs are judged and closed by ``crawler.verdict``
and ``storage.runs``, as a crawl's own are). The handoff is acknowledged: a batch is moved (``BLMOVE``) to a
processing list, written in one transaction together with the ids of its messages
(``storage/ingestlog.py``), and only then removed from Redis. An ingester killed at any
point replays the processing list at its next start and skips what it had committed:
nothing is lost, nothing is counted twice.

When it records a run's start it publishes, for that run, the release URLs the gap rule
trusts (``storage.runs.trusted_known_urls``), where the workers' stop-at-known reads
them (workers never open the database).

No Scrapy here (import contracts in pyproject.toml). The commands are in
``crawler/cli/distributed.py``.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import redis

from crawler import settings
from crawler.distributed import handoff
from crawler.verdict import ENTRY_FAILED, PAGES, PROBLEM_COUNT, PROBLEMS, run_record, summary_line
from storage import ingestlog, open_db
from storage.normalize import run_scope, utcnow
from storage.releases import InvalidRelease
from storage.runs import close_run, trusted_known_urls
from storage.write import LIST, RELEASE, store_item

logger = logging.getLogger(__name__)

PUBLISH_CHUNK = 1000


@dataclass
class IngestStats:
    """What an ingester did: messages committed, release outcomes, runs closed."""

    messages: int = 0
    replayed: int = 0
    skipped: int = 0
    releases: Counter = field(default_factory=Counter)
    lists: Counter = field(default_factory=Counter)
    runs_started: int = 0
    runs_finished: list[str] = field(default_factory=list)
    bad: int = 0


class Ingester:
    """Drain ``items_key`` into the database at ``db_path``, exactly once per message."""

    def __init__(self, db_path: str, client: redis.Redis | str, *, items_key: str = handoff.ITEMS_KEY,
                 batch_size: int = 200, echo=None, max_changes: int | None = None):
        self.client = handoff.connect(client) if isinstance(client, str) else client
        self.db = open_db(db_path)
        ingestlog.ensure_tables(self.db)
        self.items_key = items_key
        self.processing_key = f"{items_key}:ingesting"
        self.bad_key = f"{items_key}:bad"
        self.batch_size = batch_size
        # The same setting as a single-process crawl (env RELEASEWATCH_LIST_MAX_CHANGES).
        self.max_changes = settings.RELEASEWATCH_LIST_MAX_CHANGES if max_changes is None else max_changes
        self.echo = echo or (lambda line: logger.info(line))
        self.stats = IngestStats()

    def close(self) -> None:
        self.db.close()

    # --- the loop ---------------------------------------------------------------------
    def start(self) -> None:
        """Replay what a killed ingester left."""
        left = [raw for raw in reversed(self.client.lrange(self.processing_key, 0, -1))]
        for start in range(0, len(left), self.batch_size):
            self.apply(left[start:start + self.batch_size], replay=True)
        ingestlog.forget_ingested_before(self.db, utcnow())

    def step(self, block: float = 1.0) -> int:
        """Take and commit one batch (waiting up to ``block`` seconds); its size."""
        first = self.client.blmove(self.items_key, self.processing_key, block, "RIGHT", "LEFT")
        if first is None:
            return 0
        batch = [first]
        while len(batch) < self.batch_size:
            raw = self.client.lmove(self.items_key, self.processing_key, "RIGHT", "LEFT")
            if raw is None:
                break
            batch.append(raw)
        self.apply(batch)
        return len(batch)

    def run(self, *, stop: threading.Event | None = None, exit_when_idle: float = 0.0) -> IngestStats:
        """Ingest until ``stop`` is set (or, with ``exit_when_idle``, after that many idle seconds)."""
        stop = stop or threading.Event()
        self.start()
        idle_since = time.monotonic()
        while not stop.is_set():
            try:
                taken = self.step(block=1.0)
            except sqlite3.OperationalError as exc:  # locked for longer than the busy timeout
                logger.error("batch not written (%s): retrying it", exc)
                stop.wait(1.0)
                self.start()  # the batch is still in the processing list: replay it
                continue
            if taken:
                idle_since = time.monotonic()
            elif exit_when_idle and time.monotonic() - idle_since >= exit_when_idle:
                break
        return self.stats

    # --- one batch ------------------------------------------------------------------------
    def apply(self, batch: list[bytes], *, replay: bool = False) -> None:
        """Write a batch in one transaction, then acknowledge it in Redis."""
        finished: list[tuple[str, str]] = []
        bad: list[bytes] = []
        ids: list[str] = []
        with self.db.atomic():
            for raw in batch:
                try:
                    msg = json.loads(raw)
                    message_id, kind = msg["id"], msg["kind"]
                except (ValueError, KeyError, TypeError):
                    bad.append(raw)
                    continue
                ids.append(message_id)
                if ingestlog.already_ingested(self.db, message_id):
                    self.stats.skipped += 1
                    if kind == "run_finished":  # committed, but its keys may be left over
                        finished.append((msg["run"], msg["spider"]))
                    continue
                handler = getattr(self, f"on_{kind}", None)
                if handler is None:
                    bad.append(raw)
                    continue
                try:
                    with self.db.atomic():  # a savepoint: a poison message leaves no trace
                        handler(msg, finished)
                except sqlite3.OperationalError:
                    raise  # locked or full: the whole batch is retried
                except Exception as exc:  # noqa: BLE001 - any message we cannot handle
                    bad.append(raw)
                    self.set_aside(msg, exc)
                    continue
                ingestlog.mark_ingested(self.db, message_id)
                self.stats.messages += 1
                self.stats.replayed += replay
        with self.client.pipeline(transaction=True) as pipe:
            for raw in bad:
                pipe.lpush(self.bad_key, raw)
            for raw in batch:
                pipe.lrem(self.processing_key, 1, raw)
            pipe.execute()
        ingestlog.forget_ingested(self.db, ids)
        for run, spider in finished:
            handoff.drop_run_keys(self.client, run, spider)
        if bad:
            self.stats.bad += len(bad)
            logger.error("%d unreadable or unusable message(s) moved to %s", len(bad), self.bad_key)

    def publish_known(self, run: str, spider: str, scope: str, run_id: int | None = None) -> None:
        """Give run ``run`` (row ``run_id``) the URLs where it may stop paging (the gap rule,
        as of now; the run's own open span left out, as in one process)."""
        key = handoff.run_known_key(run)
        urls = sorted(trusted_known_urls(self.db, spider, scope, exclude_run=run_id))
        self.client.delete(key)
        for start in range(0, len(urls), PUBLISH_CHUNK):
            self.client.sadd(key, *urls[start:start + PUBLISH_CHUNK])
        self.client.expire(key, handoff.DUPEFILTER_TTL)

    # --- message kinds ------------------------------------------------------------------
    def on_run_started(self, msg: dict, finished: list) -> None:
        scope = run_scope(msg.get("args"))
        run_id = ingestlog.open_distributed_run(
            self.db, msg["run"], msg["spider"], started_at=msg["at"],
            trigger=msg.get("trigger") or "manual", pid=os.getpid(), scope=scope)
        self.publish_known(msg["run"], msg["spider"], scope, run_id)
        self.stats.runs_started += 1

    def on_release(self, msg: dict, finished: list) -> None:
        run = ingestlog.distributed_run(self.db, msg.get("run"))
        item = msg.get("item") or {}
        try:
            result = store_item(self.db, RELEASE, item)
        except InvalidRelease as exc:
            self.problem(msg, item.get("url") or "?", str(exc))
            return
        self.stats.releases[result.status] += 1
        if run:
            ingestlog.count_item(self.db, run[0], result.counts_as)

    def on_list(self, msg: dict, finished: list) -> None:
        run = ingestlog.distributed_run(self.db, msg.get("run"))
        item = msg.get("item") or {}
        result = store_item(self.db, LIST, item, run_id=run[0] if run else None, max_changes=self.max_changes)
        self.stats.lists[result.status] += 1
        if result.problem:
            self.problem(msg, item.get("url") or item["list"], result.problem)

    def on_run_finished(self, msg: dict, finished: list) -> None:
        run_key = msg["run"]
        run = ingestlog.distributed_run(self.db, run_key)
        if run is None:
            logger.warning("run %s finished but its start was never ingested: ignored", run_key)
            return
        run_id, spider = run
        counters, problems = handoff.run_counters(self.client, run_key)
        problems += ingestlog.run_problems(self.db, run_key)
        stats = {PAGES: counters.get("pages", 0), PROBLEMS: problems, PROBLEM_COUNT: len(problems),
                 ENTRY_FAILED: counters.get("entry_failed", 0),
                 **{f"releasewatch/{name}": n for name, n in ingestlog.run_counts(self.db, run_id).items()}}
        record = run_record(stats, "finished")
        close_run(self.db, run_id, **record)
        finished.append((run_key, spider))
        self.stats.runs_finished.append(run_key)
        self.echo(f"{summary_line(run_id, spider, {**record, 'errors': len(problems)})} [{run_key}]")

    def set_aside(self, msg: dict, error: Exception) -> None:
        """Log a message that cannot be stored (it goes to the dead-letter list) and make
        it a problem of its run, which is then degraded, not ok."""
        reason = f"message set aside in {self.bad_key}: {type(error).__name__}: {error}"
        logger.error("%s message %s of run %s: %s", msg.get("kind"), msg.get("id"), msg.get("run"), reason)
        item = msg.get("item") if isinstance(msg.get("item"), dict) else {}
        self.problem(msg, item.get("url") or msg.get("kind") or "?", reason)

    def problem(self, msg: dict, url: str, reason: str) -> None:
        logger.warning("releasewatch problem: %s: %s", url, reason)
        if ingestlog.distributed_run(self.db, msg.get("run")):
            ingestlog.add_run_problem(self.db, msg["run"], {"url": url, "error": reason, "at": msg.get("at")})
