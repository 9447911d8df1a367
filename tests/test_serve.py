"""``releasewatch serve`` and ``releasewatch demo`` as a user runs them, and a real browser on
the result (headless Chromium driven by Playwright; no ``playwright install``)."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.web.screenshots import CHROMIUM, CHROMIUM_ARGS, free_port, running
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
        found = fetch_json(url + "demo/releases.json?_shape=array&_search=Lavrov")
        assert "OSCE Chairperson-in-Office Edi Rama meet" in [row["title"][:40] for row in found]
        assert all("Lavrov" in row["title"] + row["body"] for row in found)
        edited = fetch_json(url + "demo/edited_releases.json?_shape=array")
        assert len(edited) == 1 and "{+The two Organizations" in edited[0]["body_diff"]
        for feed in ("new_releases_feed", "list_changes_feed"):
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
            page.wait_for_url("**/releasewatch/releases?_search=Lavrov")
            results = page.locator("table.rows-and-columns tbody tr")
            assert results.count() == 1
            assert results.first.locator("td.col-title").inner_text().startswith(SCRIPT)
            results.first.locator("td.col-id a").click()
            page.wait_for_url(f"**/releasewatch/releases/{ids['script']}")
            heading = page.locator("h2.release-title").inner_text()
            assert heading.startswith(SCRIPT + " OSCE Chairperson-in-Office Edi Rama")
            assert page.locator("td.col-title").inner_text() == heading
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
