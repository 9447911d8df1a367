"""What browsing a large archive needs from the schema, kept current by SQLite itself.

- ``releases_newest``: an index on the "newest first" order of the latest-releases query
  and chart (publication date, else the day first seen), so they read 100 index entries
  instead of sorting every release.
- ``release_edits``: one row per release with more than one version (how many, when last
  edited), kept by triggers on ``release_versions``, so "edited releases" and its feed
  look at the edited releases only, not at every version.
- ``release_facet_counts``: how many releases have each source, year, issuer and field of
  work, kept by triggers on ``releases``, so the releases table page shows its facets
  without counting every release (``crawler/datasette/plugins/counted_facets.py``).

``ensure_browse(db)`` is called by ``ensure_schema`` on every open: idempotent, and it
fills the summary tables from the rows already stored when it creates them.
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

FACETS_TABLE = "release_facet_counts"
ARRAY_FACETS = ("issuers", "fields_of_work")
COLUMN_FACETS = {"source": "{row}.source", "year": "substr({row}.published, 1, 4)"}


def _facet_values(row: str) -> str:
    """SELECT of (facet, value) for one releases row (``new`` or ``old``), as Datasette's
    column facets (non-null values) and array facets (distinct entries) count them."""
    parts = [f"SELECT '{name}', {expr.format(row=row)} WHERE {expr.format(row=row)} IS NOT NULL"
             for name, expr in COLUMN_FACETS.items()]
    parts += [f"SELECT DISTINCT '{name}', value FROM json_each(CASE WHEN json_type({row}.{name}) = 'array' "
              f"THEN {row}.{name} ELSE '[]' END) WHERE true" for name in ARRAY_FACETS]
    return " UNION ALL ".join(parts)


def _add(row: str) -> str:
    return (f"INSERT INTO {FACETS_TABLE} (facet, value, count) SELECT *, 1 FROM ({_facet_values(row)}) "
            f"WHERE true ON CONFLICT (facet, value) DO UPDATE SET count = count + 1;")


def _remove(row: str) -> str:
    return (f"UPDATE {FACETS_TABLE} SET count = count - 1 WHERE (facet, value) IN ({_facet_values(row)}); "
            f"DELETE FROM {FACETS_TABLE} WHERE count <= 0;")


FACET_COLUMNS = ", ".join(("source", "published", *ARRAY_FACETS))
FACET_STATEMENTS = (
    f"CREATE TABLE IF NOT EXISTS {FACETS_TABLE} (facet TEXT NOT NULL, value TEXT NOT NULL, "
    "count INTEGER NOT NULL, PRIMARY KEY (facet, value))",
    f"CREATE TRIGGER IF NOT EXISTS releases_facets_ai AFTER INSERT ON releases BEGIN {_add('new')} END",
    f"CREATE TRIGGER IF NOT EXISTS releases_facets_ad AFTER DELETE ON releases BEGIN {_remove('old')} END",
    f"CREATE TRIGGER IF NOT EXISTS releases_facets_au AFTER UPDATE OF {FACET_COLUMNS} ON releases "
    f"BEGIN {_remove('old')} {_add('new')} END",
)
FACET_BACKFILL = f"""
    INSERT INTO {FACETS_TABLE} (facet, value, count)
    SELECT facet, value, count(*) FROM (
      {" UNION ALL ".join(
          [f"SELECT '{n}' AS facet, {e.format(row='r')} AS value FROM releases r WHERE {e.format(row='r')} IS NOT NULL"
           for n, e in COLUMN_FACETS.items()]
          + [f"SELECT facet, value FROM (SELECT DISTINCT '{n}' AS facet, j.value AS value, r.id FROM releases r, "
             f"json_each(CASE WHEN json_type(r.{n}) = 'array' THEN r.{n} ELSE '[]' END) j)" for n in ARRAY_FACETS])}
    ) GROUP BY facet, value"""


def ensure_browse(db: sqlite_utils.Database) -> None:
    """Create the index, the summary table and its triggers if missing (then fill it)."""
    if _ready(db):
        return
    with db.atomic():
        tables = set(db.table_names())
        for statement in (*STATEMENTS, *FACET_STATEMENTS):
            db.execute(statement)
        if EDITS_TABLE not in tables:
            db.execute(BACKFILL)
        if FACETS_TABLE not in tables:
            db.execute(FACET_BACKFILL)


NAMES = ("releases_newest", EDITS_TABLE, "release_versions_edits_ai", "release_versions_edits_ad",
         FACETS_TABLE, "releases_facets_ai", "releases_facets_ad", "releases_facets_au")


def _ready(db: sqlite_utils.Database) -> bool:
    found = db.execute(f"SELECT count(*) FROM sqlite_master WHERE name IN ({', '.join('?' * len(NAMES))})",
                       NAMES).fetchone()[0]
    return found == len(NAMES)
