"""What browsing needs from the schema: full-text search over releases and a year to facet on.

``ensure_search(db)`` is called by ``ensure_schema`` on every open, so it is idempotent and
cheap when everything is in place. The index is an external-content FTS5 table
(``releases_fts``, Porter stemming: "monitor" finds "monitoring") kept current by
sqlite-utils' triggers, so rows stored by any writer are searchable at once. ``year`` is a
virtual generated column (``substr(published, 1, 4)``) that Datasette can facet on; it
takes no space and needs no writer to fill it.
"""

from __future__ import annotations

import sqlite_utils

SEARCH_TABLE = "releases"
SEARCH_COLUMNS = ("title", "body")
TOKENIZE = "porter"
TRIGGERS = tuple(f"{SEARCH_TABLE}_{suffix}" for suffix in ("ai", "ad", "au"))
YEAR_COLUMN = "year"
YEAR_SQL = "substr(published, 1, 4)"


def ensure_search(db: sqlite_utils.Database) -> None:
    """Create the FTS index (with triggers) and the ``year`` column if missing."""
    if _ready(db):
        return
    if db.conn.in_transaction:
        with db.atomic():
            _create(db)
        return
    # BEGIN IMMEDIATE takes the write lock before looking again, so two processes
    # opening a fresh database at once do not both create the index.
    db.execute("BEGIN IMMEDIATE")
    try:
        _create(db)
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _create(db: sqlite_utils.Database) -> None:
    if not _has_index(db):
        db.table(SEARCH_TABLE).enable_fts(
            SEARCH_COLUMNS, tokenize=TOKENIZE, create_triggers=True, replace=True)
    if not _has_year(db):
        db.execute(f"ALTER TABLE [{SEARCH_TABLE}] ADD COLUMN [{YEAR_COLUMN}] TEXT "
                   f"GENERATED ALWAYS AS ({YEAR_SQL}) VIRTUAL")


def _ready(db: sqlite_utils.Database) -> bool:
    return _has_index(db) and _has_year(db)


def _has_index(db: sqlite_utils.Database) -> bool:
    table = db.table(SEARCH_TABLE)
    return (table.detect_fts() == f"{SEARCH_TABLE}_fts"
            and set(TRIGGERS) <= {trigger.name for trigger in table.triggers})


def _has_year(db: sqlite_utils.Database) -> bool:
    # table_xinfo, not table_info: generated columns are hidden from the latter.
    return any(row[1] == YEAR_COLUMN
               for row in db.execute(f"PRAGMA table_xinfo([{SEARCH_TABLE}])").fetchall())
