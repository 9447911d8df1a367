"""Faults that used to get through (issue 17): each test drives a public entry point
(``scrapy crawl``, ``releasewatch``) and checks the result in SQL or on disk."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.conftest import FAST, ROOT


def releasewatch(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from crawler.cli import main; main()", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def fast_settings(**settings: str) -> list[str]:
    return [part for key, value in {**FAST, **settings}.items() for part in ("-s", f"{key}={value}")]


# --- 13a: another application's database is refused, unchanged ----------------------
def test_another_applications_database_is_refused_and_left_byte_for_byte(tmp_path: Path, osce_site):
    path = tmp_path / "theirs.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE releases (id INTEGER PRIMARY KEY, version TEXT, notes TEXT)")
    conn.execute("INSERT INTO releases VALUES (1, '1.0', 'first')")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    proc = releasewatch("crawl", "osce", "--db", str(path), *fast_settings(OSCE_BASE_URL=osce_site.url))
    assert proc.returncode != 0
    assert f"{path} is not a releasewatch database" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["theirs.db"]  # no -wal, no cache
