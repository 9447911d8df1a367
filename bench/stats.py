"""A Scrapy stats collector that also writes the final stats to ``BENCH_STATS_FILE`` (JSON).

The benchmarks read ``elapsed_time_seconds`` and ``response_received_count`` from it
instead of parsing the log, ``bench/cpu_s``: the CPU time (user + system) the crawl
process spent between opening and closing the spider, which load from other processes
on the machine disturbs far less than the wall time, and ``bench/peak_rss_mb``: the
process's own peak RSS (``VmHWM``; ``wait4``'s ``ru_maxrss`` keeps the high-water mark
across ``exec``, so it reports the forking benchmark's own size when that is larger). Set with
``-s STATS_CLASS=bench.stats.JsonFileStatsCollector``.
"""

from __future__ import annotations

import json
import resource
from pathlib import Path

from scrapy.statscollectors import MemoryStatsCollector


def _peak_rss_mb() -> float | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):  # not Linux
        return None


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class JsonFileStatsCollector(MemoryStatsCollector):
    def open_spider(self, spider=None) -> None:
        super().open_spider(spider)
        self._cpu_start = _cpu()

    def _persist_stats(self, stats) -> None:
        stats["bench/cpu_s"] = _cpu() - getattr(self, "_cpu_start", 0.0)
        stats["bench/peak_rss_mb"] = _peak_rss_mb()
        super()._persist_stats(stats)
        path = self._crawler.settings.get("BENCH_STATS_FILE")
        if path:
            Path(path).write_text(json.dumps(stats, default=str, indent=1))
