"""Process and storage faults: kill -9 mid-run, a database locked by another writer, a
read-only database, a full disk. Nothing stored is lost, nothing is half-written, and
the next run fills the gap."""

from __future__ import annotations

import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from crawler.localsite import osce
from crawler.localsite.server import LocalSite
from crawler.runner import crawl_command
from storage import neardup, open_db, store_release
from tests.conftest import FAST, ROOT, scrapy_crawl

# A release whose versions or URLs are not exactly what one store_release writes.
HALF_WRITTEN = """
SELECT count(*) FROM releases r
WHERE (SELECT count(*) FROM release_versions v WHERE v.release_id = r.id) != 1
   OR (SELECT count(*) FROM release_urls u WHERE u.release_id = r.id) != 1
   OR (SELECT count(*) FROM release_versions v WHERE v.release_id = r.id AND v.content_hash = r.content_hash) != 1
"""
ORPHANS = """
SELECT (SELECT count(*) FROM release_versions WHERE release_id NOT IN (SELECT id FROM releases))
     + (SELECT count(*) FROM release_urls WHERE release_id NOT IN (SELECT id FROM releases))
"""


def sql(db_path: Path, query: str, params=()) -> list[tuple]:
    """Rows of ``query`` through a plain read connection (no schema changes)."""
    conn = sqlite3.connect(db_path, timeout=30)
    try:
        return conn.execute(query, params).fetchall()
    finally:
        conn.close()


def assert_consistent(db_path: Path) -> None:
    assert sql(db_path, "PRAGMA integrity_check") == [("ok",)]
    assert sql(db_path, "PRAGMA foreign_key_check") == []
    assert sql(db_path, HALF_WRITTEN) == [(0,)]
    assert sql(db_path, ORPHANS) == [(0,)]


def slow_site(releases: list[osce.Release], delay: float) -> dict:
    pages = osce.build_site(releases, per_page=10)
    for rel in releases:
        pages[rel.path].delay = delay
    return pages


def start_crawl(site: LocalSite, db_path: Path, **settings) -> subprocess.Popen:
    command = crawl_command("osce", db=str(db_path), settings={**FAST, "OSCE_BASE_URL": site.url, **settings})
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for_releases(db_path: Path, count: int, process: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if sql(db_path, "SELECT count(*) FROM releases")[0][0] >= count:
                return
        except sqlite3.OperationalError:  # not created yet
            pass
        time.sleep(0.05)
    raise AssertionError(f"the crawl did not store {count} releases in time")


def releasewatch_crawl(db_path: Path, site: LocalSite, preexec=None) -> subprocess.CompletedProcess:
    """``releasewatch crawl osce`` as a user runs it."""
    command = [sys.executable, "-c", "from crawler.cli.main import main; main()", "crawl", "osce",
               "--db", str(db_path), "-s", f"OSCE_BASE_URL={site.url}"]
    for key, value in FAST.items():
        command += ["-s", f"{key}={value}"]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, preexec_fn=preexec)


@pytest.mark.slow
def test_kill_9_mid_run_loses_nothing_and_the_next_run_fills_the_gap(db_path):
    releases = osce.generated_releases(200)
    with LocalSite(slow_site(releases, delay=0.03)) as site:
        crawl = start_crawl(site, db_path)
        wait_for_releases(db_path, 40, crawl)
        crawl.kill()  # SIGKILL: no cleanup of any kind
        crawl.wait()

        assert_consistent(db_path)
        before = sql(db_path, "SELECT id, url, content_hash, first_seen FROM releases ORDER BY id")
        assert 40 <= len(before) < 200
        assert sql(db_path, "SELECT status FROM crawl_runs") == [("running",)]

        for rel in releases:
            site.pages[rel.path].delay = 0
        result = scrapy_crawl("osce", db_path, {"OSCE_BASE_URL": site.url})  # incremental, as scheduled

    assert result.returncode == 0, result.output
    assert_consistent(db_path)
    after = sql(db_path, "SELECT id, url, content_hash, first_seen FROM releases ORDER BY id")
    assert set(before) <= set(after)  # every stored release is still there, unchanged
    assert len(after) == len({row[1] for row in after}) == len({row[2] for row in after}) == 200
    runs = result.rows("SELECT status, finish_reason, items_new FROM crawl_runs ORDER BY id")
    assert runs[0]["status"] == "failed" and runs[0]["finish_reason"] == "abandoned"
    assert runs[1] == {"status": "ok", "finish_reason": "finished", "items_new": 200 - len(before)}


LOCKER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
while conn.execute("SELECT count(*) FROM releases").fetchone()[0] < 3:
    time.sleep(0.02)
conn.execute("BEGIN IMMEDIATE")
print(conn.execute("SELECT count(*) FROM releases").fetchone()[0], flush=True)
conn.execute("INSERT INTO crawl_errors (spider, url, error) VALUES ('locker', 'x', 'another writer')")
time.sleep(3)
conn.execute("COMMIT")
"""


@pytest.mark.slow
def test_database_locked_by_another_writer_makes_the_crawl_wait_not_drop(db_path):
    open_db(db_path).close()
    releases = osce.generated_releases(30)
    with LocalSite(slow_site(releases, delay=0.2)) as site:
        # Two requests at a time: the releases trickle in (about ten a second) and are
        # stored in several batches, so the other writer takes the lock mid-crawl; with 16,
        # all 30 could land in the first batch, before the locker ever gets in.
        crawl = start_crawl(site, db_path, CONCURRENT_REQUESTS="2", CONCURRENT_REQUESTS_PER_DOMAIN="2")
        locker = subprocess.Popen([sys.executable, "-c", LOCKER, str(db_path)], stdout=subprocess.PIPE, text=True)
        output = crawl.communicate(timeout=120)[0]
        stored_when_locked = int(locker.communicate(timeout=30)[0])
    assert stored_when_locked < 30  # the crawl had items to store while the lock was held
    assert sql(db_path, "SELECT count(*) FROM releases") == [(30,)]
    assert sql(db_path, "SELECT status FROM crawl_runs") == [("ok",)]
    assert "database is locked" not in output
    assert sql(db_path, "SELECT error FROM crawl_errors") == [("another writer",)]
    assert_consistent(db_path)


@contextmanager
def read_only(*paths: Path):
    """Make files and directories unwritable, for root too (``chattr +i``), or skip."""
    if os.geteuid() != 0:
        modes = {path: path.stat().st_mode for path in paths}
        for path in paths:
            path.chmod(modes[path] & ~0o222)
        try:
            yield
        finally:
            for path, mode in modes.items():
                path.chmod(mode)
        return
    if not shutil.which("chattr") or subprocess.run(["chattr", "+i", *map(str, paths)],
                                                     capture_output=True).returncode:
        subprocess.run(["chattr", "-i", *map(str, paths)], capture_output=True)
        pytest.skip("running as root where chattr +i is not allowed: cannot make a file read-only")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", *map(str, paths)], check=True)


@pytest.mark.slow
def test_read_only_database_is_a_clear_failure_and_stays_intact(db_path, osce_site):
    scrapy_crawl("osce", db_path, {"OSCE_BASE_URL": osce_site.url})
    before = sql(db_path, "SELECT * FROM releases ORDER BY id")
    osce_site.pages.update(osce.build_site(osce.generated_releases(5) + osce.seed_releases()))
    with read_only(db_path, db_path.parent):
        proc = releasewatch_crawl(db_path, osce_site)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"cannot write to the database {db_path}" in proc.stderr  # one line, checked before crawling
    assert "Traceback" not in proc.stderr
    assert sql(db_path, "SELECT * FROM releases ORDER BY id") == before
    assert_consistent(db_path)


@pytest.mark.slow
def test_full_disk_stops_the_crawl_as_failed_and_the_next_run_completes(db_path, osce_site):
    scrapy_crawl("osce", db_path, {"OSCE_BASE_URL": osce_site.url})
    before = sql(db_path, "SELECT id, url, content_hash FROM releases ORDER BY id")
    osce_site.pages.update(osce.build_site(osce.generated_releases(30) + osce.seed_releases(), per_page=10))
    room = db_path.stat().st_size + 32 * 1024  # no file may grow past this: a disk that fills up

    def full_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (room, room))

    proc = releasewatch_crawl(db_path, osce_site, preexec=full_disk)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"cannot write to the database {db_path}" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert_consistent(db_path)
    stored = sql(db_path, "SELECT id, url, content_hash FROM releases ORDER BY id")
    assert set(before) <= set(stored) and len(stored) < 33  # it did run out of room

    result = scrapy_crawl("osce", db_path, {"OSCE_BASE_URL": osce_site.url})
    assert result.returncode == 0
    assert_consistent(db_path)
    assert result.scalar("SELECT count(*) FROM releases") == 33
    assert [r["status"] for r in result.rows("SELECT status FROM crawl_runs ORDER BY id")] == ["ok", "failed", "ok"]


def test_full_database_rolls_back_the_whole_release(db_path):
    db = open_db(db_path)
    body = "VIENNA, 1 March 2024 - " + " ".join(f"word{i}" for i in range(3000))
    store_release(db, {"source": "osce", "url": "http://x.test/pc/1", "title": "First", "body": body})
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages + 1}")  # the disk is full now
    with pytest.raises(sqlite3.OperationalError, match="full"):
        store_release(db, {"source": "osce", "url": "http://x.test/pc/2", "title": "Second",
                           "body": body.replace("word", "other")})
    assert db.execute("SELECT count(*) FROM releases").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM release_urls").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM release_versions").fetchone()[0] == 1
    assert db.execute(f"SELECT count(*) FROM {neardup.BOTH} WHERE release_id != 1").fetchone()[0] == 0
    db.close()
    assert_consistent(db_path)
