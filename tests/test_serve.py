"""``releasewatch serve`` and ``releasewatch demo`` as a user runs them, and a real browser on
the result (headless Chromium driven by Playwright; no ``playwright install``)."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.web.screenshots import CHROMIUM, CHROMIUM_ARGS, free_port, running
from crawler.web.serve import datasette_args
from storage import open_db, store_release
from tests.browse_data import OSCE, SCRIPT, build_browse_db
from tests.conftest import ROOT

RELEASEWATCH = str(Path(sys.executable).with_name("releasewatch"))
ARTIFACTS = ROOT / "tests" / "artifacts"

pytestmark = pytest.mark.slow


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200, url
        return response.read()


def fetch_json(url: str):
    return json.loads(fetch(url))


@pytest.fixture
def served(tmp_path) -> Iterator[tuple[str, Path, dict]]:
    """``releasewatch serve`` on the known database: (base URL, database, release ids)."""
    db_path = tmp_path / "releasewatch.db"
    ids = build_browse_db(db_path)
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log = tmp_path / "serve.log"
    with running([RELEASEWATCH, "serve", "--db", str(db_path), "--port", str(port)], url, log):
        yield url, db_path, ids
    assert f"Datasette: {url}" in log.read_text()


def test_serve_shows_rows_added_while_running(served):
    url, db_path, _ = served
    search = url + "releasewatch/releases.json?_shape=array&_search=zeppelin"
    assert fetch_json(search) == []
    db = open_db(db_path)
    new = store_release(db, {"source": "osce", "url": OSCE + "/pc/2", "title": "A zeppelin over Vienna",
                             "body": "VIENNA, 2 January 2025 - Nothing else."}).release_id
    db.close()
    assert [row["id"] for row in fetch_json(search)] == [new]
    feed = fetch(url + "releasewatch/new_releases_feed.atom").decode()
    assert "A zeppelin over Vienna" in feed


def test_demo_ends_serving_a_searchable_database(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log = tmp_path / "demo.log"
    with running([RELEASEWATCH, "demo", "--db", str(tmp_path / "demo.db"), "--port", str(port)],
                  url, log, timeout=240):
        assert f"Datasette: {url}" in log.read_text()
        releases = fetch_json(url + "demo/releases.json?_shape=array&_size=max")
        assert len(releases) == 8  # the seed captures only: 3 OSCE, 2 UN News (the mirror joins one), 3 UN press
        assert {row["source"] for row in releases} == {"osce", "un_news", "un_press"}
        for release in releases:  # the local sites stay up while the demo serves: links work
            assert release["title"].split()[0].encode() in fetch(release["url"])
        found = fetch_json(url + "demo/releases.json?_shape=array&_search=Lavrov")
        assert "OSCE Chairperson-in-Office Edi Rama meet" in [row["title"][:40] for row in found]
        assert all("Lavrov" in row["title"] + row["body"] for row in found)
        edited = fetch_json(url + "demo/edited_releases.json?_shape=array")
        assert len(edited) == 1
        diff = fetch(url + f"-/release-diff/{edited[0]['release_diff']}?database=demo").decode()
        assert "<ins>The two Organizations" in diff
        for feed in ("new_releases_feed", "list_changes_feed", "edited_releases_feed"):
            assert b"<feed" in fetch(url + f"demo/{feed}.atom")
        assert fetch_json(url + "demo/current_lists.json?_shape=array&_size=max")


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing (apt-get install chromium)")
def test_browser_search_and_open_a_release(served):
    from playwright.sync_api import sync_playwright

    url, _, ids = served
    ARTIFACTS.mkdir(exist_ok=True)
    dialogs: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(url)
            assert page.title().startswith("releasewatch")
            page.screenshot(path=str(ARTIFACTS / "home.png"), full_page=True)
            page.fill("#releasewatch-search", "Lavrov")
            page.press("#releasewatch-search", "Enter")
            page.wait_for_url("**/releasewatch/search?q=Lavrov&order=newest")
            results = page.locator("table.rows-and-columns tbody tr")
            assert results.count() == 1
            assert results.first.locator("td.col-title").inner_text().startswith(SCRIPT)
            assert results.first.locator("td.col-snippet mark").all_inner_texts() == ["Lavrov"]
            results.first.locator("td.col-release_id a").click()
            page.wait_for_url(f"**/releasewatch/releases/{ids['script']}")
            heading = page.locator("h2.release-title").inner_text()
            assert heading.startswith(SCRIPT + " OSCE Chairperson-in-Office Edi Rama")
            assert page.locator("td.col-title").inner_text() == heading
            assert not page.locator("td.col-body").is_visible()  # the body is read once, above
            assert "Lavrov" in page.locator(".release-body").inner_text()
            assert not page.evaluate(
                "[...document.querySelectorAll('script')].some(s => s.textContent.includes('alert('))")
            page.screenshot(path=str(ARTIFACTS / "release-with-script-title.png"), full_page=True)
            page.goto(url + "releasewatch/releases")
            assert page.locator(".facet-info").count() >= 4
            page.screenshot(path=str(ARTIFACTS / "releases-with-facets.png"), full_page=True)
        finally:
            browser.close()
    assert dialogs == []


def test_serve_refuses_a_database_that_does_not_exist(tmp_path):
    from click.testing import CliRunner

    from crawler.cli.main import main

    missing = tmp_path / "typo" / "releasewatch.db"
    result = CliRunner().invoke(main, ["serve", "--db", str(missing)])
    assert result.exit_code == 1 and "no database at" in result.output
    assert not missing.parent.exists()  # nothing created


@pytest.fixture
def read_only_dir(tmp_path) -> Iterator[Path]:
    """A tmpfs remounted read-only (as root, file permissions would not stop a write)."""
    mount = tmp_path / "ro"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "none", str(mount)], capture_output=True).returncode:
        pytest.skip("mount is not permitted here: cannot make a read-only filesystem")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.slow
def test_serve_a_read_only_database_read_only(read_only_dir, tmp_path):
    """A copy on a read-only mount is served as it is, with one line saying so."""
    db_path = read_only_dir / "archive.db"
    ids = build_browse_db(db_path)
    before = {p.name: p.read_bytes() for p in read_only_dir.iterdir()}
    subprocess.run(["mount", "-o", "remount,ro", str(read_only_dir)], check=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log = tmp_path / "serve.log"
    with running([RELEASEWATCH, "serve", "--db", str(db_path), "--port", str(port)], url, log):
        found = fetch_json(url + "archive/releases.json?_shape=array&_search=Lavrov")
        assert [row["id"] for row in found] == [ids["script"]]
        assert b"Mission to Skopje" in fetch(url + "archive/list_changes_feed.atom")
    output = log.read_text()
    assert f"{db_path} is read-only: serving it immutable" in output
    assert "Traceback" not in output
    assert {p.name: p.read_bytes() for p in read_only_dir.iterdir()} == before


def test_read_only_serving_args(tmp_path):
    args = datasette_args(tmp_path / "a.db", tmp_path / "m.json", read_only=True)
    assert args[:3] == ["serve", "-i", str(tmp_path / "a.db")]


HOSTILE_TITLE = '<img src=x onerror="window.pwned=1"> Kosovo talks <script>window.pwned=2</script>'
HOSTILE_BODY = ('VIENNA, 3 March 2025 - Talks on Kosovo <img src=x onerror="window.pwned=3"> went on.'
                "\n\n<script>window.pwned=4</script> More talks.")


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing (apt-get install chromium)")
def test_browser_reads_hostile_text_as_text(tmp_path):
    """Search page, release page, dashboard and diff in Chromium on a release whose title and
    body (and its edit) carry <script> and <img onerror>: the words are highlighted, the
    markup is shown as text on every page and never runs; every chart is drawn."""
    from crawler.web.screenshots import serving, shoot

    db_path = tmp_path / "releasewatch.db"
    build_browse_db(db_path)
    db = open_db(db_path)
    item = {"source": "osce", "url": OSCE + "/pc/hostile", "title": HOSTILE_TITLE,
            "body": HOSTILE_BODY, "published": "2025-03-03"}
    hostile = store_release(db, item, now="2025-03-03T08:00:00Z").release_id
    edit = {**item, "body": HOSTILE_BODY + ' <img src=x onerror="window.pwned=5"> Ended.'}
    assert store_release(db, edit, now="2025-03-04T08:00:00Z").status == "changed"
    db.close()
    pages: list[str] = []

    def check(page):
        text = page.inner_text("body")
        assert '<img src=x onerror="window.pwned=1">' in text, page.url
        assert page.evaluate("window.pwned") is None, page.url
        assert page.locator('img[src="x"]').count() == 0, page.url
        assert not page.evaluate(
            "[...document.querySelectorAll('script')].some(s => s.textContent.includes('pwned'))")
        if "/releases/" in page.url:  # the body once; no links to internal tables
            assert page.locator(".release-body").is_visible() and not page.locator("td.col-body").is_visible()
            assert page.get_by_text("in release_versions").is_visible()
            assert not page.get_by_text("in release_bands").is_visible()
        pages.append(page.url)

    with serving(db_path, free_port(), tmp_path / "serve.log") as url:
        shots = shoot(url, db_path, ARTIFACTS / "hostile", search_term="Kosovo", check=check)
    assert shots.errors == []
    assert [p.name for p in shots.files] == ["search.png", "release.png", "dashboard.png",
                                             "release-diff.png"]
    assert len(pages) == 4
    assert set(shots.marks) == {"Kosovo"} and len(shots.marks) >= 3
    assert shots.release_id == hostile  # newest first
    assert (shots.charts, shots.tables) == (4, 3)
