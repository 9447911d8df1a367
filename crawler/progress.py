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
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

            self._progress = Progress(
                TextColumn("[bold]{task.description}"), BarColumn(),
                TextColumn("{task.completed} pages"), TextColumn("{task.fields[counts]}"),
                TimeElapsedColumn(), TimeRemainingColumn(),
                console=Console(file=self.stream), transient=False,
            )
            self._progress.start()
            self._task = self._progress.add_task(self.label, total=None, counts="")
        return self

    def update(self, counters: dict[str, int]) -> None:
        """Show new counters (ignored when nothing changed)."""
        if counters == self.last:
            return
        self.last = counters
        counts = (f"new {counters['new']} · changed {counters['changed']} · "
                  f"unchanged {counters['unchanged']} · errors {counters['errors']}")
        if self._progress is not None:
            self._progress.update(self._task, completed=counters["pages"],
                                  total=counters["expected"] or None, counts=counts)
        else:
            eta = self._eta(counters)
            self.stream.write(f"{self.label}: pages {counters['pages']}"
                              + (f"/{counters['expected']}" if counters["expected"] else "")
                              + f", {counts}" + (f", eta {eta:.0f}s" if eta is not None else "") + "\n")
            self.stream.flush()

    def _eta(self, counters: dict[str, int]) -> float | None:
        expected, pages = counters["expected"], counters["pages"]
        if not expected or not pages or pages >= expected:
            return None
        return (time.monotonic() - self.started) / pages * (expected - pages)

    def __exit__(self, *exc) -> None:
        if self._progress is not None:
            self._progress.stop()

    def summary(self, status: str) -> None:
        """A closing table (rich) or line (plain) with the final counters."""
        counters = self.last or dict.fromkeys(COUNTERS, 0)
        if self.rich:
            from rich.console import Console
            from rich.table import Table

            table = Table(title=f"{self.label}: {status}")
            for name in ("pages", "new", "changed", "unchanged", "errors"):
                table.add_column(name, justify="right")
            table.add_row(*(str(counters[n]) for n in ("pages", "new", "changed", "unchanged", "errors")))
            Console(file=self.stream).print(table)
        else:
            self.stream.write(f"{self.label}: {status} " + " ".join(
                f"{n}={counters[n]}" for n in ("pages", "new", "changed", "unchanged", "errors")) + "\n")


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
