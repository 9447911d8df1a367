"""The ``crawl_runs`` history: a row when a crawl starts, completed when it ends."""

from __future__ import annotations

import bisect
import os

import sqlite_utils

from storage.normalize import parse_timestamp, utcnow


def start_run(
    db: sqlite_utils.Database, spider: str, *, run_id: int | None = None,
    trigger: str = "manual", pid: int | None = None, scope: str = "",
) -> int:
    """Insert (or claim, when the scheduler pre-created it) a ``running`` row.

    A claimed row keeps its start time and trigger: the run began when its process was
    started, not when the spider opened; ``pid`` becomes the crawl's own, and ``spider``
    the running spider's name (``scrapy crawl watch -a name=nato`` runs as ``nato``). ``scope`` is
    ``storage.normalize.run_scope`` of the crawl's arguments (the gap rule, ``trusted_known_urls``).
    """
    row = {
        "spider": spider, "started_at": utcnow(), "status": "running",
        "trigger": trigger, "pid": pid, "scope": scope,
    }
    table = db.table("crawl_runs")
    if run_id is not None:
        if table.count_where("id = ?", [run_id]):
            table.update(run_id, {"status": "running", "pid": pid, "spider": spider, "scope": scope})
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
    """Mark ``running`` rows whose process is gone (killed, crashed) as ``failed``,
    finished now (the latest it can have stored anything)."""
    abandoned = 0
    for run_id, pid in db.execute(
        "SELECT id, pid FROM crawl_runs WHERE status = 'running'"
    ).fetchall():
        if pid and _alive(pid):
            continue
        db.table("crawl_runs").update(run_id, {
            "status": "failed", "finish_reason": "abandoned", "finished_at": utcnow(),
            "reason": "the crawl process ended without closing its run (killed or crashed)",
        })
        abandoned += 1
    return abandoned


def distrusted_spans(db: sqlite_utils.Database, spider: str, scope: str,
                     exclude_run: int | None = None) -> list[tuple[str, str]]:
    """The ``(start, end)`` spans, merged, of the runs of ``spider`` whose stored releases
    a run with ``scope`` must not stop at: every run that did not end ``ok`` with that
    same scope (failed, degraded, killed, still running, or partial by another argument),
    unless an ``ok`` run with that scope started after it ended, or in the second it ended
    (that run paged past what it stored down to trusted releases, so no gap is left below
    them).

    A running run's span is open (``end`` = ``"~"``, after any timestamp); a closed run
    without ``finished_at`` (marked abandoned by an older version) ends where the next
    run of the spider started. ``exclude_run`` is the asking run itself: it has stored
    nothing yet when it asks, and its open span would otherwise distrust what the run
    before it stored in the second it started (timestamps are whole seconds).
    """
    healed_before = db.execute(
        "SELECT max(started_at) FROM crawl_runs WHERE spider = ? AND status = 'ok' AND COALESCE(scope, '') = ?",
        [spider, scope]).fetchone()[0] or ""
    rows = db.execute(
        "SELECT started_at, CASE WHEN status = 'running' THEN '~' ELSE COALESCE(finished_at, "
        "(SELECT min(n.started_at) FROM crawl_runs n WHERE n.spider = r.spider AND n.id > r.id), '~') END "
        "FROM crawl_runs r WHERE spider = ? AND NOT (status = 'ok' AND COALESCE(scope, '') = ?) "
        "AND started_at IS NOT NULL AND id IS NOT ? ORDER BY started_at", [spider, scope, exclude_run],
    ).fetchall()
    spans: list[tuple[str, str]] = []
    for start, end in rows:
        # An ok run that started in the very second this run ended healed it too: whole
        # seconds cannot tell which came first, and a run started right after another (by
        # the scheduler, a script) shares its last second (docs/reliability.md).
        if end <= healed_before:
            continue
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    return spans


def trusted_known_urls(db: sqlite_utils.Database, spider: str, scope: str = "",
                       *, exclude_run: int | None = None) -> set[str]:
    """The release URLs where a run of ``spider`` with ``scope`` may stop paging.

    The gap rule (docs/reliability.md): a stored release counts as known only if no run
    that could have left a gap below it was at work when it was first seen, i.e. its
    ``first_seen`` lies in none of ``distrusted_spans``. Releases stored by runs that
    completed ``ok`` over the same listings (same scope) are trusted: such a run paged
    down to releases that were themselves trusted, so nothing is missing below them;
    and so are those of a bad run once an ``ok`` run of the scope started after it.
    """
    spans = distrusted_spans(db, spider, scope, exclude_run)
    starts = [start for start, _ in spans]
    known = set()
    for url, first_seen in db.execute("SELECT url, first_seen FROM release_urls"):
        at = bisect.bisect_right(starts, first_seen) - 1
        if at < 0 or first_seen > spans[at][1]:
            known.add(url)
    return known


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
