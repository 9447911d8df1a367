"""The crawl's writer process: stores what a crawl sends it, beside the crawl.

``scrapy crawl`` starts one (``crawler.crawl.pipelines.StoragePipeline``) so that storing a
release (hashing, near-duplicate search, versions, the search index) runs on another core
than downloading and extracting: a back-fill goes at the crawl's pace, not at the sum of
both. It is the Redis ingester's design on one machine: one writer, the same write path
(``storage.write.store_item``), no Scrapy here::

    python -m storage.writer DB [--batch-size 100] [--batch-seconds 1.0] [--max-changes N]

(``command()`` gives the line the crawl runs.)

Input, one JSON object a line: ``{"kind": "release" | "list", "item": {...}, "run_id": n}``.
Items are committed in batches: every ``batch_size`` items, ``batch_seconds`` after a
batch began, and when the input ends. Output, one JSON object a line, after each commit:
``{"stored": n, "counts": {...}, "problems": [[url, reason], ...]}``: what the commit made
permanent (counts say new/changed/unchanged releases and list outcomes). At the end of
the input: ``{"done": true, "cpu_s": x, "peak_rss_mb": y}``, exit 0.

A write the database refuses (disk full, read-only, locked beyond the busy timeout)
rolls the batch back, is answered ``{"refused": reason, "url": url}``, and ends the
process (exit 3): the crawl then stops as failed. An item that cannot be stored (a bug,
a malformed item) is rolled back alone and reported as a problem.

The writer ignores SIGINT and SIGTERM: they are for the crawl, which then closes the
writer's input; a crawl killed outright closes it too. Either way the writer commits
what it received and exits: a killed crawl loses only what it had not yet sent.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import select
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

from storage import neardup
from storage.lists import MAX_CHANGES
from storage.schema import open_db
from storage.write import LIST, store_item

REFUSED_EXIT = 3
# Storing is background work: when the cores are busy the crawl goes first, and the
# writer catches up from its backlog (the crawl waits past four batches, so never far).
NICE = 5


class BatchWriter:
    """Store items in batches; ``commit`` returns what it made permanent."""

    def __init__(self, db_path: str, *, batch_size: int = 100, max_changes: int = MAX_CHANGES):
        self.db_path = db_path
        self.batch_size = max(1, batch_size)
        self.max_changes = max_changes
        self.db = None
        self.pending = 0
        self.counts: Counter = Counter()
        self.problems: list[list[str]] = []

    def store(self, message: dict[str, Any]) -> None:
        """Store one item inside the open batch (opened here); commit a full batch.
        Raises ``sqlite3.Error`` when the database refuses the write."""
        if self.db is None:
            self.db = open_db(self.db_path)
            neardup.load()
        if not self.db.conn.in_transaction:
            # IMMEDIATE: take the write lock now (waiting up to the busy timeout) rather
            # than fail later when a read transaction cannot be upgraded.
            self.db.conn.execute("BEGIN IMMEDIATE")
        kind, item = message.get("kind"), message.get("item") or {}
        try:
            with self.db.atomic():  # a savepoint: a failing item leaves no trace in the batch
                result = store_item(self.db, kind, item, run_id=message.get("run_id"),
                                    max_changes=self.max_changes)
        except sqlite3.Error:
            raise
        except Exception as error:  # one bad item is reported, the rest stored
            self.problems.append([str(item.get("url") or item.get("list") or "?"),
                                  f"could not store the item: {type(error).__name__}: {error}"])
        else:
            self._count(kind, item, result)
        self.pending += 1

    def _count(self, kind: str, item: dict[str, Any], result: Any) -> None:
        if kind == LIST:
            self.counts["list_changes"] += len(result.changes)
            self.counts[f"lists/{result.status}"] += 1
            if result.problem:
                self.problems.append([str(item.get("url") or item["list"]), result.problem])
        else:
            self.counts[f"items_{result.counts_as}"] += 1
            self.counts[f"store/{result.status}"] += 1

    @property
    def full(self) -> bool:
        return self.pending >= self.batch_size

    def commit(self) -> dict[str, Any] | None:
        """Commit the open batch; what it stored, or None if there was nothing to commit."""
        if self.db is not None and self.db.conn.in_transaction:
            self.db.conn.execute("COMMIT")
        if not self.pending and not self.problems:
            return None
        report = {"stored": self.pending, "counts": dict(self.counts), "problems": self.problems}
        self.pending, self.counts, self.problems = 0, Counter(), []
        return report

    def rollback(self) -> None:
        if self.db is not None and self.db.conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self.db.conn.execute("ROLLBACK")

    def close(self) -> None:
        if self.db is not None:
            self.db.close()


def messages(fd: int, wait: Any) -> Iterator[dict[str, Any] | None]:
    """The JSON lines read from ``fd``; None when ``wait()`` seconds passed with no input
    (``wait()`` None: wait for input however long). Ends at the end of the input."""
    buffer = b""
    while True:
        timeout = wait()
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            yield None
            continue
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return
        *lines, buffer = (buffer + chunk).split(b"\n")
        for line in lines:
            if line.strip():
                yield json.loads(line)


def usage() -> dict[str, float]:
    """This process's CPU seconds and peak resident memory (``VmHWM``) in MB."""
    rusage = resource.getrusage(resource.RUSAGE_SELF)
    peak = rusage.ru_maxrss / 1024
    with contextlib.suppress(OSError), open("/proc/self/status") as status:
        peak = next((int(line.split()[1]) / 1024 for line in status if line.startswith("VmHWM:")), peak)
    return {"cpu_s": round(rusage.ru_utime + rusage.ru_stime, 3), "peak_rss_mb": round(peak, 1)}


def serve(writer: BatchWriter, batch_seconds: float, fd: int, out: Any) -> int:
    """Store what arrives on ``fd`` until its end; report each commit on ``out``; the exit code."""
    opened_at: float | None = None  # when the open batch began

    def wait() -> float | None:
        if opened_at is None or batch_seconds <= 0:
            return None
        return max(0.0, opened_at + batch_seconds - time.monotonic())

    def say(report: dict[str, Any]) -> None:
        try:
            out.write(json.dumps(report, ensure_ascii=False) + "\n")
            out.flush()
        except OSError:  # the crawl is gone: store what it sent all the same
            pass

    def commit() -> None:
        nonlocal opened_at
        opened_at = None
        report = writer.commit()
        if report:
            say(report)

    url = "?"
    try:
        for message in messages(fd, wait):
            if message is not None:
                url = str((message.get("item") or {}).get("url") or "?")
                opened_at = opened_at or time.monotonic()
                writer.store(message)
            if message is None or writer.full:
                commit()
        commit()
    except (sqlite3.Error, OSError) as error:  # OSError: its folder cannot be made, say
        writer.rollback()
        say({"refused": f"cannot write to the database {writer.db_path}: {error}", "url": url})
        return REFUSED_EXIT
    finally:
        writer.close()
    say({"done": True, **usage()})
    return 0


# The signals are ignored before anything is imported: a Ctrl-C in the crawl's first second
# reaches the writer too (one process group), while it is still loading (what is left is
# the interpreter's own start, some milliseconds).
STARTER = ("import signal; signal.signal(signal.SIGINT, signal.SIG_IGN); signal.signal(signal.SIGTERM, signal.SIG_IGN); "
           "from storage.writer import main; raise SystemExit(main())")


def command(db: str, *, batch_size: int, batch_seconds: float, max_changes: int = MAX_CHANGES) -> list[str]:
    """The command line that starts a writer process (with this Python)."""
    return [sys.executable, "-c", STARTER, str(db), "--batch-size", str(batch_size),
            "--batch-seconds", str(batch_seconds), "--max-changes", str(max_changes)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m storage.writer", description=__doc__.split("\n\n")[0])
    parser.add_argument("db")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--batch-seconds", type=float, default=1.0)
    parser.add_argument("--max-changes", type=int, default=MAX_CHANGES)
    args = parser.parse_args(argv)
    os.nice(NICE)
    writer = BatchWriter(args.db, batch_size=args.batch_size, max_changes=args.max_changes)
    return serve(writer, args.batch_seconds, sys.stdin.fileno(), sys.stdout)


if __name__ == "__main__":
    sys.exit(main())
