"""A Scrapy stats collector that also writes the final stats to ``BENCH_STATS_FILE`` (JSON).

The benchmarks read ``elapsed_time_seconds`` and ``response_received_count`` from it
instead of parsing the log, and ``bench/cpu_s``: the CPU time (user + system) the crawl
process spent between opening and closing the spider, which load from other processes
on the machine disturbs far less than the wall time. Set with
``-s STATS_CLASS=bench.stats.JsonFileStatsCollector``.
"""

from __future__ import annotations

import json
import resource
from pathlib import Path

from scrapy.statscollectors import MemoryStatsCollector


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class JsonFileStatsCollector(MemoryStatsCollector):
    def open_spider(self, spider=None) -> None:
        super().open_spider(spider)
        self._cpu_start = _cpu()

    def _persist_stats(self, stats) -> None:
        stats["bench/cpu_s"] = _cpu() - getattr(self, "_cpu_start", 0.0)
        super()._persist_stats(stats)
        path = self._crawler.settings.get("BENCH_STATS_FILE")
        if path:
            Path(path).write_text(json.dumps(stats, default=str, indent=1))
