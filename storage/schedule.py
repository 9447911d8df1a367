"""What the scheduler daemon keeps in the database: its jobs, their next runs, and
what each scheduled run brought (for ``releasewatch status`` and notifications).

A scheduled run is a ``crawl_runs`` row whose ``trigger`` is ``schedule:<job>``, so a
job's history needs no table of its own and survives restarts with the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlite_utils

from storage.schema import utcnow

TRIGGER_PREFIX = "schedule:"
RUN_COLUMNS = ("id", "spider", "started_at", "finished_at", "status", "reason", "pages",
               "items_new", "items_changed", "items_unchanged", "errors", "duration_s",
               "exit_code", "finish_reason")


def job_trigger(job: str) -> str:
    """The ``crawl_runs.trigger`` of the job's runs."""
    return TRIGGER_PREFIX + job


def save_jobs(db: sqlite_utils.Database, jobs: list[dict]) -> None:
    """Replace the recorded jobs (``job``, ``spider``, ``schedule``, ``next_run``)."""
    now = utcnow()
    with db.atomic():
        db.execute("DELETE FROM schedule_jobs")
        db.table("schedule_jobs").insert_all([{**job, "updated_at": now} for job in jobs])


def set_next_runs(db: sqlite_utils.Database, next_runs: dict[str, str | None]) -> None:
    """Record each job's next run time (``None``: not scheduled, e.g. the daemon stopped)."""
    now = utcnow()
    with db.atomic():
        for job, next_run in next_runs.items():
            db.execute("UPDATE schedule_jobs SET next_run = ?, updated_at = ? WHERE job = ?",
                       [next_run, now, job])


def last_run(db: sqlite_utils.Database, job: str) -> dict | None:
    """The job's most recent run (any status), or ``None``."""
    rows = list(db.query(
        f"SELECT {', '.join(RUN_COLUMNS)} FROM crawl_runs WHERE trigger = ? "
        "ORDER BY started_at DESC, id DESC LIMIT 1", [job_trigger(job)]))
    return rows[0] if rows else None


def jobs_status(db: sqlite_utils.Database) -> list[dict]:
    """Every recorded job with its schedule, next run and last run."""
    jobs = list(db.query("SELECT job, spider, schedule, next_run FROM schedule_jobs ORDER BY job"))
    return [{**job, "last_run": last_run(db, job["job"])} for job in jobs]


@dataclass
class RunNews:
    """What one run brought: its ``crawl_runs`` row, the releases it first saw, and the
    list changes it detected."""

    run: dict
    new_releases: list[dict] = field(default_factory=list)
    list_changes: list[dict] = field(default_factory=list)


def run_news(db: sqlite_utils.Database, run_id: int, since: str, *, limit: int = 20) -> RunNews:
    """The run's row, its new releases and its list changes.

    ``since`` is when the run was started (ISO UTC). New releases are first seen by this
    run's spider from then on (``items_new`` is the authoritative count); list changes
    were detected from then until the run finished, from a snapshot of this run when the
    snapshot names its run.
    """
    run = next(iter(db.query(f"SELECT {', '.join(RUN_COLUMNS)} FROM crawl_runs WHERE id = ?",
                             [run_id])), None)
    if run is None:
        raise LookupError(f"no crawl run {run_id}")
    until = run["finished_at"] or utcnow()
    news = RunNews(run)
    if run["items_new"]:
        news.new_releases = list(db.query(
            "SELECT id, title, url, published FROM releases WHERE source = ? AND first_seen >= ? "
            "AND first_seen <= ? ORDER BY published DESC, id DESC LIMIT ?",
            [run["spider"], since, until, limit]))
    news.list_changes = list(db.query(
        "SELECT c.list, c.change, c.item, c.before, c.after FROM list_changes c "
        "LEFT JOIN list_snapshots s ON s.id = c.snapshot_id "
        "WHERE c.detected_at >= ? AND c.detected_at <= ? AND (s.run_id IS NULL OR s.run_id = ?) "
        "ORDER BY c.id", [since, until, run_id]))
    return news
