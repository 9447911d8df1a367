"""The ``crawl_runs`` history: a row when a crawl starts, completed when it ends."""

from __future__ import annotations

import os

import sqlite_utils

from storage.normalize import parse_timestamp, utcnow


def start_run(
    db: sqlite_utils.Database, spider: str, *, run_id: int | None = None,
    trigger: str = "manual", pid: int | None = None,
) -> int:
    """Insert (or claim, when the scheduler pre-created it) a ``running`` row.

    A claimed row keeps its start time and trigger: the run began when its process was
    started, not when the spider opened; ``pid`` becomes the crawl's own, and ``spider``
    the running spider's name (``scrapy crawl watch -a name=nato`` runs as ``nato``).
    """
    row = {
        "spider": spider, "started_at": utcnow(), "status": "running",
        "trigger": trigger, "pid": pid,
    }
    table = db.table("crawl_runs")
    if run_id is not None:
        if table.count_where("id = ?", [run_id]):
            table.update(run_id, {"status": "running", "pid": pid, "spider": spider})
        else:
            table.insert({"id": run_id, **row})
        return run_id
    return table.insert(row).last_pk


def live_run(db: sqlite_utils.Database, trigger: str) -> tuple[int, int] | None:
    """``(run id, pid)`` of a ``running`` run with ``trigger`` whose process is alive
    (e.g. a crawl that outlived a daemon killed with ``kill -9``), or None."""
    for run_id, pid in db.execute(
        "SELECT id, pid FROM crawl_runs WHERE status = 'running' AND trigger = ? ORDER BY id DESC", [trigger],
    ).fetchall():
        if pid and pid != os.getpid() and _alive(pid):
            return run_id, pid
    return None


def close_run(
    db: sqlite_utils.Database, run_id: int, *, status: str, reason: str,
    finish_reason: str | None, problems: list[dict] | None = None,
    exit_code: int | None = None, log_tail: str | None = None, **counts: int,
) -> None:
    """Complete a run: status, counts, duration, and one ``crawl_errors`` row per problem."""
    finished = utcnow()
    started = db.execute("SELECT started_at FROM crawl_runs WHERE id = ?", [run_id]).fetchone()
    duration = None
    if started and started[0]:
        duration = (parse_timestamp(finished) - parse_timestamp(started[0])).total_seconds()
    problems = problems or []
    with db.atomic():
        update = {
            "finished_at": finished, "status": status, "reason": reason,
            "finish_reason": finish_reason, "duration_s": duration,
            "errors": len(problems), **counts,
        }
        if exit_code is not None:
            update["exit_code"] = exit_code
        if log_tail is not None:
            update["log_tail"] = log_tail
        db.table("crawl_runs").update(run_id, update)
        spider = db.execute("SELECT spider FROM crawl_runs WHERE id = ?", [run_id]).fetchone()[0]
        db.table("crawl_errors").insert_all(
            [{"run_id": run_id, "spider": spider, **p} for p in problems]
        )


def mark_abandoned_runs(db: sqlite_utils.Database) -> int:
    """Mark ``running`` rows whose process is gone (killed, crashed) as ``failed``."""
    abandoned = 0
    for run_id, pid in db.execute(
        "SELECT id, pid FROM crawl_runs WHERE status = 'running'"
    ).fetchall():
        if pid and _alive(pid):
            continue
        db.table("crawl_runs").update(run_id, {
            "status": "failed", "finish_reason": "abandoned",
            "reason": "the crawl process ended without closing its run (killed or crashed)",
        })
        abandoned += 1
    return abandoned


def unhealthy_since(db: sqlite_utils.Database, spider: str) -> str | None:
    """When the trailing streak of failed or degraded runs of ``spider`` started (None:
    the last run was ok).

    Such a run (killed, crashed, database full, a listing page that showed a maintenance
    notice, a release that could not be fetched) may have stored the newest releases of
    a listing and not the older ones: the next run must not take what it stored for the
    place where an incremental crawl can stop (see ``StopAtKnownMiddleware``).
    """
    since = None
    for status, started in db.execute(
        "SELECT status, started_at FROM crawl_runs WHERE spider = ? AND status != 'running' "
        "ORDER BY id DESC", [spider],
    ):
        if status == "ok":
            break
        since = started
    return since


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
