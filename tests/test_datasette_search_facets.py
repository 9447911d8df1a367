"""The facets of a search read the ``releases_facet_columns`` index (plugins/counted_facets.py,
storage/browse.py) and count what they counted from the rows."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from datasette.app import Datasette

from crawler.web.serve import datasette_options
from storage import open_db
from tests.browse_data import build_browse_db

pytestmark = pytest.mark.anyio
DB = "/releasewatch"
INDEXED = "indexed by releases_facet_columns"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def ours(path) -> Datasette:
    options = datasette_options(path)
    return Datasette([str(path)], **{**options, "settings": {**options["settings"], "trace_debug": True}})


async def facets_and_sql(path, query: str) -> tuple[dict, list[str]]:
    ds = ours(path)
    await ds.invoke_startup()
    response = await ds.client.get(f"{DB}/releases.json?{query}&_trace=1")
    assert response.status_code == 200, response.text[:300]
    data = response.json()
    counts = {name: [(r["value"], r["count"], r["toggle_url"]) for r in facet["results"]]
              for name, facet in data["facet_results"].items()}
    return counts, [t["sql"] for t in data["_trace"]["traces"] if "count(*) as count" in t["sql"]]


@pytest.mark.parametrize("query", ["_search=OSCE", "_search=Kosovo", "_search=the", "_search=OSCE+OR+Kosovo&_searchmode=raw"])
async def test_search_facets_read_the_index_and_count_the_same(tmp_path, query):
    """A search alone: one query per facet class, over the index; without the index (a
    read-only copy made before it) over the rows: same values, counts and links."""
    path = tmp_path / "releasewatch.db"
    build_browse_db(path)
    indexed, sql = await facets_and_sql(path, query)
    assert len(sql) == 2 and all(INDEXED in s for s in sql)
    assert indexed["source"] and "year" in indexed
    db = open_db(path)
    db.execute("drop index releases_facet_columns")
    db.close()
    from_rows, sql = await facets_and_sql(path, query)  # Datasette does not migrate
    assert len(sql) == 2 and not any(INDEXED in s for s in sql)
    assert from_rows == indexed


async def test_search_with_a_filter_reads_the_rows(tmp_path):
    path = tmp_path / "releasewatch.db"
    build_browse_db(path)
    counts, sql = await facets_and_sql(path, "_search=OSCE&source=osce")
    assert len(sql) == 4 and not any(INDEXED in s for s in sql) and counts["source"]


def test_index_created_on_an_older_database(tmp_path):
    path = tmp_path / "releasewatch.db"
    build_browse_db(path)
    db = open_db(path)
    db.execute("drop index releases_facet_columns")
    db.close()
    db = open_db(path)
    assert "releases_facet_columns" in {index.name for index in db.table("releases").indexes}
    db.close()


def strip_facet_args(url: str) -> str:
    """A toggle URL without the ``_facet...=`` arguments bare Datasette is asked with."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("_facet", "_facet_array")]
    return urlunsplit(parts._replace(query=urlencode(query)))


@pytest.mark.parametrize("query", ["_search=OSCE", "_search=the", "_search=Kosovo&_facet_size=1",
                                   "_search=OSCE+OR+Kosovo&_searchmode=raw", "_search=nothingmatches"])
async def test_search_facets_are_datasettes_own(tmp_path, query):
    """Value, label, count, selection, truncation and link of every facet value, as bare
    Datasette's column and array facets give them on the same search."""
    path = tmp_path / "releasewatch.db"
    build_browse_db(path)
    ds = ours(path)
    await ds.invoke_startup()
    mine = (await ds.client.get(f"{DB}/releases.json?{query}")).json()["facet_results"]
    bare = Datasette([str(path)], metadata={"databases": {"releasewatch": {"tables": {"releases": {
        "fts_table": "releases_fts", "fts_pk": "id"}}}}})
    builtin = "&".join(["_facet=source", "_facet=year", "_facet_array=issuers", "_facet_array=fields_of_work"])
    theirs = (await bare.client.get(f"{DB}/releases.json?{query}&{builtin}")).json()["facet_results"]
    assert set(mine) == set(theirs) == {"source", "year", "issuers", "fields_of_work"}
    for name, facet in mine.items():
        assert facet["truncated"] == theirs[name]["truncated"]
        assert facet["results"] == [{**r, "toggle_url": strip_facet_args(r["toggle_url"])}
                                    for r in theirs[name]["results"]]
    assert any(facet["results"] for facet in mine.values()) or "nothingmatches" in query
