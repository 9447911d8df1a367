"""What browsing a large archive needs from the schema, kept current by SQLite itself.

- ``releases_newest``: an index on the "newest first" order of the latest-releases query
  and chart (publication date, else the day first seen), so they read 100 index entries
  instead of sorting every release.
- ``release_edits``: one row per release with more than one version (how many, when last
  edited), kept by triggers on ``release_versions``, so "edited releases" and its feed
  look at the edited releases only, not at every version.
- ``release_mirrors``: one row per release seen at more than one URL (how many), kept by
  triggers on ``release_urls``, so "mirrors" reads those releases only instead of grouping
  every URL.
- ``releases_facet_columns``: an index holding what the releases table's facets read (source,
  publication date, issuers, fields of work) by id, so the facets of a search read a
  narrow index entry per match instead of the release's row, body included.
- ``release_facet_counts``: how many releases have each source, year, issuer and field of
  work, kept by triggers on ``releases``, so the releases table page shows its facets
  without counting every release (``crawler/web/datasette/plugins/counted_facets.py``).

``ensure_browse(db)`` is called by ``ensure_schema`` on every open: idempotent, and it
fills the summary tables from the rows already stored when it creates them.
"""

from __future__ import annotations

import json

import sqlite_utils

# The (facet, value) pairs of one releases row, as Datasette counts them: a column facet
# counts non-null values, an array facet each distinct entry of a JSON list.
_FACET_VALUES = """
    SELECT 'source', {row}.source WHERE {row}.source IS NOT NULL
    UNION ALL SELECT 'year', substr({row}.published, 1, 4) WHERE {row}.published IS NOT NULL
    UNION ALL SELECT DISTINCT 'issuers', value FROM json_each(
      CASE WHEN json_type({row}.issuers) = 'array' THEN {row}.issuers ELSE '[]' END) WHERE true
    UNION ALL SELECT DISTINCT 'fields_of_work', value FROM json_each(
      CASE WHEN json_type({row}.fields_of_work) = 'array' THEN {row}.fields_of_work ELSE '[]' END) WHERE true"""
_ADD = """
    INSERT INTO release_facet_counts (facet, value, count) SELECT *, 1 FROM ({values}) WHERE true
    ON CONFLICT (facet, value) DO UPDATE SET count = count + 1;"""
_REMOVE = """
    UPDATE release_facet_counts SET count = count - 1 WHERE (facet, value) IN ({values});
    DELETE FROM release_facet_counts WHERE count <= 0;"""
_EDITS_OF = """
    INSERT INTO release_edits (release_id, versions, edited_at)
    SELECT release_id, count(*), max(seen_at) FROM release_versions
    WHERE release_id = {row}.release_id GROUP BY release_id HAVING count(*) > 1
    ON CONFLICT (release_id) DO UPDATE SET versions = excluded.versions, edited_at = excluded.edited_at;"""

# A release's row in release_mirrors, from its URLs: there while it has more than one.
_MIRRORS_OF = """
    DELETE FROM release_mirrors WHERE release_id = {row}.release_id;
    INSERT INTO release_mirrors (release_id, urls)
    SELECT release_id, count(*) FROM release_urls
    WHERE release_id = {row}.release_id GROUP BY release_id HAVING count(*) > 1;"""


def _add(row: str) -> str:
    return _ADD.format(values=_FACET_VALUES.format(row=row))


def _remove(row: str) -> str:
    return _REMOVE.format(values=_FACET_VALUES.format(row=row))


STATEMENTS = (
    "CREATE INDEX IF NOT EXISTS releases_newest ON releases "
    "(coalesce(published, substr(first_seen, 1, 10)) DESC, first_seen DESC, id DESC)",
    "CREATE INDEX IF NOT EXISTS releases_facet_columns ON releases (id, source, published, issuers, fields_of_work)",
    "CREATE TABLE IF NOT EXISTS release_edits (release_id INTEGER PRIMARY KEY, "
    "versions INTEGER NOT NULL, edited_at TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS release_edits_edited_at ON release_edits (edited_at)",
    "CREATE TRIGGER IF NOT EXISTS release_versions_edits_ai AFTER INSERT ON release_versions BEGIN"
    + _EDITS_OF.format(row="new") + " END",
    "CREATE TRIGGER IF NOT EXISTS release_versions_edits_ad AFTER DELETE ON release_versions BEGIN"
    " DELETE FROM release_edits WHERE release_id = old.release_id;" + _EDITS_OF.format(row="old") + " END",
    "CREATE TABLE IF NOT EXISTS release_mirrors (release_id INTEGER PRIMARY KEY, urls INTEGER NOT NULL)",
    "CREATE TRIGGER IF NOT EXISTS release_urls_mirrors_ai AFTER INSERT ON release_urls BEGIN"
    + _MIRRORS_OF.format(row="new") + " END",
    "CREATE TRIGGER IF NOT EXISTS release_urls_mirrors_ad AFTER DELETE ON release_urls BEGIN"
    + _MIRRORS_OF.format(row="old") + " END",
    "CREATE TRIGGER IF NOT EXISTS release_urls_mirrors_au AFTER UPDATE OF release_id ON release_urls BEGIN"
    + _MIRRORS_OF.format(row="old") + _MIRRORS_OF.format(row="new") + " END",
    "CREATE TABLE IF NOT EXISTS release_facet_counts (facet TEXT NOT NULL, value TEXT NOT NULL, "
    "count INTEGER NOT NULL, PRIMARY KEY (facet, value))",
    "CREATE TRIGGER IF NOT EXISTS releases_facets_ai AFTER INSERT ON releases BEGIN" + _add("new") + " END",
    "CREATE TRIGGER IF NOT EXISTS releases_facets_ad AFTER DELETE ON releases BEGIN" + _remove("old") + " END",
    "CREATE TRIGGER IF NOT EXISTS releases_facets_au AFTER UPDATE OF source, published, issuers, "
    "fields_of_work ON releases BEGIN" + _remove("old") + _add("new") + " END",
)
BACKFILL = {
    "release_edits": """
        INSERT OR REPLACE INTO release_edits (release_id, versions, edited_at)
        SELECT release_id, count(*), max(seen_at) FROM release_versions
        GROUP BY release_id HAVING count(*) > 1""",
    "release_mirrors": """
        INSERT INTO release_mirrors (release_id, urls)
        SELECT release_id, count(*) FROM release_urls GROUP BY release_id HAVING count(*) > 1""",
    "release_facet_counts": """
        INSERT INTO release_facet_counts (facet, value, count)
        SELECT facet, value, count(*) FROM (
          SELECT 'source' AS facet, source AS value FROM releases WHERE source IS NOT NULL
          UNION ALL SELECT 'year', substr(published, 1, 4) FROM releases WHERE published IS NOT NULL
          UNION ALL SELECT facet, value FROM (
            SELECT DISTINCT 'issuers' AS facet, j.value AS value, r.id FROM releases r, json_each(
              CASE WHEN json_type(r.issuers) = 'array' THEN r.issuers ELSE '[]' END) j)
          UNION ALL SELECT facet, value FROM (
            SELECT DISTINCT 'fields_of_work' AS facet, j.value AS value, r.id FROM releases r, json_each(
              CASE WHEN json_type(r.fields_of_work) = 'array' THEN r.fields_of_work ELSE '[]' END) j)
        ) GROUP BY facet, value""",
}
NAMES = ("releases_newest", "releases_facet_columns", "release_edits", "release_versions_edits_ai",
         "release_versions_edits_ad", "release_mirrors", "release_urls_mirrors_ai", "release_urls_mirrors_ad", "release_urls_mirrors_au",
         "release_facet_counts", "releases_facets_ai", "releases_facets_ad", "releases_facets_au")


def ensure_browse(db: sqlite_utils.Database) -> None:
    """Create the index, the summary tables and their triggers if missing (then fill them)."""
    if _ready(db):
        return
    with db.atomic():
        tables = set(db.table_names())
        for statement in STATEMENTS:
            db.execute(statement)
        for table, fill in BACKFILL.items():
            if table not in tables:
                db.execute(fill)


def _ready(db: sqlite_utils.Database) -> bool:
    found = db.execute("SELECT count(*) FROM sqlite_master WHERE name IN (SELECT value FROM json_each(?))",
                       [json.dumps(NAMES)]).fetchone()[0]
    return found == len(NAMES)
