"""The one write path: a crawled item into the database.

The crawl's ``StoragePipeline`` and the distributed ingester both store items here, so
a release or a list snapshot is stored by the same rules whichever process crawled it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlite_utils

from storage.lists import MAX_CHANGES, ListResult, record_list_snapshot
from storage.releases import StoreResult, store_release

RELEASE, LIST = "release", "list"


def store_item(db: sqlite_utils.Database, kind: str, item: Mapping[str, Any], *,
               run_id: int | None = None, max_changes: int = MAX_CHANGES) -> StoreResult | ListResult:
    """Store a ``release`` or a ``list`` snapshot (recorded under ``run_id``; a list change
    of more than ``max_changes`` entries waits for the next crawl to confirm it)."""
    if kind == LIST:
        return record_list_snapshot(
            db, item["list"], item.get("items") or [], healthy=item.get("healthy", True),
            reason=item.get("reason"), run_id=run_id, max_changes=max_changes)
    return store_release(db, item)
