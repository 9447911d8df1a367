"""End to end: each local press room through `releasewatch watch add` and the scheduler's
`--once`, as a user would run them; a redesign is reported on its first run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.localsite.pressrooms import STYLES, build, press_room_site
from crawler.localsite.pressrooms.score import score
from storage import open_db
from tests.conftest import FAST, scrapy_crawl

pytestmark = pytest.mark.slow
WAIT_S = 120  # an upper bound for a crawl of a local site, never a speed assertion


def releasewatch(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from crawler.cli.main import main; main()", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=WAIT_S)


def schedule_once(tmp_path: Path) -> subprocess.CompletedProcess:
    """`releasewatch schedule --once` with a configuration that has no jobs but the watches."""
    config = tmp_path / "releasewatch.toml"
    config.write_text(f'[scheduler]\ndb = "{tmp_path / "rw.db"}"\n[settings]\n'
                      + "".join(f'{k} = "{v}"\n' for k, v in FAST.items()) + "[jobs]\n")
    return releasewatch("schedule", "--config", str(config), "--once", cwd=tmp_path)


def rows(tmp_path: Path, sql: str, params=()) -> list[dict]:
    db = open_db(tmp_path / "rw.db")
    try:
        return list(db.query(sql, params))
    finally:
        db.close()


@pytest.mark.parametrize("name", sorted(STYLES))
def test_each_press_room_is_watched_with_one_command_and_crawled_by_the_scheduler(tmp_path, name):
    with press_room_site(name) as (site, room):
        added = releasewatch("watch", "add", site.url + room.listing, "--name", name, "--every", "2h",
                             "--db", str(tmp_path / "rw.db"), cwd=tmp_path)
        assert added.returncode == 0, added.stderr
        assert room.releases[0].title in added.stdout and f"{room.releases[0].published}" in added.stdout
        assert f"pager: {site.url}{room.listing_pages[1]}" in added.stdout.replace("&amp;", "&")
        assert f"saved: watch {name}, every 2h" in added.stdout
        ran = schedule_once(tmp_path)
    assert ran.returncode == 0, ran.stderr[-2000:]
    found = rows(tmp_path, "SELECT url, title, published, body FROM releases WHERE source = ?", [name])
    result = score(room, site.url, found, bodies=True)
    print(result.line())
    assert result.recall >= 0.95 and result.precision >= 0.95, result.line()
    assert min(result.share(result.titles), result.share(result.dates), result.share(result.clean)) >= 0.95, \
        result.line()
    (run,) = rows(tmp_path, "SELECT spider, status, trigger, items_new FROM crawl_runs")
    assert run == {"spider": name, "status": "ok", "trigger": f"schedule:{name}", "items_new": len(room.releases)}


def test_a_bare_scrapy_crawl_watch_reads_the_saved_watch_in_the_crawl_not_in_the_spider(tmp_path):
    """`scrapy crawl watch -a name=NAME`: the spider gets the saved URL from a crawl
    component (crawler.crawl.watches), since spiders never open the database."""
    with press_room_site("eeas") as (site, room):
        assert releasewatch("watch", "add", site.url + room.listing, "--name", "eeas",
                            "--db", str(tmp_path / "rw.db"), cwd=tmp_path).returncode == 0
        crawl = scrapy_crawl("watch", tmp_path / "rw.db", args={"name": "eeas"})
        assert crawl.returncode == 0, crawl.output[-2000:]
        scrapy_crawl("watch", tmp_path / "rw.db", args={"name": "nowhere"})  # no such watch: loud
    (run, failed) = rows(tmp_path, "SELECT spider, status, items_new, reason FROM crawl_runs ORDER BY id")
    assert run == {"spider": "eeas", "status": "ok", "items_new": len(room.releases), "reason": "ok"}
    assert (failed["spider"], failed["status"], failed["items_new"]) == ("nowhere", "failed", 0)
    assert "no watch to run" in failed["reason"]
    assert rows(tmp_path, "SELECT count(*) AS n FROM releases WHERE source = 'eeas'") == [{"n": len(room.releases)}]


def test_a_second_run_stops_at_known_releases_and_asks_conditionally(tmp_path):
    with press_room_site("eeas") as (site, room):
        assert releasewatch("watch", "add", site.url + room.listing, "--name", "eeas",
                            "--db", str(tmp_path / "rw.db"), cwd=tmp_path).returncode == 0
        assert schedule_once(tmp_path).returncode == 0
        before = len(site.log)
        assert schedule_once(tmp_path).returncode == 0
        second = site.log[before:]
    assert [h.path for h in second if h.path in room.listing_pages] == [room.listing]  # page 1 only
    releases = [h for h in second if h.path in {r.path for r in room.releases}]
    assert releases and all(h.conditional and h.status == 304 for h in releases)
    runs = rows(tmp_path, "SELECT status, items_new, items_unchanged FROM crawl_runs ORDER BY id")
    assert runs[1] == {"status": "ok", "items_new": 0, "items_unchanged": 8}
    assert rows(tmp_path, "SELECT job, spider, schedule FROM schedule_jobs") == [
        {"job": "eeas", "spider": "watch", "schedule": "every 1h"}]


def test_a_redesigned_listing_is_a_degraded_run_on_the_first_run_naming_what_is_missing(tmp_path):
    with press_room_site("coe") as (site, room):
        assert releasewatch("watch", "add", site.url + room.listing, "--name", "coe",
                            "--db", str(tmp_path / "rw.db"), cwd=tmp_path).returncode == 0
        site.pages.clear()
        site.pages.update(build("coe", redesign=True).pages)
        ran = schedule_once(tmp_path)
    assert ran.returncode == 1, ran.stderr[-2000:]
    (run,) = rows(tmp_path, "SELECT status, reason FROM crawl_runs")
    assert run["status"] == "degraded"
    assert "listing page 1 of watch coe: no release rows" in run["reason"]
    assert "a date or a teaser" in run["reason"]


def test_dry_run_saves_nothing_and_list_remove_manage_watches(tmp_path):
    db = str(tmp_path / "rw.db")
    with press_room_site("icrc") as (site, room):
        url = site.url + room.listing
        dry = releasewatch("watch", "add", url, "--dry-run", "--db", db, cwd=tmp_path)
        assert dry.returncode == 0 and "dry run: nothing saved" in dry.stdout
        assert "no watches yet" in releasewatch("watch", "list", "--db", db, cwd=tmp_path).stdout
        assert releasewatch("watch", "add", url, "--db", db, cwd=tmp_path).returncode == 0
        again = releasewatch("watch", "add", url, "--db", db, cwd=tmp_path)
    assert again.returncode == 1 and again.stderr.strip().splitlines() == [
        "Error: a watch named '127_0_0_1' exists already (releasewatch watch remove 127_0_0_1)"]
    listed = json.loads(releasewatch("watch", "list", "--json", "--db", db, cwd=tmp_path).stdout)
    assert [(w["name"], w["url"], w["every"]) for w in listed] == [("127_0_0_1", url, "1h")]
    assert releasewatch("watch", "remove", "127_0_0_1", "--db", db, cwd=tmp_path).returncode == 0
    assert json.loads(releasewatch("watch", "list", "--json", "--db", db, cwd=tmp_path).stdout) == []


@pytest.mark.parametrize(("url", "error"), [
    ("ftp://example.org/news", "is not an http(s) URL"),
    ("/press/index.html", "robots.txt of"),
    ("/nowhere", "HTTP 404"),
    ("/press/chairperson-urges-border-management-training-in-strasbourg-101", "no release rows"),
])
def test_bad_urls_are_one_clear_error_line_and_nothing_is_saved(tmp_path, url, error):
    with press_room_site("oldstyle") as (site, _room):
        site.pages["/robots.txt"].body = "User-agent: *\nDisallow: /press/index.html\n"
        result = releasewatch("watch", "add", site.url + url if url.startswith("/") else url,
                              "--db", str(tmp_path / "rw.db"), cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Error: ") and error in line
    assert not (tmp_path / "rw.db").exists() or rows(tmp_path, "SELECT name FROM sqlite_master WHERE name = 'watches'") == [] \
        or rows(tmp_path, "SELECT * FROM watches") == []


def test_the_watch_commands_load_neither_scrapy_nor_twisted():
    code = ("import sys; import crawler.cli.watch, crawler.cli.watch_preview, crawler.scheduler.watches; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('scrapy', 'twisted')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=WAIT_S)
    assert result.stdout.strip() == "[]", result.stderr


def test_a_watch_listing_longer_than_the_cap_is_a_degraded_run_that_says_so(tmp_path):
    with press_room_site("eeas") as (site, room):
        assert len(room.listing_pages) > 1
        assert releasewatch("watch", "add", site.url + room.listing, "--name", "eeas",
                            "--db", str(tmp_path / "rw.db"), cwd=tmp_path).returncode == 0
        scrapy_crawl("watch", tmp_path / "rw.db", {"RELEASEWATCH_MAX_LISTING_PAGES": "1"}, {"name": "eeas"})
    (run,) = rows(tmp_path, "SELECT status, reason FROM crawl_runs")
    assert run["status"] == "degraded" and "listing cap reached: stopped after 1 pages" in run["reason"]
