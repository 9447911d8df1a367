"""``releasewatch ingest``: the one writer of distributed mode; ``releasewatch seed``.

Workers (``scrapy crawl <spider>`` with ``REDIS_URL``) push items and run events to a
Redis list; the ingester drains it into SQLite with the same code as a single-process
crawl (``storage.store_release``, ``storage.lists.record_list_snapshot``,
``storage.runs``). The handoff is acknowledged: a batch is moved (``BLMOVE``) to a
processing list, written in one transaction together with the ids of its messages
(``storage/ingestlog.py``), and only then removed from Redis. An ingester killed at any
point replays the processing list at its next start and skips what it had committed:
nothing is lost, nothing is counted twice.

When it records a run's start it publishes, for that run, the release URLs the gap rule
trusts (``storage.runs.trusted_known_urls``), where the workers' stop-at-known reads
them (workers never open the database).

No Scrapy here (the scheduler daemon imports ``seed_run`` through this CLI).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sqlite3
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import click
import redis

from crawler import handoff
from storage import ingestlog, open_db, store_release
from storage.lists import record_list_snapshot
from storage.releases import InvalidRelease
from storage.runs import close_run, run_scope, trusted_known_urls
from storage.schema import utcnow

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
                 batch_size: int = 200, echo=None):
        self.client = handoff.connect(client) if isinstance(client, str) else client
        self.db = open_db(db_path)
        ingestlog.ensure_tables(self.db)
        self.items_key = items_key
        self.processing_key = f"{items_key}:ingesting"
        self.bad_key = f"{items_key}:bad"
        self.batch_size = batch_size
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

    def publish_known(self, run: str, spider: str, scope: str) -> None:
        """Give run ``run`` the URLs where it may stop paging (the gap rule, as of now)."""
        key = handoff.run_known_key(run)
        urls = sorted(trusted_known_urls(self.db, spider, scope))
        self.client.delete(key)
        for start in range(0, len(urls), PUBLISH_CHUNK):
            self.client.sadd(key, *urls[start:start + PUBLISH_CHUNK])
        self.client.expire(key, handoff.DUPEFILTER_TTL)

    # --- message kinds ------------------------------------------------------------------
    def on_run_started(self, msg: dict, finished: list) -> None:
        scope = run_scope(msg.get("args"))
        ingestlog.open_distributed_run(self.db, msg["run"], msg["spider"], started_at=msg["at"],
                                       trigger=msg.get("trigger") or "manual", pid=os.getpid(), scope=scope)
        self.publish_known(msg["run"], msg["spider"], scope)
        self.stats.runs_started += 1

    def on_release(self, msg: dict, finished: list) -> None:
        run = ingestlog.distributed_run(self.db, msg.get("run"))
        item = msg.get("item") or {}
        try:
            result = store_release(self.db, item)
        except InvalidRelease as exc:
            self.problem(msg, item.get("url") or "?", str(exc))
            return
        self.stats.releases[result.status] += 1
        if run:
            ingestlog.count_item(self.db, run[0], result.counts_as)

    def on_list(self, msg: dict, finished: list) -> None:
        run = ingestlog.distributed_run(self.db, msg.get("run"))
        item = msg.get("item") or {}
        result = record_list_snapshot(
            self.db, item["list"], item.get("items") or [], healthy=item.get("healthy", True),
            reason=item.get("reason"), run_id=run[0] if run else None)
        self.stats.lists[result.status] += 1
        if result.problem:
            self.problem(msg, item.get("url") or item["list"], result.problem)

    def on_run_finished(self, msg: dict, finished: list) -> None:
        from crawler.health import ENTRY_FAILED, PROBLEMS, run_status  # pure functions

        run_key = msg["run"]
        run = ingestlog.distributed_run(self.db, run_key)
        if run is None:
            logger.warning("run %s finished but its start was never ingested: ignored", run_key)
            return
        run_id, spider = run
        counters, problems = handoff.run_counters(self.client, run_key)
        problems += ingestlog.run_problems(self.db, run_key)
        stats = {"response_received_count": counters.get("pages", 0), PROBLEMS: problems,
                 "releasewatch/problem_count": len(problems), ENTRY_FAILED: counters.get("entry_failed", 0)}
        status, why = run_status(stats, "finished")
        counts = ingestlog.run_counts(self.db, run_id)
        close_run(self.db, run_id, status=status, reason=why, finish_reason="finished",
                  problems=problems, pages=stats["response_received_count"], **counts)
        finished.append((run_key, spider))
        self.stats.runs_finished.append(run_key)
        self.echo(f"run {run_id} ({run_key}) {spider}: {status} pages={stats['response_received_count']} "
                  f"new={counts['items_new']} changed={counts['items_changed']} "
                  f"unchanged={counts['items_unchanged']} problems={len(problems)}"
                  + ("" if status == "ok" else f" - {why}"))

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


# --- CLI ---------------------------------------------------------------------------
def redis_option(func):
    return click.option("--redis", "redis_url", envvar="REDIS_URL", required=True, metavar="URL",
                        help="Redis of the distributed crawl (env REDIS_URL), e.g. redis://localhost:6379/0.")(func)


def _db_option(func):
    return click.option("--db", "db_path", envvar="RELEASEWATCH_DB", default="releasewatch.db",
                        show_default=True, help="SQLite database (env RELEASEWATCH_DB).")(func)


@click.command("ingest")
@_db_option
@redis_option
@click.option("--batch", "batch_size", default=200, show_default=True, help="Messages per transaction.")
@click.option("--exit-when-idle", type=float, default=0.0, metavar="SECONDS",
              help="Exit after SECONDS without messages (default: run until stopped).")
def ingest_command(db_path, redis_url, batch_size, exit_when_idle) -> None:
    """Write what distributed workers crawled into the database (the one writer).

    \b
    Example:
        releasewatch ingest --redis redis://localhost:6379/0 --db releasewatch.db
    """
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"), format="%(asctime)s [%(name)s] %(levelname)s: %(message)s")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        ingester = Ingester(db_path, redis_url, batch_size=batch_size, echo=click.echo)
    except redis.RedisError as exc:
        raise click.ClickException(f"cannot reach Redis at {redis_url}: {exc}") from exc
    click.echo(f"ingesting {ingester.items_key} from {redis_url} into {db_path}", err=True)
    try:
        stats = ingester.run(stop=stop, exit_when_idle=exit_when_idle)
    finally:
        ingester.close()
    click.echo(f"ingested {stats.messages} message(s) ({stats.replayed} replayed after a stop, "
               f"{stats.skipped} already committed): releases {dict(stats.releases)}, "
               f"lists {dict(stats.lists)}, runs finished {len(stats.runs_finished)}", err=True)


@click.command("seed")
@click.argument("spider")
@redis_option
@click.option("--full", is_flag=True, help="Revisit every listing page (back-fill).")
@click.option("-a", "arguments", multiple=True, metavar="NAME=VALUE", help="Spider argument.")
@click.option("--trigger", default="manual", show_default=True, help="Recorded in crawl_runs.trigger.")
def seed_command(spider, redis_url, full, arguments, trigger) -> None:
    """Start a distributed crawl: the first idle worker of SPIDER picks it up.

    \b
    Example:
        releasewatch seed osce --redis redis://localhost:6379/0
    """
    from crawler.cli import SPIDERS
    from crawler.cli_args import parse_pairs

    if spider not in SPIDERS:
        raise click.BadParameter(f"{spider!r} is not one of {', '.join(SPIDERS)}", param_hint="SPIDER")
    args = parse_pairs(arguments, "-a")
    if full:
        args["full"] = "1"
    try:
        run = handoff.seed_run(redis_url, spider, args=args, trigger=trigger)
    except redis.RedisError as exc:
        raise click.ClickException(f"cannot reach Redis at {redis_url}: {exc}") from exc
    click.echo(f"seeded {run}: workers of '{spider}' start it when idle; "
               "`releasewatch ingest` records it in crawl_runs")


def register(group: click.Group) -> None:
    """Add ``ingest`` and ``seed`` to the ``releasewatch`` command group."""
    group.add_command(ingest_command)
    group.add_command(seed_command)
