"""What browsing a large archive needs from the schema, kept current by SQLite itself.

- ``releases_newest``: an index on the "newest first" order of the latest-releases query
  and chart (publication date, else the day first seen), so they read 100 index entries
  instead of sorting every release.
- ``release_edits``: one row per release with more than one version (how many, when last
  edited), kept by triggers on ``release_versions``, so "edited releases" and its feed
  look at the edited releases only, not at every version.

``ensure_browse(db)`` is called by ``ensure_schema`` on every open: idempotent, and it
fills ``release_edits`` from the versions already stored when it creates it.
"""

from __future__ import annotations

import sqlite_utils

NEWEST_FIRST = "coalesce(published, substr(first_seen, 1, 10)) desc, first_seen desc, id desc"
EDITS_TABLE = "release_edits"
_EDITS_OF = f"""
    INSERT INTO {EDITS_TABLE} (release_id, versions, edited_at)
    SELECT release_id, count(*), max(seen_at) FROM release_versions
    WHERE release_id = {{id}} GROUP BY release_id HAVING count(*) > 1
    ON CONFLICT (release_id) DO UPDATE SET versions = excluded.versions, edited_at = excluded.edited_at"""
STATEMENTS = (
    "CREATE INDEX IF NOT EXISTS releases_newest ON releases "
    "(coalesce(published, substr(first_seen, 1, 10)) DESC, first_seen DESC, id DESC)",
    f"CREATE TABLE IF NOT EXISTS {EDITS_TABLE} (release_id INTEGER PRIMARY KEY "
    "REFERENCES releases(id), versions INTEGER NOT NULL, edited_at TEXT NOT NULL)",
    f"CREATE INDEX IF NOT EXISTS {EDITS_TABLE}_edited_at ON {EDITS_TABLE} (edited_at)",
    f"CREATE TRIGGER IF NOT EXISTS release_versions_edits_ai AFTER INSERT ON release_versions BEGIN"
    f"{_EDITS_OF.format(id='new.release_id')}; END",
    f"CREATE TRIGGER IF NOT EXISTS release_versions_edits_ad AFTER DELETE ON release_versions BEGIN "
    f"DELETE FROM {EDITS_TABLE} WHERE release_id = old.release_id;"
    f"{_EDITS_OF.format(id='old.release_id')}; END",
)
BACKFILL = f"""
    INSERT OR REPLACE INTO {EDITS_TABLE} (release_id, versions, edited_at)
    SELECT release_id, count(*), max(seen_at) FROM release_versions
    GROUP BY release_id HAVING count(*) > 1"""


def ensure_browse(db: sqlite_utils.Database) -> None:
    """Create the index, the summary table and its triggers if missing (then fill it)."""
    if _ready(db):
        return
    with db.atomic():
        fill = EDITS_TABLE not in db.table_names()
        for statement in STATEMENTS:
            db.execute(statement)
        if fill:
            db.execute(BACKFILL)


def _ready(db: sqlite_utils.Database) -> bool:
    names = {row[0] for row in db.execute(
        "SELECT name FROM sqlite_master WHERE name IN "
        "('releases_newest', ?, 'release_versions_edits_ai', 'release_versions_edits_ad')",
        [EDITS_TABLE]).fetchall()}
    return len(names) == 4
