"""A finished run's verdict and its one-line summary, from the run's counters.

No Scrapy and no database: the crawl (``crawler.crawl.health``) and the distributed
ingester (``crawler.distributed.ingest``) both judge and close their runs with
:func:`run_record` and log them with :func:`summary_line`, so they agree on what
``ok``, ``degraded`` and ``failed`` mean (docs/schema.md, ``crawl_runs``):

- ``failed``: the entry point (listing, feed, home page) could not be fetched, nothing
  was fetched at all, or the run did not finish;
- ``degraded``: a page that should yield a release yielded none or lacked required
  fields, a release could not be fetched, or a tracked list looked unhealthy;
- ``ok``: everything else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Scrapy stats keys (the ingester builds the same keys from the workers' counts).
PAGES = "response_received_count"
PROBLEM_COUNT = "releasewatch/problem_count"
PROBLEMS = "releasewatch/problems"
ENTRY_FAILED = "releasewatch/entry_failed"
ENTRY_PROBLEM = "releasewatch/entry_problem"
STOPPED = "releasewatch/stopped"
ITEM_COUNTS = ("items_new", "items_changed", "items_unchanged")


def run_status(stats: Mapping[str, Any], finish_reason: str | None) -> tuple[str, str]:
    """``(status, reason)`` for a finished run from its stats."""
    pages = stats.get(PAGES, 0)
    if stats.get(ENTRY_FAILED):
        return "failed", ("the listing/feed/home page could not be fetched or read"
                          + (f": {stats[ENTRY_PROBLEM]}" if stats.get(ENTRY_PROBLEM) else ""))
    if stats.get(STOPPED):  # also when the database refused the last batch at close
        return "failed", stats[STOPPED]
    if finish_reason not in (None, "finished"):
        return "failed", f"run ended early: {finish_reason}"
    if not pages:
        return "failed", "no page could be fetched"
    problems = stats.get(PROBLEM_COUNT, 0)
    if problems:
        first = (stats.get(PROBLEMS) or [{}])[0]
        return "degraded", f"{problems} problem(s), first: {first.get('url')}: {first.get('error')}"
    if stats.get("httpcache/errorrecovery"):
        return "degraded", "some pages failed and were served from the cache"
    if stats.get("log_count/ERROR"):
        return "degraded", f"{stats['log_count/ERROR']} error(s) in the log"
    return "ok", "ok"


def run_record(stats: Mapping[str, Any], finish_reason: str | None) -> dict[str, Any]:
    """The keyword arguments of ``storage.runs.close_run`` for a finished run."""
    status, reason = run_status(stats, finish_reason)
    return {"status": status, "reason": reason, "finish_reason": finish_reason,
            "problems": list(stats.get(PROBLEMS) or []), "pages": stats.get(PAGES, 0),
            **{name: stats.get(f"releasewatch/{name}", 0) for name in ITEM_COUNTS}}


def run_label(run_id: int | None) -> str:
    """``run 12``, or what to say when the database could not record the run (never
    ``run None``)."""
    return f"run {run_id}" if run_id is not None else "run not recorded"


def summary_line(run_id: int | None, spider: str, run: Mapping[str, Any]) -> str:
    """The one line that tells how a run ended, from its ``crawl_runs`` columns (``status``,
    ``reason``, ``pages``, ``items_*``, ``errors``): ``run 7 osce: DEGRADED pages=7 new=2
    changed=0 unchanged=0 problems=1 - 1 problem(s), first: ...``."""
    return (f"{run_label(run_id)} {spider}: {run['status'].upper()} pages={run['pages'] or 0} "
            f"new={run['items_new'] or 0} changed={run['items_changed'] or 0} "
            f"unchanged={run['items_unchanged'] or 0} problems={run['errors'] or 0} - {run['reason']}")
