"""What the Redis ingester committed, so a replayed message changes nothing.

The ingester (``crawler/distributed/ingest.py``) writes each batch of messages in one transaction
together with their ids here; after a crash it replays what Redis still holds and skips
the ids it finds. ``distributed_runs`` maps a seeded run (``osce-12``) to its
``crawl_runs`` row and keeps the problems the ingester itself found in that run.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import sqlite_utils

from storage.runs import start_run
from storage.schema import utcnow

TABLES: dict[str, dict] = {
    "ingested_messages": {"columns": {"id": str, "at": str}, "pk": "id"},
    "distributed_runs": {
        "columns": {"run_key": str, "run_id": int, "spider": str, "problems": str},
        "pk": "run_key",
        "foreign_keys": [("run_id", "crawl_runs", "id")],
    },
}
COUNTERS = {"new": "items_new", "changed": "items_changed", "unchanged": "items_unchanged"}


def ensure_tables(db: sqlite_utils.Database) -> None:
    for name, spec in TABLES.items():
        db.table(name).create(spec["columns"], pk=spec["pk"], foreign_keys=spec.get("foreign_keys"),
                              if_not_exists=True)


def already_ingested(db: sqlite_utils.Database, message_id: str) -> bool:
    return db.execute("SELECT 1 FROM ingested_messages WHERE id = ?", [message_id]).fetchone() is not None


def mark_ingested(db: sqlite_utils.Database, message_id: str) -> None:
    db.execute("INSERT OR IGNORE INTO ingested_messages (id, at) VALUES (?, ?)", [message_id, utcnow()])


def forget_ingested(db: sqlite_utils.Database, message_ids: Iterable[str]) -> None:
    """Drop ids whose messages are gone from Redis: they can no longer be replayed."""
    db.conn.executemany("DELETE FROM ingested_messages WHERE id = ?", [(i,) for i in message_ids])


def forget_ingested_before(db: sqlite_utils.Database, stamp: str) -> None:
    db.execute("DELETE FROM ingested_messages WHERE at < ?", [stamp])


def open_distributed_run(db: sqlite_utils.Database, run_key: str, spider: str, *, started_at: str,
                         trigger: str = "manual", pid: int | None = None) -> int:
    """The ``crawl_runs`` row of a seeded run (created ``running`` the first time)."""
    known = distributed_run(db, run_key)
    if known:
        return known[0]
    run_id = start_run(db, spider, trigger=trigger, pid=pid)
    db.table("crawl_runs").update(run_id, {"started_at": started_at})
    db.table("distributed_runs").insert({"run_key": run_key, "run_id": run_id, "spider": spider,
                                         "problems": "[]"})
    return run_id


def distributed_run(db: sqlite_utils.Database, run_key: str | None) -> tuple[int, str] | None:
    """``(crawl_runs id, spider)`` of a seeded run, or None if its start was never ingested."""
    if not run_key:
        return None
    row = db.execute("SELECT run_id, spider FROM distributed_runs WHERE run_key = ?", [run_key]).fetchone()
    return (row[0], row[1]) if row else None


_COUNT_SQL = {
    name: "UPDATE crawl_runs SET " + column + " = coalesce(" + column + ", 0) + 1 WHERE id = ?"
    for name, column in COUNTERS.items()
}


def count_item(db: sqlite_utils.Database, run_id: int, counts_as: str) -> None:
    """Add one to a run's ``items_new`` / ``items_changed`` / ``items_unchanged``."""
    db.execute(_COUNT_SQL[counts_as], [run_id])


def add_run_problem(db: sqlite_utils.Database, run_key: str, problem: dict) -> None:
    problems = run_problems(db, run_key) + [problem]
    db.execute("UPDATE distributed_runs SET problems = ? WHERE run_key = ?",
               [json.dumps(problems, ensure_ascii=False), run_key])


def run_problems(db: sqlite_utils.Database, run_key: str) -> list[dict]:
    row = db.execute("SELECT problems FROM distributed_runs WHERE run_key = ?", [run_key]).fetchone()
    return json.loads(row[0] or "[]") if row else []


def run_counts(db: sqlite_utils.Database, run_id: int) -> dict[str, int]:
    row = db.execute("SELECT coalesce(items_new, 0), coalesce(items_changed, 0), "
                     "coalesce(items_unchanged, 0) FROM crawl_runs WHERE id = ?", [run_id]).fetchone()
    return dict(zip(COUNTERS.values(), row or (0, 0, 0), strict=True))
