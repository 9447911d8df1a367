"""Browse, search and subscribe: every page, facet, canned query and feed of ``releasewatch serve``,
through Datasette's own in-process client, on a database written by the storage functions."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner
from datasette.app import Datasette
from markupsafe import escape

from crawler.cli.main import main
from crawler.web.serve import datasette_args, datasette_options, load_metadata
from storage import open_db, store_release
from storage.schema import TABLES
from tests.browse_data import (
    EXPECTED_CHANGES,
    MIRROR_URL,
    OSCE,
    SCRIPT,
    build_browse_db,
)

pytestmark = pytest.mark.anyio
ATOM = "{http://www.w3.org/2005/Atom}"
DB = "/releasewatch"
PUBLIC = ("releases", "release_urls", "release_versions", "list_snapshots", "list_changes",
          "crawl_runs", "crawl_errors")
HIDDEN = ("release_bands", "release_bands_recent", "release_bands_merge", "release_signatures", "list_pending", "releases_fts",
          "releases_fts_data", "releases_fts_idx", "releases_fts_docsize", "releases_fts_config")
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def known(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    """The known database (module-wide: tests that write use ``fresh`` instead)."""
    path = tmp_path_factory.mktemp("browse") / "releasewatch.db"
    return path, build_browse_db(path)


@pytest.fixture
def ds(known) -> Datasette:
    return Datasette([str(known[0])], **datasette_options(known[0]))


@pytest.fixture
def ids(known) -> dict[str, int]:
    return known[1]


async def get(ds: Datasette, path: str, status: int = 200):
    await ds.invoke_startup()
    response = await ds.client.get(path)
    assert response.status_code == status, f"{path}: {response.status_code} {response.text[:500]}"
    return response


async def rows(ds: Datasette, path: str) -> list[dict]:
    return (await get(ds, path + ("&" if "?" in path else "?") + "_shape=array")).json()


# --- home, tables, metadata -------------------------------------------------------

async def test_home_page_offers_search_queries_and_feeds(ds):
    html = (await get(ds, "/")).text
    assert '<form action="/releasewatch/search" method="get"' in html
    assert 'name="q"' in html and '<option value="relevance">' in html
    for link in ("latest_releases", "edited_releases", "list_changes_timeline", "current_lists",
                 "mirrors", "crawl_health", "new_releases_feed.atom", "list_changes_feed.atom",
                 "edited_releases_feed.atom"):
        assert f'href="{DB}/{link}"' in html
    assert "Release texts belong to their publishers" in html


async def test_no_facet_suggestions_only_the_configured_facets(ds):
    """Suggesting facets tries one on every column of every page: most of a search's time."""
    data = (await ds.client.get("/releasewatch/releases.json", params={"_search": "Kosovo"})).json()
    assert data["suggested_facets"] == []
    assert {"source", "issuers", "fields_of_work"} <= set(data["facet_results"])


async def test_internal_tables_are_hidden(ds):
    tables = {t["name"]: t["hidden"] for t in (await get(ds, f"{DB}.json")).json()["tables"]}
    assert {name: tables[name] for name in PUBLIC} == dict.fromkeys(PUBLIC, False)
    assert {name: tables[name] for name in HIDDEN} == dict.fromkeys(HIDDEN, True)


def test_every_public_column_is_described():
    tables = load_metadata()["databases"]["releasewatch"]["tables"]
    for name in PUBLIC:
        assert set(TABLES[name]["columns"]) <= set(tables[name]["columns"]), name
        assert tables[name]["description"]
    assert "year" in tables["releases"]["columns"]


@pytest.mark.parametrize("table", PUBLIC)
async def test_table_page_shows_descriptions(ds, table):
    html = (await get(ds, f"{DB}/{table}")).text
    description = load_metadata()["databases"]["releasewatch"]["tables"][table]["columns"]
    for column, text in description.items():
        assert f"<dt>{column}</dt><dd>{escape(text)}</dd>" in html
    assert (await get(ds, f"{DB}/{table}.json")).json()["rows"]


async def test_releases_newest_first(ds, ids):
    found = [row["id"] for row in await rows(ds, f"{DB}/releases.json")]
    assert found == [ids["edited"], ids["script"], ids["un_news"], ids["kosovo"], ids["markup"]]


@pytest.mark.parametrize(("table", "column"), [
    ("release_urls", "first_seen"), ("release_versions", "seen_at"), ("list_snapshots", "taken_at"),
    ("list_changes", "detected_at"), ("crawl_runs", "started_at"), ("crawl_errors", "at"),
])
async def test_tables_sorted_newest_first(ds, table, column):
    values = [row[column] for row in await rows(ds, f"{DB}/{table}.json")]
    assert values == sorted(values, reverse=True)
    data = (await get(ds, f"{DB}/{table}.json")).json()
    assert data["human_description_en"] == f"sorted by {column} descending"


async def test_foreign_keys_show_labels(ds, ids):
    urls = await rows(ds, f"{DB}/release_urls.json?_labels=on&release_id={ids['kosovo']}")
    assert {row["url"] for row in urls} == {OSCE + "/pc/49473", MIRROR_URL}
    assert {row["release_id"]["label"] for row in urls} == {
        "OSCE plays indispensable role in Kosovo, says UN's Kosovo administrator"}
    changes = await rows(ds, f"{DB}/list_changes.json?_labels=on")
    assert all(row["snapshot_id"]["label"] == "2025-01-11T08:00:00Z" for row in changes)


async def test_release_page_reads_as_a_document(ds, ids):
    html = (await get(ds, f"{DB}/releases/{ids['script']}")).text
    assert f'<h2 class="release-title">{ESCAPED_SCRIPT} OSCE Chairperson-in-Office' in html
    assert "MOSCOW, 2020-02-26" in html
    assert '<a href="https://www.osce.org/chairpersonship/446341" rel="nofollow noopener">' in html
    assert '<div class="release-body">MOSCOW, 26 February 2020' in html
    assert 'class="col-content_hash' in html  # the row's data is still there, below


# --- search ------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "role"), [
    ("Lavrov", "script"), ("Ruecker", "kosovo"),
    ("monitors", "script"),  # Porter stemming: the body says "Monitoring"
    ("Ban Ki-moon", "un_news"), ("Kosovo administrator", "kosovo"),
])
async def test_search_title_and_body(ds, ids, query, role):
    found = await rows(ds, f"{DB}/releases.json?_search={query}")
    assert [row["id"] for row in found] == [ids[role]]


@pytest.mark.parametrize("order", ["", "newest", "relevance"])
async def test_search_query_highlights_a_snippet(ds, ids, order):
    found = await rows(ds, f"{DB}/search.json?q=Kosovo&order={order}")
    assert {r["release_id"] for r in found} == {ids["kosovo"], ids["un_news"]}
    by_id = {r["release_id"]: r for r in found}
    assert "\x02Kosovo\x03" in by_id[ids["kosovo"]]["snippet"]
    if order != "relevance":
        published = [r["published"] for r in found]
        assert published == sorted(published, reverse=True)
    html = (await get(ds, f"{DB}/search?q=Kosovo&order={order}")).text
    assert "<mark>Kosovo</mark>" in html
    assert f'<a href="{DB}/releases/{ids["kosovo"]}">OSCE plays indispensable role' in html
    other = "relevance" if order != "relevance" else "newest"
    assert f'href="?q=Kosovo&amp;order={other}"' in html


async def test_search_query_takes_any_text(ds, ids):
    """Quotes, operators and markup are words to find, not FTS syntax or HTML."""
    for q in ('"', "AND OR (", "Lavrov*", SCRIPT):
        await get(ds, f"{DB}/search.json?" + urlencode({"q": q}))
    found = await rows(ds, f"{DB}/search.json?" + urlencode({"q": "alert script"}))
    assert [r["release_id"] for r in found] == [ids["script"]]
    html = (await get(ds, f"{DB}/search?" + urlencode({"q": "alert script"}))).text
    assert SCRIPT not in html and "&lt;<mark>script</mark>&gt;<mark>alert</mark>(1)" in html


async def test_lists_shown_as_lists_and_ids_linked(ds, ids):
    html = (await get(ds, f"{DB}/latest_releases")).text
    assert '<ul class="cell-list"><li>OSCE Chairpersonship</li><li>OSCE Secretariat</li></ul>' in html
    assert '["' not in html
    assert f'<a href="{DB}/releases/{ids["kosovo"]}">{ids["kosovo"]}</a>' in html


async def test_release_page_shows_the_body_once(ds, ids):
    html = (await get(ds, f"{DB}/releases/{ids['kosovo']}")).text
    assert "body.row.table-releases .rows-and-columns .col-body { display: none; }" in html
    assert 'class="table row table-releases' in html or "row db-releasewatch table-releases" in html


async def test_column_help_is_folded(ds):
    html = (await get(ds, f"{DB}/releases")).text
    assert 'summary.textContent = "About these columns"' in html


async def test_search_box_on_releases_page(ds):
    html = (await get(ds, f"{DB}/releases?_search=Lavrov")).text
    assert 'id="_search"' in html and 'value="Lavrov"' in html
    assert "1 row where search matches" in html


async def test_new_rows_are_searchable_while_served(tmp_path):
    path = tmp_path / "releasewatch.db"
    build_browse_db(path)
    ds = Datasette([str(path)], **datasette_options(path))
    assert await rows(ds, f"{DB}/releases.json?_search=zeppelin") == []
    db = open_db(path)
    new = store_release(db, {"source": "osce", "url": OSCE + "/pc/1", "title": "A zeppelin over Vienna",
                             "body": "VIENNA, 2 January 2025 - Nothing else."}).release_id
    store_release(db, {"source": "osce", "url": OSCE + "/pc/1", "title": "An airship over Vienna",
                       "body": "VIENNA, 2 January 2025 - Nothing else."})
    db.close()
    assert await rows(ds, f"{DB}/releases.json?_search=zeppelin") == []  # the edit reindexed it
    assert [r["id"] for r in await rows(ds, f"{DB}/releases.json?_search=airship")] == [new]


# --- facets ------------------------------------------------------------------------

def facet_counts(data: dict) -> dict[str, dict]:
    return {name: {r["value"]: r["count"] for r in facet["results"]}
            for name, facet in data["facet_results"].items()}


async def test_release_facets(ds):
    facets = facet_counts((await get(ds, f"{DB}/releases.json")).json())
    assert facets == {
        "source": {"osce": 3, "un_news": 1, "article": 1},
        "issuers": {"OSCE Chairpersonship": 2, "OSCE Secretariat": 1, "Permanent Council": 1},
        "fields_of_work": {"Conflict prevention and resolution": 2},
        "year": {"2007": 2, "2020": 1, "2024": 1},
    }


async def test_array_facet_filters(ds, ids):
    found = await rows(ds, f"{DB}/releases.json?issuers__arraycontains=Permanent+Council")
    assert [row["id"] for row in found] == [ids["kosovo"]]
    found = await rows(ds, f"{DB}/releases.json?year=2007")
    assert {row["id"] for row in found} == {ids["kosovo"], ids["un_news"]}


async def test_list_change_facets(ds):
    changes = await rows(ds, f"{DB}/list_changes.json")
    facets = facet_counts((await get(ds, f"{DB}/list_changes.json")).json())
    assert facets == {"list": Counter(r["list"] for r in changes),
                      "change": Counter(r["change"] for r in changes)}
    assert facets["list"]["participating_states"] >= 2


async def test_other_facets(ds):
    runs = facet_counts((await get(ds, f"{DB}/crawl_runs.json")).json())
    assert runs == {"spider": {"osce": 1, "un_news": 1}, "status": {"ok": 1, "degraded": 1}}
    urls = facet_counts((await get(ds, f"{DB}/release_urls.json")).json())
    assert urls["source"] == {"osce": 3, "un_news": 1, "article": 2}


# --- canned queries ----------------------------------------------------------------

QUERIES = ("search", "latest_releases", "list_changes_timeline", "current_lists", "edited_releases",
           "mirrors", "crawl_health", "problem_runs", "new_releases_feed", "list_changes_feed",
           "edited_releases_feed")


@pytest.mark.parametrize("query", QUERIES)
async def test_canned_query_pages(ds, query):
    html = (await get(ds, f"{DB}/{query}")).text
    title = load_metadata()["databases"]["releasewatch"]["queries"][query]["title"]
    assert title in html
    assert '<pre id="sql-query">' not in html and '_show_sql=1">show</a>' in html  # SQL when asked
    assert await rows(ds, f"{DB}/{query}.json" + ("?q=Kosovo" if query == "search" else ""))


async def test_latest_releases(ds, ids):
    found = await rows(ds, f"{DB}/latest_releases.json")
    # the undated page counts as published when first seen (2025-01-10)
    assert [r["release_id"] for r in found] == [ids["markup"], ids["edited"], ids["script"], ids["un_news"],
                                        ids["kosovo"]]
    assert found[2]["title"].startswith(SCRIPT)


async def test_list_changes_timeline(ds):
    found = await rows(ds, f"{DB}/list_changes_timeline.json")
    assert {(r["list"], r["change"], r["item"]) for r in found} >= EXPECTED_CHANGES
    assert [r["detected_at"] for r in found] == sorted((r["detected_at"] for r in found), reverse=True)


async def test_current_lists(ds):
    found = await rows(ds, f"{DB}/current_lists.json?_size=max")
    states = [r for r in found if r["list"] == "participating_states"]
    assert len(states) == 57
    assert [r["position"] for r in states] == list(range(1, 58))
    assert [r["name"] for r in states[:3]] == ["Albania", "Andorra", "Armenia"]
    notes = {r["name"]: r["note"] for r in states if r["note"]}
    assert notes == {"Switzerland": "OSCE Chairpersonship 2026"}
    operations = [r["name"] for r in found if r["list"] == "field_operations"]
    assert operations[0] == "Presence in Albania" and "Mission to Skopje" not in operations
    assert {r["as_of"] for r in found} == {"2025-01-11T08:00:00Z"}


async def test_edited_releases_link_their_diff(ds, ids):
    (row,) = await rows(ds, f"{DB}/edited_releases.json")
    assert row["release_id"] == ids["edited"] and row["versions"] == 2
    assert row["edited_at"] == "2025-01-11T08:00:00Z"
    assert row["release_diff"] == ids["edited"]
    html = (await get(ds, f"{DB}/edited_releases")).text
    assert f'href="/-/release-diff/{ids["edited"]}?database=releasewatch">compare versions</a>' in html


async def test_visitors_cannot_call_word_diff(ds):
    """A Python SQL function is beyond the SQL time limit: it is not offered to visitors."""
    response = await ds.client.get(f"{DB}.json?sql=select+word_diff('a','b')")
    assert response.status_code == 400
    assert "no such function: word_diff" in response.json()["error"]


async def test_mirrors(ds, ids):
    found = await rows(ds, f"{DB}/mirrors.json")
    assert [(r["release_id"], r["url"], r["source"], r["first_sighting"]) for r in found] == [
        (ids["kosovo"], OSCE + "/pc/49473", "osce", 1), (ids["kosovo"], MIRROR_URL, "article", 0)]


async def test_crawl_health(ds):
    found = {r["spider"]: r for r in await rows(ds, f"{DB}/crawl_health.json")}
    assert set(found) == {"osce", "un_news"}
    assert (found["osce"]["status"], found["osce"]["problem_runs"]) == ("ok", 0)
    assert found["osce"]["last_ok"] == found["osce"]["started_at"]
    assert (found["un_news"]["status"], found["un_news"]["problem_runs"]) == ("degraded", 1)
    assert found["un_news"]["last_ok"] is None
    (problem,) = await rows(ds, f"{DB}/problem_runs.json")
    assert (problem["spider"], problem["status"], problem["error"]) == (
        "un_news", "degraded", "no release found on the page")


# --- feeds -------------------------------------------------------------------------

def parse_feed(response) -> ET.Element:
    assert response.headers["content-type"].startswith("application/xml")
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{required}").text
    return feed


def entries(feed: ET.Element) -> list[dict]:
    return [{child.tag.removeprefix(ATOM): child.get("href") if child.tag == f"{ATOM}link" else child.text
             for child in entry}
            for entry in feed.findall(f"{ATOM}entry")]


async def test_new_releases_feed(ds):
    response = await get(ds, f"{DB}/new_releases_feed.atom")
    feed = parse_feed(response)
    assert feed.find(f"{ATOM}title").text == "releasewatch - new releases"
    found = entries(feed)
    assert len(found) == 5
    by_id = {e["id"]: e for e in found}
    script = by_id[OSCE + "/chairpersonship/446341"]
    assert script["title"].startswith(SCRIPT)  # text in the feed, escaped in the XML
    assert ESCAPED_SCRIPT in response.text and SCRIPT not in response.text
    assert "Lavrov" in script["content"]
    assert {e.get("type") for e in feed.iter(f"{ATOM}content")} == {"text"}
    assert by_id[OSCE + "/pc/49473"]["updated"] == "2025-01-10T08:00:00+00:00"


async def test_list_changes_feed(ds):
    feed = parse_feed(await get(ds, f"{DB}/list_changes_feed.atom"))
    titles = {e["title"] for e in entries(feed)}
    assert {"participating states: Finland note changed", "participating states: Switzerland note changed",
            "field operations: Mission to Skopje removed"} <= titles
    assert all(e["id"].startswith("urn:releasewatch:list-change:") for e in entries(feed))
    change_ids = {row["id"] for row in await rows(ds, f"{DB}/list_changes.json")}
    assert {e["link"] for e in entries(feed)} == {f"{DB}/list_changes/{n}" for n in change_ids}


async def test_edited_releases_feed_links_the_word_diff(ds, ids):
    (entry,) = entries(parse_feed(await get(ds, f"{DB}/edited_releases_feed.atom")))
    assert entry["title"].startswith("Edited: ")
    assert entry["link"] == f"/-/release-diff/{ids['edited']}?database=releasewatch"
    assert entry["updated"] == "2025-01-11T08:00:00+00:00"
    assert (await get(ds, entry["link"])).text.count("<ins>") >= 1


async def test_feeds_are_valid_when_empty(tmp_path):
    path = tmp_path / "releasewatch.db"
    open_db(path).close()
    ds = Datasette([str(path)], **datasette_options(path))
    for query, title in (("new_releases_feed", "No releases yet"),
                         ("list_changes_feed", "No list changes yet"),
                         ("edited_releases_feed", "No edited releases yet")):
        (entry,) = entries(parse_feed(await get(ds, f"{DB}/{query}.atom")))
        assert entry["title"] == title
    for query in QUERIES:
        await get(ds, f"{DB}/{query}")


# --- scraped text is data, never markup --------------------------------------------

@pytest.mark.parametrize("page", [
    "/releases", "/releases/{script}", "/releases?_search=Lavrov", "/latest_releases",
    "/release_versions", "/release_versions?release_id={script}", "/release_urls",
    "?sql=select+title+from+releases",
])
async def test_script_title_is_escaped(ds, ids, page):
    html = (await get(ds, DB + page.format(**ids))).text
    assert SCRIPT not in html
    assert ESCAPED_SCRIPT in html


async def test_markup_in_body_is_escaped(ds, ids):
    html = (await get(ds, f"{DB}/releases/{ids['markup']}")).text
    assert "&lt;b&gt;tags&lt;/b&gt;" in html and "<b>tags</b>" not in html
    assert "<strong>" not in html and 'href="javascript' not in html


async def test_markdown_plugin_renders_no_column(known, ids):
    """datasette-render-markdown (installed with datasette-dashboards) renders *_markdown
    columns by default; the project's metadata switches it off."""
    path = known[0]
    sql = f"{DB}?sql=select+body+as+body_markdown+from+releases+where+id={ids['markup']}"
    html = (await get(Datasette([str(path)], **datasette_options(path)), sql)).text
    assert "<strong>bold</strong>" not in html and "**bold**" in html
    unconfigured = datasette_options(path)
    del unconfigured["metadata"]["plugins"]["datasette-render-markdown"]
    html = (await get(Datasette([str(path)], **unconfigured), sql)).text
    assert "<strong>bold</strong>" in html  # what the configuration prevents


# --- the command -------------------------------------------------------------------

def test_serve_command_help():
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0, result.output
    assert "--db" in result.output and "--port" in result.output
    assert "--host" in result.output and "127.0.0.1" in result.output


def test_datasette_serves_the_file_read_write(tmp_path):
    args = datasette_args(tmp_path / "demo.db", tmp_path / "m.json", port=9999)
    assert "-i" not in args and "--immutable" not in args
    assert args[:2] == ["serve", str(tmp_path / "demo.db")]
    assert args[args.index("--port") + 1] == "9999"


async def test_metadata_follows_the_database_name(tmp_path):
    path = tmp_path / "demo.db"
    build_browse_db(path)
    ds = Datasette([str(path)], **datasette_options(path))
    assert 'action="/demo/search"' in (await get(ds, "/")).text
    assert len(await rows(ds, "/demo/latest_releases.json")) == 5
    assert facet_counts((await get(ds, "/demo/releases.json")).json())["year"]


def test_edit_summary_kept_by_triggers_and_filled_on_migration(tmp_path):
    """``release_edits`` (what "edited releases" reads) follows every new version, and a
    database made before it existed gets it filled on open."""
    path = tmp_path / "old.db"
    ids = build_browse_db(path)
    db = open_db(path)
    expected = db.execute("select release_id, count(*), max(seen_at) from release_versions "
                          "group by release_id having count(*) > 1").fetchall()
    assert expected == db.execute("select release_id, versions, edited_at from release_edits").fetchall()
    with db.atomic():  # as an older releasewatch left it
        for name in ("release_versions_edits_ai", "release_versions_edits_ad"):
            db.execute(f"drop trigger {name}")
        db.execute("drop table release_edits")
    db.close()
    db = open_db(path)
    assert expected == db.execute("select release_id, versions, edited_at from release_edits").fetchall()
    store_release(db, {"source": "osce", "url": OSCE + "/pc/49473", "title": "Kosovo, again",
                       "body": "A new text."})
    edited = dict(db.execute("select release_id, versions from release_edits").fetchall())
    assert edited == {ids["edited"]: 2, ids["kosovo"]: 2}
    plan = " ".join(row[3] for row in db.execute(
        "explain query plan select id from releases order by "
        "coalesce(published, substr(first_seen, 1, 10)) desc, first_seen desc, id desc limit 100"))
    assert "releases_newest" in plan and "TEMP B-TREE" not in plan
    db.close()


@pytest.mark.parametrize("query", ["", "?source=osce", "?_search=Kosovo", "?year=2007", "?_search=OSCE", "?_search=the",
                                   "?_search=OSCE&source=osce", "?_search=OSCE&_searchmode=raw"])
async def test_counted_facets_equal_datasettes_own(known, query):
    """Facets read from the summary table (unfiltered) or counted on fewer columns
    (filtered) show what Datasette's own facets count on the same rows."""
    path = known[0]
    ours = (await get(Datasette([str(path)], **datasette_options(path)), f"{DB}/releases.json{query}")).json()
    builtin = "&".join(["_facet=source", "_facet=year", "_facet_array=issuers", "_facet_array=fields_of_work"])
    bare = Datasette([str(path)], metadata={"databases": {"releasewatch": {"tables": {"releases": {
        "fts_table": "releases_fts", "fts_pk": "id"}}}}})
    theirs = (await get(bare, f"{DB}/releases.json{query}{'&' if query else '?'}{builtin}")).json()
    assert facet_counts(ours) == facet_counts(theirs)
    assert facet_counts(ours)["source"]


async def test_edited_releases_feed_has_the_50_newest_edits(tmp_path):
    path = tmp_path / "releasewatch.db"
    build_browse_db(path)
    db = open_db(path)
    for n in range(60):  # 60 releases edited once, a few of them twice
        item = {"source": "osce", "url": f"{OSCE}/pc/edit{n}", "title": f"Release {n}", "body": "First."}
        store_release(db, item, now=f"2025-02-01T00:{n:02d}:00Z")
        store_release(db, {**item, "body": "Second."}, now=f"2025-03-01T00:{n:02d}:00Z")
        if n % 7 == 0:
            store_release(db, {**item, "body": "Third."}, now=f"2025-04-01T00:{n:02d}:00Z")
    newest = [f"urn:releasewatch:release-version:{row[0]}" for row in db.execute(
        "select v.id from release_versions v where v.id != (select min(f.id) from release_versions f "
        "where f.release_id = v.release_id) order by v.seen_at desc, v.id desc limit 50")]
    db.close()
    ds = Datasette([str(path)], **datasette_options(path))
    feed = entries(parse_feed(await get(ds, f"{DB}/edited_releases_feed.atom")))
    assert [e["id"] for e in feed] == newest


def _plugin(name: str):
    from datasette.plugins import pm

    return next(p for p in pm.get_plugins() if getattr(p, "__name__", "").split(".")[0] == name)


@pytest.mark.parametrize("query", ["Kosovo", "OSCE", "the", "nothingmatches", "<script>"])
async def test_table_search_finds_what_bare_datasette_finds(known, query):
    """The planned search filter (plugins/search_filter.py) changes the plan, not the
    answer: same releases, same count, newest first, as on bare Datasette."""
    path = known[0]
    ours = (await get(Datasette([str(path)], **datasette_options(path)),
                      f"{DB}/releases.json?" + urlencode({"_search": query, "_size": "max"}))).json()
    bare = Datasette([str(path)], metadata={"databases": {"releasewatch": {"tables": {"releases": {
        "fts_table": "releases_fts", "fts_pk": "id", "sort_desc": "published"}}}}})
    theirs = (await get(bare, f"{DB}/releases.json?" + urlencode({"_search": query, "_size": "max"}))).json()
    assert "+id in (select rowid from releases_fts" in ours["query"]["sql"]
    assert "+" not in theirs["query"]["sql"]
    assert ours["filtered_table_rows_count"] == theirs["filtered_table_rows_count"] == len(theirs["rows"])
    assert sorted(r[0] for r in ours["rows"]) == sorted(r[0] for r in theirs["rows"])
    published = [r[ours["columns"].index("published")] or "" for r in ours["rows"]]
    assert published == sorted(published, reverse=True)


async def test_table_search_pages_through_every_match(known):
    path = known[0]
    ds = Datasette([str(path)], **datasette_options(path))
    expected = {r["id"] for r in await rows(ds, f"{DB}/releases.json?_search=OSCE&_size=max")}
    seen, url = [], f"{DB}/releases.json?_search=OSCE&_size=2"
    while url:
        data = (await get(ds, url)).json()
        seen += [r[0] for r in data["rows"]]
        url = data["next_url"] and data["next_url"].replace("http://localhost", "")
    assert len(seen) == len(set(seen)) and set(seen) == expected and len(expected) > 2


def test_search_filter_lets_the_sort_use_the_date_index(known):
    Datasette([str(known[0])], **datasette_options(known[0]))  # registers the plugins
    planned = _plugin("search_filter").planned
    clause = "id in (select rowid from releases_fts where releases_fts match escape_fts(:search))"
    assert planned(clause) == "+" + clause
    assert planned("[id] in (select rowid from x where x match :s)").startswith("+[id] in")
    assert planned("source = :p0") == "source = :p0"
    db = open_db(known[0])
    plan = " ".join(str(r) for r in db.execute(
        "EXPLAIN QUERY PLAN select * from releases where " + planned(clause).replace(
            "escape_fts(:search)", "'osce'") + " order by published desc limit 26").fetchall())
    db.close()
    assert "idx_releases_published" in plan and "TEMP B-TREE" not in plan


async def test_facets_of_a_search_with_too_many_matches_are_reported_timed_out(known, monkeypatch):
    """Above SEARCH_FACET_LIMIT matches the facets are not counted, and say so (as a
    facet that ran out of time); at or below it they are counted."""
    path = known[0]
    ds = Datasette([str(path)], **datasette_options(path))
    facets = _plugin("counted_facets")
    counted = (await get(ds, f"{DB}/releases.json?_search=OSCE")).json()
    count = counted["filtered_table_rows_count"]
    assert count > 1 and facet_counts(counted)["source"]
    assert "timed out" not in (await get(ds, f"{DB}/releases?_search=OSCE")).text
    monkeypatch.setattr(facets, "SEARCH_FACET_LIMIT", count - 1)
    bounded = (await get(ds, f"{DB}/releases.json?_search=OSCE")).json()
    # JSON leaves them out, as Datasette 0.65 does with a facet that timed out
    assert bounded["facet_results"] == {} and bounded["filtered_table_rows_count"] == count
    assert [r[0] for r in bounded["rows"]] == [r[0] for r in counted["rows"]]
    html = (await get(ds, f"{DB}/releases?_search=OSCE")).text
    assert "These facets timed out: source, year, issuers, fields_of_work" in html
    unfiltered = (await get(ds, f"{DB}/releases.json")).json()  # the summary table: unaffected
    assert facet_counts(unfiltered)["source"]
