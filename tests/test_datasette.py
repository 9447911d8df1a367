"""Browse, search and subscribe: every page, facet, canned query and feed of ``releasewatch serve``,
through Datasette's own in-process client, on a database written by the storage functions."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from datasette.app import Datasette
from markupsafe import escape

from crawler.cli.main import main
from crawler.web.serve import datasette_args, datasette_options, load_metadata
from storage import open_db, store_release
from storage.schema import TABLES
from tests.browse_data import (
    EDIT,
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
HIDDEN = ("release_bands", "release_signatures", "list_pending", "releases_fts",
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
    assert '<form action="/releasewatch/releases" method="get"' in html
    assert 'name="_search"' in html
    for link in ("latest_releases", "edited_releases", "list_changes_timeline", "current_lists",
                 "mirrors", "crawl_health", "new_releases_feed.atom", "list_changes_feed.atom"):
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

QUERIES = ("latest_releases", "list_changes_timeline", "current_lists", "edited_releases",
           "mirrors", "crawl_health", "problem_runs", "new_releases_feed", "list_changes_feed")


@pytest.mark.parametrize("query", QUERIES)
async def test_canned_query_pages(ds, query):
    html = (await get(ds, f"{DB}/{query}")).text
    title = load_metadata()["databases"]["releasewatch"]["queries"][query]["title"]
    assert title in html
    assert await rows(ds, f"{DB}/{query}.json")


async def test_latest_releases(ds, ids):
    found = await rows(ds, f"{DB}/latest_releases.json")
    # the undated page counts as published when first seen (2025-01-10)
    assert [r["id"] for r in found] == [ids["markup"], ids["edited"], ids["script"], ids["un_news"],
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


async def test_edited_releases_show_a_word_diff(ds, ids):
    (row,) = await rows(ds, f"{DB}/edited_releases.json")
    assert row["release_id"] == ids["edited"] and row["versions"] == 2
    assert (row["previous_seen"], row["edited_at"]) == ("2025-01-10T08:00:00Z", "2025-01-11T08:00:00Z")
    assert row["title_diff"] == ""
    assert row["body_diff"].startswith("… ")
    assert row["body_diff"].endswith("{+" + EDIT + "+}")


@pytest.mark.parametrize(("old", "new", "diff"), [
    ("the cat sat", "the dog sat", "the [-cat-] {+dog+} sat"),
    ("one two three", "one three", "one [-two-] three"),
    ("same text", "same  text", ""),
    (" ".join(map(str, range(40))), " ".join(map(str, range(40))) + " end",
     "… 32 33 34 35 36 37 38 39 {+end+}"),
    (" ".join(map(str, range(40))), "x " + " ".join(map(str, range(1, 40))),
     "[-0-] {+x+} 1 2 3 4 5 6 7 8 …"),
])
async def test_word_diff_sql_function(ds, old, new, diff):
    from urllib.parse import urlencode

    query = urlencode({"sql": "select word_diff(:old, :new) as diff", "old": old, "new": new})
    assert await rows(ds, f"{DB}.json?{query}") == [{"diff": diff}]


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
    return [{child.tag.removeprefix(ATOM): child.text for child in entry}
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


async def test_feeds_are_valid_when_empty(tmp_path):
    path = tmp_path / "releasewatch.db"
    open_db(path).close()
    ds = Datasette([str(path)], **datasette_options(path))
    for query, title in (("new_releases_feed", "No releases yet"),
                         ("list_changes_feed", "No list changes yet")):
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
    assert 'action="/demo/releases"' in (await get(ds, "/")).text
    assert len(await rows(ds, "/demo/latest_releases.json")) == 5
    assert facet_counts((await get(ds, "/demo/releases.json")).json())["year"]
