"""Live progress of a crawl, for a terminal or a log.

Inside the crawl, the ``crawler.crawl.progress.ProgressReporter`` extension appends a
JSON line of counters (:func:`snapshot`) to the file named by
``RELEASEWATCH_PROGRESS_FILE`` every second and at the end. Outside, the runner reads
them (:func:`read_new_lines`) and :class:`ProgressView` (no Scrapy import) renders them:
a rich progress bar on a terminal, one plain line per change otherwise (cron, CI, logs),
and a summary table at the end.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

COUNTERS = {
    "pages": "response_received_count",
    "new": "releasewatch/items_new",
    "changed": "releasewatch/items_changed",
    "unchanged": "releasewatch/items_unchanged",
    "errors": "releasewatch/problem_count",
    "expected": "releasewatch/expected_pages",
}


def snapshot(stats: dict[str, Any]) -> dict[str, int]:
    """The counters shown to people, from a crawl's Scrapy stats."""
    return {name: int(stats.get(key) or 0) for name, key in COUNTERS.items()}


class ProgressView:
    """Render progress lines for one crawl: rich on a terminal, plain lines otherwise."""

    def __init__(self, label: str, *, stream=None, rich: bool | None = None):
        self.label = label
        self.stream = stream or sys.stderr
        self.rich = self.stream.isatty() if rich is None else rich
        self.last: dict[str, int] = {}
        self.started = time.monotonic()
        self._progress = self._task = None

    def __enter__(self) -> ProgressView:
        if self.rich:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

            # Fits 80 columns: "osce ━━━━━━━━━━━━━━ 100% 36/36 pages new 30 chg 0 same 0 err 0 0:00:12"
            self._progress = Progress(
                TextColumn("[bold]{task.description}"), BarColumn(bar_width=14), TaskProgressColumn(),
                TextColumn("{task.fields[pages]} pages"), TextColumn("{task.fields[counts]}"),
                TimeElapsedColumn(), console=Console(file=self.stream, force_terminal=True), transient=False,
            )
            self._progress.start()
            self._task = self._progress.add_task(self.label, total=None, counts="", pages="0")
        return self

    @staticmethod
    def total(counters: dict) -> int | None:
        """Pages to expect: the spider's estimate (listing and release pages), never less
        than the pages already fetched (robots.txt and menus count too); once the crawl
        is done, exactly the pages fetched."""
        if counters.get("done"):
            return counters["pages"]
        return max(counters["expected"], counters["pages"]) if counters["expected"] else None

    def update(self, counters: dict[str, int]) -> None:
        """Show new counters (ignored when nothing changed)."""
        if counters == self.last:
            return
        self.last = counters
        total = self.total(counters)
        pages = f"{counters['pages']}" + (f"/{total}" if total else "")
        if self._progress is not None:
            counts = (f"new {counters['new']} chg {counters['changed']} same {counters['unchanged']} "
                      f"err {counters['errors']}")
            self._progress.update(self._task, completed=counters["pages"], total=total, counts=counts,
                                  pages=pages)
        else:
            counts = (f"new {counters['new']} · changed {counters['changed']} · "
                      f"unchanged {counters['unchanged']} · errors {counters['errors']}")
            eta = self._eta(counters["pages"], total)
            self.stream.write(f"{self.label}: pages {pages}, {counts}"
                              + (f", eta {eta:.0f}s" if eta is not None else "") + "\n")
            self.stream.flush()

    def _eta(self, pages: int, total: int | None) -> float | None:
        if not total or not pages or pages >= total:
            return None
        return (time.monotonic() - self.started) / pages * (total - pages)

    def __exit__(self, *exc) -> None:
        if self._progress is not None:
            if self.last:  # the crawl is over: the bar ends full, whatever was estimated
                pages = self.last["pages"]
                self._progress.update(self._task, completed=pages, total=pages or None, pages=f"{pages}/{pages}")
            self._progress.stop()

    def summary(self, status: str, out=None) -> None:
        """A closing table (on a terminal) or line, with the final counters, to ``out``
        (stdout: ``releasewatch crawl osce > log`` keeps it; progress went to stderr)."""
        out = out or sys.stdout
        counters = self.last or dict.fromkeys(COUNTERS, 0)
        names = ("pages", "new", "changed", "unchanged", "errors")
        if out.isatty():
            from rich.console import Console
            from rich.table import Table

            table = Table(title=f"{self.label}: {status}")
            for name in names:
                table.add_column(name, justify="right")
            table.add_row(*(str(counters[n]) for n in names))
            Console(file=out).print(table)
        else:
            out.write(f"{self.label}: {status} " + " ".join(f"{n}={counters[n]}" for n in names) + "\n")
            out.flush()


def read_new_lines(path: str, offset: int) -> tuple[list[dict], int]:
    """JSON lines appended to ``path`` since ``offset``, and the new offset."""
    try:
        with open(path, encoding="utf-8") as source:
            source.seek(offset)
            data = source.read()
    except FileNotFoundError:
        return [], offset
    complete = data[: data.rfind("\n") + 1]
    lines = [json.loads(line) for line in complete.splitlines() if line.strip()]
    return lines, offset + len(complete.encode("utf-8"))
