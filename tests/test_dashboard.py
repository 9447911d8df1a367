"""The dashboard (datasette-dashboards, configured in metadata.yaml) and the release diff page.

The chart queries are run as the plugin runs them (filters substituted into ``[[ ... ]]``)
on a scripted database: releases across three months and three sources, a State joins,
the chairpersonship note moves, a field operation closes, runs ok, degraded and failed.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from datasette.app import Datasette
from datasette_dashboards import replace_opts_in_query
from freezegun import freeze_time

from crawler.web.datasette.plugins import release_diff, word_diff
from crawler.web.screenshots import CHROMIUM, free_port, serving, shoot
from crawler.web.serve import datasette_options, load_metadata
from storage import open_db, store_release
from storage.lists import record_list_snapshot
from storage.runs import close_run, start_run
from tests.conftest import ROOT

pytestmark = pytest.mark.anyio
T1, T2, T3 = "2025-01-10T08:00:00Z", "2025-02-10T08:00:00Z", "2025-03-10T08:00:00Z"
SCRIPT = "<script>alert(1)</script>"
RELEASES = [  # source, published, fields of work
    ("osce", "2025-01-05", ["Elections"]), ("osce", "2025-01-20", ["Elections", "Media freedom"]),
    ("osce", "2025-02-03", ["Media freedom"]), ("un_news", "2025-01-15", None),
    ("un_news", "2025-03-01", None), ("un_press", "2025-02-11", None),
    ("un_press", "2025-03-02", None), ("un_press", "2025-03-30", None),
]
CHAIR = "OSCE Chairpersonship"
ARTIFACTS = ROOT / "tests" / "artifacts"


def entries(*names: str) -> list[dict]:
    return [{"name": n.split(" – ")[0], "note": n.split(" – ")[1] if " – " in n else None} for n in names]


def build_db(path: Path) -> dict[str, int]:
    db = open_db(path)
    try:
        ids = {}
        for n, (source, published, fields) in enumerate(RELEASES):
            item = {"source": source, "url": f"https://example.org/{source}/{n}", "published": published,
                    "title": f"Release {n} from {source}", "body": f"Body number {n} of the {source} release.",
                    "fields_of_work": fields}
            ids[n] = store_release(db, item, now=T1).release_id
        edited = {"source": "osce", "url": "https://example.org/edited", "published": "2025-01-06",
                  "title": "Talks in Vienna", "body": "The talks ended on Monday in Vienna."}
        ids["edited"] = store_release(db, edited, now=T1).release_id
        edited["body"] = f"The talks ended on Tuesday in Vienna. {SCRIPT}"
        assert store_release(db, edited, now=T2).status == "changed"
        states = [("Austria", "Finland – " + CHAIR + " 2025", "Malta"),
                  ("Austria", "Finland", "Malta – " + CHAIR + " 2026", "Mongolia")]
        operations = [("Mission to Moldova", "Mission to Skopje", "Mission to Serbia"),
                      ("Mission to Moldova", "Mission to Serbia")]
        for name, lists in (("participating_states", states), ("field_operations", operations)):
            for now, items in zip((T1, T2), lists, strict=True):
                assert record_list_snapshot(db, name, entries(*items), now=now).status in ("baseline", "changed")
        for day, spider, status in (("2025-03-01", "osce", "ok"), ("2025-03-01", "un_news", "degraded"),
                                    ("2025-03-02", "osce", "failed"), ("2025-03-02", "un_news", "ok")):
            with freeze_time(day + " 06:00:00"):
                run = start_run(db, spider, trigger="test")
                close_run(db, run, status=status, reason=f"{status} <b>run</b>", finish_reason="finished")
    finally:
        db.close()
    return ids


@pytest.fixture(scope="module")
def scripted(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    path = tmp_path_factory.mktemp("dashboard") / "releasewatch.db"
    return path, build_db(path)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def chart_rows(path: Path, chart: str, **filters: str) -> list[dict]:
    """A chart's query run as datasette-dashboards runs it, with ``filters`` applied."""
    dashboard = load_metadata()["plugins"]["datasette-dashboards"]["releasewatch"]
    assert set(filters) <= set(dashboard["filters"])
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    release_diff.prepare_connection(conn)
    word_diff.prepare_connection(conn)
    try:
        sql = replace_opts_in_query(dashboard["charts"][chart]["query"], filters)
        return [dict(row) for row in conn.execute(sql, filters)]
    finally:
        conn.close()


def test_releases_per_month_by_source(scripted):
    rows = chart_rows(scripted[0], "releases-per-month")
    counts = {(r["month"], r["source"]): r["releases"] for r in rows}
    assert counts == {("2025-01", "osce"): 3, ("2025-01", "un_news"): 1, ("2025-02", "osce"): 1,
                      ("2025-02", "un_press"): 1, ("2025-03", "un_news"): 1, ("2025-03", "un_press"): 2}


@pytest.mark.parametrize(("filters", "expected"), [
    ({"source": "un_press"}, {("2025-02", "un_press"): 1, ("2025-03", "un_press"): 2}),
    ({"date_start": "2025-02-01", "date_end": "2025-03-01"},
     {("2025-02", "osce"): 1, ("2025-02", "un_press"): 1, ("2025-03", "un_news"): 1}),
    ({"field_of_work": "Media freedom"}, {("2025-01", "osce"): 1, ("2025-02", "osce"): 1}),
    ({"field_of_work": "Elections", "date_start": "2025-01-10"}, {("2025-01", "osce"): 1}),
])
def test_releases_per_month_filters(scripted, filters, expected):
    rows = chart_rows(scripted[0], "releases-per-month", **filters)
    assert {(r["month"], r["source"]): r["releases"] for r in rows} == expected


def test_list_sizes_over_time(scripted):
    rows = chart_rows(scripted[0], "list-sizes")
    assert [(r["list"], r["taken_at"], r["entries"]) for r in rows] == [
        ("field_operations", T1, 3), ("field_operations", T2, 2),
        ("participating_states", T1, 3), ("participating_states", T2, 4)]


def test_membership_timeline(scripted):
    rows = chart_rows(scripted[0], "membership-timeline")
    periods = {(r["list"], r["name"], r["note"]): (r["since"], r["until"]) for r in rows}
    assert periods == {
        ("field_operations", "Mission to Skopje", None): (T1, T2),  # closed
        ("participating_states", "Finland", CHAIR + " 2025"): (T1, T2),  # chair note moves on
        ("participating_states", "Finland", None): (T2, None),
        ("participating_states", "Malta", None): (T1, T2),
        ("participating_states", "Malta", CHAIR + " 2026"): (T2, None),
        ("participating_states", "Mongolia", None): (T2, None),  # joined
    }
    assert all(r["bar_end"] == (r["until"] or r["bar_end"]) and r["bar_end"] > r["since"] for r in rows)


def test_latest_list_changes_link_their_rows(scripted):
    rows = chart_rows(scripted[0], "latest-list-changes")
    assert {(r["list"], r["change"], r["item"]) for r in rows} == {
        ("participating_states", "added", "Mongolia"), ("participating_states", "note_changed", "Finland"),
        ("participating_states", "note_changed", "Malta"), ("field_operations", "removed", "Mission to Skopje")}
    assert all(r["detected"].startswith('<a href="/releasewatch/list_changes/') for r in rows)


def test_latest_releases_link_and_escape(scripted):
    path, ids = scripted
    rows = chart_rows(path, "latest-releases", source="un_press")
    assert [r["published"] for r in rows] == ["2025-03-30", "2025-03-02", "2025-02-11"]
    assert rows[0]["title"] == f'<a href="/releasewatch/releases/{ids[7]}">Release 7 from un_press</a>'


def test_crawl_health_charts(scripted):
    rows = chart_rows(scripted[0], "runs-per-day")
    assert {(r["day"], r["status"]): r["runs"] for r in rows} == {
        ("2025-03-01", "ok"): 1, ("2025-03-01", "degraded"): 1,
        ("2025-03-02", "failed"): 1, ("2025-03-02", "ok"): 1}
    last = {r["spider"]: r for r in chart_rows(scripted[0], "last-runs")}
    assert {s: r["status"] for s, r in last.items()} == {"osce": "failed", "un_news": "ok"}
    assert last["osce"]["reason"] == "failed &lt;b&gt;run&lt;/b&gt;"


# --- through Datasette ---------------------------------------------------------------

@pytest.fixture
def ds(scripted) -> Datasette:
    return Datasette([str(scripted[0])], **datasette_options(scripted[0]))


async def get(ds: Datasette, path: str, status: int = 200):
    await ds.invoke_startup()
    response = await ds.client.get(path)
    assert response.status_code == status, f"{path}: {response.status_code} {response.text[:500]}"
    return response


async def test_dashboard_page_is_linked_from_home(ds):
    home = await get(ds, "/")
    assert 'href="/-/dashboards/releasewatch"' in home.text
    page = await get(ds, "/-/dashboards/releasewatch")
    for title in ("Releases per month, by source", "Membership timeline", "Last run of each spider"):
        assert title in page.text
    assert "vega-lite.min.js" in page.text


async def test_dashboard_chart_queries_run_in_datasette(ds):
    """The browser fetches each chart's rows from ``<db>.json?sql=...``; html_escape is there."""
    dashboard = ds.plugin_config("datasette-dashboards")["releasewatch"]
    for slug, chart in dashboard["charts"].items():
        sql = replace_opts_in_query(chart["query"], {})
        response = await ds.client.get(f"/{chart['db']}.json", params={"sql": sql, "_shape": "objects"})
        assert response.status_code == 200, (slug, response.text[:300])
        assert response.json()["rows"], slug


def test_table_charts_escape_every_text_cell(tmp_path):
    """datasette-dashboards inserts table cells as HTML: nothing stored may become markup."""
    path = tmp_path / "hostile.db"
    db = open_db(path)
    hostile = "<img src=x onerror=alert(7)>"
    store_release(db, {"source": hostile, "url": "https://example.org/h", "title": "T", "body": "B",
                       "published": hostile})
    record_list_snapshot(db, hostile, entries("A"))
    record_list_snapshot(db, hostile, entries("A", "B"))
    db.execute("UPDATE list_changes SET change = ?", [hostile])
    run = start_run(db, hostile, trigger="test")
    close_run(db, run, status=hostile, reason=hostile, finish_reason="finished")
    db.execute("UPDATE crawl_runs SET started_at = ?, finished_at = ?", [hostile, hostile])
    db.conn.commit()
    db.close()
    dashboard = load_metadata()["plugins"]["datasette-dashboards"]["releasewatch"]
    tables = [slug for slug, chart in dashboard["charts"].items() if chart.get("library") == "table"]
    assert len(tables) == 3
    for slug in tables:
        rows = chart_rows(path, slug)
        assert rows, slug
        cells = [str(value) for row in rows for value in row.values()]
        assert not any("<img" in cell for cell in cells), (slug, cells)
        assert any("&lt;img" in cell for cell in cells), slug


async def test_release_diff_marks_words_and_escapes_script(ds, scripted):
    page = await get(ds, f"/-/release-diff/{scripted[1]['edited']}?database=releasewatch")
    assert "<del>Monday</del> <ins>Tuesday</ins>" in page.text
    assert "<ins>&lt;script&gt;alert(1)&lt;/script&gt;</ins>" in page.text
    assert SCRIPT not in page.text
    assert "2 versions" in page.text and "version 1 &rarr; 2 of 2" in page.text


async def test_release_diff_single_version_and_missing(ds, scripted):
    page = await get(ds, f"/-/release-diff/{scripted[1][0]}")
    assert "single version" in page.text
    await get(ds, "/-/release-diff/999999", status=404)


async def test_edited_releases_and_release_page_link_the_diff(ds, scripted):
    url = f"/-/release-diff/{scripted[1]['edited']}?database=releasewatch"
    query = await get(ds, "/releasewatch/edited_releases")
    assert f'href="{url}"' in query.text.replace("&amp;", "&")
    row = await get(ds, f"/releasewatch/releases/{scripted[1]['edited']}")
    assert f'href="{url}"' in row.text.replace("&amp;", "&")


# --- in a real browser ----------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing (apt-get install chromium)")
def test_browser_draws_the_dashboard_and_a_diff(tmp_path):
    """``releasewatch serve`` on the scripted database: every chart is drawn, no console
    error and no dialog (the ``<script>`` inserted by the edit stays text), both pages shot."""
    db_path = tmp_path / "releasewatch.db"
    build_db(db_path)
    with serving(db_path, free_port(), tmp_path / "serve.log") as url:
        shots = shoot(url, db_path, ARTIFACTS)
    assert shots.errors == []
    assert (shots.charts, shots.tables) == (4, 3)
    assert [p.name for p in shots.files] == ["dashboard.png", "release-diff.png"]
    assert all(p.stat().st_size > 10_000 for p in shots.files)
