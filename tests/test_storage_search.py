"""storage/search.py: the full-text index and the year column, created once and kept current."""

from __future__ import annotations

import sqlite_utils

from storage import open_db, store_release
from storage.search import TRIGGERS, ensure_search

ITEM = {"source": "osce", "url": "https://www.osce.org/pc/49473", "published": "2007-11-15",
        "title": "OSCE plays indispensable role in Kosovo",
        "body": "VIENNA, 15 November 2007 - Clarity on Kosovo's future is critical, said the monitors."}


def search(db: sqlite_utils.Database, words: str) -> list[int]:
    return [row["id"] for row in db.table("releases").search(words, columns=["id"])]


def test_open_db_creates_index_triggers_and_year(tmp_path):
    db = open_db(tmp_path / "r.db")
    release = store_release(db, ITEM).release_id
    assert db.table("releases").detect_fts() == "releases_fts"
    assert set(TRIGGERS) <= {t.name for t in db.table("releases").triggers}
    assert search(db, "monitoring") == [release]  # Porter: monitors ~ monitoring
    assert db.execute("SELECT year FROM releases").fetchone() == ("2007",)


def test_edits_are_reindexed(tmp_path):
    db = open_db(tmp_path / "r.db")
    release = store_release(db, ITEM).release_id
    store_release(db, {**ITEM, "title": "OSCE plays a decisive role in Kosovo"})
    assert search(db, "indispensable") == []
    assert search(db, "decisive") == [release]


def test_reopening_changes_nothing(tmp_path):
    path = tmp_path / "r.db"
    first = open_db(path)
    release = store_release(first, ITEM).release_id
    first.close()
    schema = sqlite_utils.Database(path).schema
    assert "releases_fts" in schema and all(trigger in schema for trigger in TRIGGERS)
    db = open_db(path)
    writes = db.conn.total_changes
    ensure_search(db)
    assert db.conn.total_changes == writes  # nothing rebuilt or rewritten
    assert db.schema == schema
    assert search(db, "monitoring") == [release]  # the index made at first open still answers


def test_existing_database_gets_an_index_of_its_rows(tmp_path):
    path = tmp_path / "r.db"
    db = open_db(path)
    release = store_release(db, ITEM).release_id
    db.table("releases").disable_fts()  # as a database from before search existed
    db.execute("ALTER TABLE releases DROP COLUMN year")
    db.close()
    db = open_db(path)
    assert search(db, "Kosovo") == [release]
    assert db.execute("SELECT year FROM releases").fetchone() == ("2007",)


def test_index_without_triggers_is_rebuilt_with_them(tmp_path):
    path = tmp_path / "r.db"
    db = open_db(path)
    db.table("releases").disable_fts()
    db.table("releases").enable_fts(["title", "body"])  # e.g. `sqlite-utils enable-fts` by hand
    ensure_search(db)
    release = store_release(db, ITEM).release_id
    assert search(db, "Kosovo") == [release]
    assert "porter" in db.table("releases_fts").schema
