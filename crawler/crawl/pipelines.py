"""Item pipelines: check an item is complete, then hand it to the crawl's writer process
(``storage.writer``, which stores it with ``storage.write`` as the ingester does)."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.spiders import Spider
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred
from twisted.internet.protocol import ProcessProtocol

import storage
from crawler.crawl.items import ListSnapshotItem, ReleaseItem
from crawler.crawl.problems import report_problem, stop_crawl
from storage.lists import MAX_CHANGES
from storage.write import LIST, RELEASE
from storage.writer import command as writer_command

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
    """Store releases and list snapshots through the crawl's writer process (``storage.writer``).

    The writer runs beside the crawl (another core stores while this one downloads and
    extracts) and commits in batches: every ``RELEASEWATCH_BATCH_SIZE`` items, at most
    ``RELEASEWATCH_BATCH_SECONDS`` after a batch began, and when the spider closes (which
    waits for it). Each item is all-or-nothing. A killed crawl loses only what it had not
    handed over: the writer stores what it received, then exits. URLs not stored are not in
    ``release_urls``, so the next incremental run fetches them again.
    ``RELEASEWATCH_BATCH_SIZE=1`` commits every item on its own.

    At most ``backlog`` items wait for the writer: beyond, items wait (the crawl slows to the
    writer's pace rather than hold an archive in memory). A write the database refuses (disk
    full, read-only, locked beyond the busy timeout), or a writer that dies, stops the crawl
    as failed (``crawler.crawl.problems.stop_crawl``). The run's counts (new, changed,
    unchanged, list changes) grow only when a batch commits: they say what was stored.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.db_path = crawler.settings.get("RELEASEWATCH_DB")
        self.batch_size = max(1, crawler.settings.getint("RELEASEWATCH_BATCH_SIZE", 100))
        self.batch_seconds = crawler.settings.getfloat("RELEASEWATCH_BATCH_SECONDS", 1.0)
        self.max_changes = crawler.settings.getint("RELEASEWATCH_LIST_MAX_CHANGES", MAX_CHANGES)
        self.backlog = 4 * self.batch_size + 16
        self.writer: WriterProcess | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoragePipeline:
        return cls(crawler)

    def open_spider(self, spider: Spider | None = None) -> None:
        self.writer = WriterProcess(self, writer_command(
            self.db_path, batch_size=self.batch_size, batch_seconds=self.batch_seconds,
            max_changes=self.max_changes))

    async def close_spider(self, spider: Spider | None = None) -> None:
        if self.writer is not None:
            await maybe_deferred_to_future(self.writer.finish())

    def process_item(self, item, spider: Spider | None = None):
        writer = self.writer
        if writer.ended and not writer.failed:
            writer.failed = "the writer process stopped before the crawl's end"
            self.on_failure(item.get("url", "?"), writer.failed)
        if writer.failed:
            raise DropItem(f"not stored: {writer.failed}")
        kind = LIST if isinstance(item, ListSnapshotItem) else RELEASE
        writer.send({"kind": kind, "item": dict(item),
                     "run_id": self.crawler.stats.get_value("releasewatch/run_id")})
        if writer.waiting >= self.backlog:
            return self._after_backlog(item)
        return item

    async def _after_backlog(self, item):
        await maybe_deferred_to_future(self.writer.caught_up(self.backlog // 2))
        return item

    # --- what the writer says -------------------------------------------------------
    def on_commit(self, report: dict) -> None:
        """A batch is permanent: add it to the run's stats, report its problems."""
        for key, value in report.get("counts", {}).items():
            self.crawler.stats.inc_value(f"releasewatch/{key}", value)
        for url, reason in report.get("problems", []):
            report_problem(self.crawler, url, reason)

    def on_failure(self, url: str, reason: str) -> None:
        stop_crawl(self.crawler, url, reason, finish_reason="storage_error")

    def on_done(self, report: dict) -> None:
        """The writer's own cost (the crawl's stats and ``bench/`` count it with the crawl's)."""
        for key in ("cpu_s", "peak_rss_mb"):
            self.crawler.stats.set_value(f"releasewatch/writer/{key}", report.get(key))


class WriterProcess(ProcessProtocol):
    """The writer process and its pipes: JSON lines each way (``storage.writer``)."""

    def __init__(self, pipeline: StoragePipeline, command: list[str]):
        self.pipeline = pipeline
        self.sent = self.stored = 0
        self.failed: str | None = None
        self.ended = False
        self.buffer = b""
        self.waiters: list[tuple[int, Deferred]] = []
        self.finished: Deferred = Deferred()
        from twisted.internet import reactor  # the crawl's (installed by Scrapy), not a default one

        root = str(Path(storage.__file__).resolve().parent.parent)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
        reactor.spawnProcess(self, command[0], command, env=env, childFDs={0: "w", 1: "r", 2: 2})

    @property
    def waiting(self) -> int:
        """Items sent and not yet committed."""
        return self.sent - self.stored

    def send(self, message: dict) -> None:
        self.transport.write(json.dumps(message, ensure_ascii=False, default=str).encode() + b"\n")
        self.sent += 1

    def caught_up(self, waiting: int) -> Deferred:
        """Fires when at most ``waiting`` items wait for the writer (or it has ended)."""
        deferred: Deferred = Deferred()
        if self.ended or self.waiting <= waiting:
            deferred.callback(None)
        else:
            self.waiters.append((waiting, deferred))
        return deferred

    def finish(self) -> Deferred:
        """Close the writer's input; fires once it committed everything and exited."""
        if not self.ended:
            self.transport.closeStdin()
        return self.finished

    def outReceived(self, data: bytes) -> None:
        *lines, self.buffer = (self.buffer + data).split(b"\n")
        for line in lines:
            try:
                report = json.loads(line)
            except ValueError:  # not the writer's (a library printing): shown, not obeyed
                logger.warning("releasewatch writer: %s", line.decode(errors="replace"))
                continue
            self.on_line(report)
        self._wake()

    def on_line(self, report: dict) -> None:
        if "refused" in report:
            self.failed = report["refused"]
            self.pipeline.on_failure(report.get("url", "?"), report["refused"])
        elif report.get("done"):
            self.pipeline.on_done(report)
        else:
            self.stored += report.get("stored", 0)
            self.pipeline.on_commit(report)

    def outConnectionLost(self) -> None:
        """The writer exited (its output ended): all it said has been read."""
        self.ended = True
        if self.waiting and not self.failed:
            self.failed = f"the writer process stopped with {self.waiting} item(s) not stored"
            self.pipeline.on_failure(str(self.pipeline.db_path), self.failed)
        self._wake()
        if not self.finished.called:
            self.finished.callback(None)

    def _wake(self) -> None:
        ready = [d for limit, d in self.waiters if self.ended or self.waiting <= limit]
        self.waiters = [(limit, d) for limit, d in self.waiters if d not in ready]
        for deferred in ready:
            deferred.callback(None)
