"""Snapshots of the tracked lists and the changes between them (placeholder, see issue 5)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import sqlite_utils

from storage.schema import utcnow


@dataclass
class ListResult:
    """What ``record_list_snapshot`` did: status ``baseline``, ``changed``, ``unchanged``
    or ``unhealthy``; the change rows it wrote; and a problem to report, if any."""

    status: str
    changes: list[dict] = field(default_factory=list)
    problem: str | None = None


def items_hash(items: list[dict]) -> str:
    canonical = sorted(json.dumps([i["name"], i.get("note")], ensure_ascii=False) for i in items)
    return hashlib.sha256("\n".join(canonical).encode()).hexdigest()


def record_list_snapshot(
    db: sqlite_utils.Database, name: str, items: list[dict], *, healthy: bool = True,
    reason: str | None = None, run_id: int | None = None, now: str | None = None,
) -> ListResult:
    now = now or utcnow()
    if not healthy or not items:
        return ListResult("unhealthy", problem=f"list {name}: {reason or 'empty'}")
    digest = items_hash(items)
    last = db.execute(
        "SELECT id, content_hash FROM list_snapshots WHERE list = ? ORDER BY id DESC LIMIT 1", [name]
    ).fetchone()
    if last and last[1] == digest:
        return ListResult("unchanged")
    with db.atomic():
        db.table("list_snapshots").insert({
            "list": name, "taken_at": now, "content_hash": digest,
            "items": json.dumps(items, ensure_ascii=False), "run_id": run_id,
        })
    return ListResult("baseline" if last is None else "changed")
