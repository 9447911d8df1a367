"""A Scrapy stats collector that also writes the final stats to ``BENCH_STATS_FILE`` (JSON).

The benchmarks read ``elapsed_time_seconds`` and ``response_received_count`` from it
instead of parsing the log. Set with ``-s STATS_CLASS=bench.stats.JsonFileStatsCollector``.
"""

from __future__ import annotations

import json
from pathlib import Path

from scrapy.statscollectors import MemoryStatsCollector


class JsonFileStatsCollector(MemoryStatsCollector):
    def _persist_stats(self, stats) -> None:
        super()._persist_stats(stats)
        path = self._crawler.settings.get("BENCH_STATS_FILE")
        if path:
            Path(path).write_text(json.dumps(stats, default=str, indent=1))
