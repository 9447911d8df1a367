"""``RELEASEWATCH_BENCH_CACHE``: the browsing benchmark builds an archive once and reuses it,
migrated on open like any existing database (bench/search.py, ``cached_db``)."""

from __future__ import annotations

import sqlite3

from bench import search


def test_archive_built_once_then_reused_and_migrated(tmp_path, monkeypatch):
    built = []
    real_build = search.build_db
    monkeypatch.setattr(search, "build_db", lambda path, count: (built.append(count), real_build(path, count)))
    path = search.cached_db(tmp_path, 60)
    assert path == tmp_path / "60" / "releasewatch.db" and built == [60]
    conn = sqlite3.connect(path)
    assert conn.execute("select count(*) from releases").fetchone()[0] == 60
    conn.execute("drop table release_mirrors")  # as a cache built by older code
    conn.commit()
    conn.close()
    assert search.cached_db(tmp_path, 60) == path and built == [60]
    conn = sqlite3.connect(path)
    mirrors = conn.execute("select count(*) from release_mirrors").fetchone()[0]
    conn.close()
    assert mirrors == 1  # release 50 has a second URL
    assert not list(tmp_path.glob("60/building-*"))
