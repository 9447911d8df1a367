"""The crawl's writer process (``python -m storage.writer``): batches, reports, refusals.

The crawl hands every item to it over a pipe (``crawler.crawl.pipelines.StoragePipeline``);
these tests speak its protocol directly, then kill one under a running crawl."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import time
from pathlib import Path

import pytest

from crawler.localsite import osce
from crawler.localsite.server import LocalSite
from storage import open_db
from storage.writer import command
from tests.conftest import ROOT
from tests.test_reliability_process import assert_consistent, slow_site, sql, start_crawl, wait_for_releases

BODY = "VIENNA, 15 November 2007 - " + " ".join(f"word{n}" for n in range(60))


def release(n: int) -> dict:
    return {"kind": "release", "item": {
        "source": "osce", "url": f"https://www.osce.org/pc/{n}", "title": f"Release {n}",
        "body": f"{BODY} number{n} " + " ".join(f"extra{n}x{k}" for k in range(50)), "published": "2007-11-15"}}


def writer(db_path: Path, *args: str, preexec=None) -> subprocess.Popen:
    return subprocess.Popen([*command(str(db_path), batch_size=100, batch_seconds=1.0), *args], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, preexec_fn=preexec)


def send(proc: subprocess.Popen, *messages: dict) -> None:
    for message in messages:
        proc.stdin.write(json.dumps(message) + "\n")
    proc.stdin.flush()


def said(proc: subprocess.Popen) -> dict:
    return json.loads(proc.stdout.readline())


def committed(db_path: Path) -> int:
    return sql(db_path, "SELECT count(*) FROM releases")[0][0]


def test_items_are_committed_per_batch_and_at_the_end_of_the_input(db_path: Path) -> None:
    open_db(db_path).close()
    proc = writer(db_path, "--batch-size", "2", "--batch-seconds", "0")
    send(proc, release(1), release(2))
    assert said(proc) == {"stored": 2, "counts": {"items_new": 2, "store/new": 2}, "problems": []}
    assert committed(db_path) == 2
    send(proc, release(3), release(1))  # a new one, and the first again (unchanged)
    assert said(proc)["counts"] == {"items_new": 1, "store/new": 1, "items_unchanged": 1, "store/unchanged": 1}
    send(proc, release(4))
    time.sleep(0.5)
    assert committed(db_path) == 3  # the fourth waits for its batch: a killed writer would lose it only
    proc.stdin.close()  # the crawl closed its end (or died): the writer commits what it has
    assert said(proc) == {"stored": 1, "counts": {"items_new": 1, "store/new": 1}, "problems": []}
    assert said(proc)["done"] is True
    assert proc.wait(timeout=10) == 0
    assert committed(db_path) == 4


def test_an_open_batch_is_committed_after_batch_seconds(db_path: Path) -> None:
    proc = writer(db_path, "--batch-size", "100", "--batch-seconds", "0.2")
    send(proc, release(1))
    assert said(proc)["stored"] == 1  # without waiting for 99 more, nor for the end
    assert committed(db_path) == 1
    proc.stdin.close()
    assert said(proc)["done"] is True
    proc.wait(timeout=10)


def test_an_item_that_cannot_be_stored_is_a_problem_and_the_rest_is_stored(db_path: Path) -> None:
    proc = writer(db_path, "--batch-size", "3")
    bad = {"kind": "release", "item": {"url": "https://www.osce.org/pc/bad"}}  # neither title nor body
    send(proc, release(1), bad, release(2))
    report = said(proc)
    assert report["stored"] == 3 and report["counts"]["items_new"] == 2
    [[url, reason]] = report["problems"]
    assert url == "https://www.osce.org/pc/bad" and reason.startswith("could not store the item: InvalidRelease")
    proc.stdin.close()
    proc.wait(timeout=10)
    assert committed(db_path) == 2


def test_a_refused_write_rolls_the_batch_back_says_why_and_exits(db_path: Path) -> None:
    open_db(db_path).close()
    room = db_path.stat().st_size + (Path(f"{db_path}-wal").stat().st_size if Path(f"{db_path}-wal").exists() else 0)

    def full_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (room, room))

    proc = writer(db_path, "--batch-size", "50", preexec=full_disk)
    send(proc, *(release(n) for n in range(50)))
    report = said(proc)
    assert report["refused"].startswith(f"cannot write to the database {db_path}:"), report
    assert report["url"].startswith("https://www.osce.org/pc/")
    assert proc.wait(timeout=10) == 3
    assert committed(db_path) == 0
    assert_consistent(db_path)


def test_the_writer_ignores_the_signals_meant_for_the_crawl(db_path: Path) -> None:
    proc = writer(db_path, "--batch-size", "1", "--batch-seconds", "0")
    send(proc, release(1))
    assert said(proc)["stored"] == 1
    for signum in (signal.SIGINT, signal.SIGTERM):  # Ctrl-C went to the whole process group
        proc.send_signal(signum)
    send(proc, release(2))
    assert said(proc)["stored"] == 1
    proc.stdin.close()  # the crawl closes the writer's input
    assert said(proc)["done"] is True
    assert proc.wait(timeout=10) == 0
    assert committed(db_path) == 2


def writer_of(crawl: subprocess.Popen) -> int:
    """The pid of the crawl's writer process (a child of the crawl)."""
    for _ in range(200):
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == crawl.pid and b"storage.writer" in cmdline:
                return int(pid)
        time.sleep(0.05)
    raise AssertionError("no writer process under the crawl")


@pytest.mark.slow
def test_a_writer_killed_under_a_crawl_fails_the_run_loudly(db_path: Path) -> None:
    releases = osce.generated_releases(120)
    with LocalSite(slow_site(releases, delay=0.05)) as site:
        crawl = start_crawl(site, db_path, RELEASEWATCH_BATCH_SIZE="5")
        wait_for_releases(db_path, 10, crawl)
        os.kill(writer_of(crawl), signal.SIGKILL)
        output = crawl.communicate(timeout=120)[0]
    # "... with N item(s) not stored", or "... before the crawl's end" if it died between batches
    assert "FAILED" in output and "the writer process stopped" in output
    (status, reason, new), = sql(db_path, "SELECT status, finish_reason, items_new FROM crawl_runs")
    assert (status, reason) == ("failed", "storage_error")
    assert new == committed(db_path) < 120  # the run counts what was stored, no more
    assert_consistent(db_path)


def test_a_database_that_cannot_be_created_is_a_refusal_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    db_path = tmp_path / "a-file" / "sub" / "r.db"  # its folder cannot be made, even by root
    proc = writer(db_path)
    send(proc, release(1))
    report = said(proc)
    assert report["refused"].startswith(f"cannot write to the database {db_path}: ")
    assert proc.wait(timeout=10) == 3
