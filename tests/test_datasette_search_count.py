"""A releases table search counts its matches from the search index
(plugins/search_count.py), and answers exactly what bare Datasette answers."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from datasette.app import Datasette

from crawler.web.serve import datasette_options
from storage import open_db, store_release
from tests.browse_data import build_browse_db

pytestmark = pytest.mark.anyio
DB = "/releasewatch"
FTS_COUNT = "select count(*) from releases_fts where "
TABLE_COUNT = "select count(*) from releases where"
# Each a releases table search: the term alone (counted from the index), in raw mode, on one
# column, with a filter or a page (counted by Datasette as ever).
QUERIES = [
    ({"_search": "Kosovo"}, True),
    ({"_search": "OSCE"}, True),
    ({"_search": "the"}, True),
    ({"_search": "nothingmatches"}, True),
    ({"_search": "<script>"}, True),
    ({"_search": 'OSCE "and" (Kosovo'}, True),
    ({"_search": "Kosovo OR Ukraine", "_searchmode": "raw"}, True),
    ({"_search": "OSCE NOT Kosovo", "_searchmode": "raw"}, True),
    ({"_search_title": "OSCE"}, True),
    ({"_search": "OSCE", "_size": "2"}, True),
    ({"_search": "OSCE", "source": "osce"}, False),
    ({"_search": "OSCE", "year__gte": "2020"}, False),
    ({"_search": "OSCE", "issuers__arraycontains": "OSCE Secretariat"}, False),
    ({"_search": "OSCE", "_where": "id > 1"}, False),
    ({"_search": "OSCE", "_where": "(id in (select rowid from releases_fts where title match 'OSCE'))"}, False),
]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def path(tmp_path_factory):
    path = tmp_path_factory.mktemp("count") / "releasewatch.db"
    build_browse_db(path)
    return path


async def answer(ds: Datasette, path: str):
    await ds.invoke_startup()
    response = await ds.client.get(path)
    assert response.status_code == 200, f"{path}: {response.status_code} {response.text[:300]}"
    return response


def bare(path) -> Datasette:
    return Datasette([str(path)], settings={"trace_debug": True}, metadata={"databases": {"releasewatch": {
        "tables": {"releases": {"fts_table": "releases_fts", "fts_pk": "id", "sort_desc": "published"}}}}})


def ours(path) -> Datasette:
    options = datasette_options(path)
    return Datasette([str(path)], **{**options, "settings": {**options["settings"], "trace_debug": True}})


def count_sql(data: dict) -> str:
    return next(t["sql"] for t in data["_trace"]["traces"] if t["sql"].startswith("select count(*) "))


@pytest.mark.parametrize(("args", "from_index"), QUERIES)
async def test_search_count_is_datasettes_own(path, args, from_index):
    """Same count, same rows in the same order, same next page as bare Datasette; the
    search alone is counted from the index, anything more by Datasette."""
    query = urlencode(args)
    theirs = (await answer(bare(path), f"{DB}/releases.json?{query}&_trace=1")).json()
    mine = (await answer(ours(path), f"{DB}/releases.json?{query}&_trace=1")).json()
    assert mine["filtered_table_rows_count"] == theirs["filtered_table_rows_count"]
    assert [row[0] for row in mine["rows"]] == [row[0] for row in theirs["rows"]]
    assert mine["next_url"] == theirs["next_url"]
    assert count_sql(theirs).startswith(TABLE_COUNT)
    assert count_sql(mine).startswith(FTS_COUNT if from_index else TABLE_COUNT)
    if "_size" not in args:  # every match on one page: the count is the rows
        assert mine["filtered_table_rows_count"] == len(theirs["rows"])


async def test_search_page_shows_the_count(path):
    """The HTML page says how many releases match, as bare Datasette does."""
    heading = re.compile(r"<h3>\s*([\d,]+ rows?)")
    for term in ("OSCE", "Kosovo", "nothingmatches"):
        theirs = (await answer(bare(path), f"{DB}/releases?_search={term}")).text
        mine = (await answer(ours(path), f"{DB}/releases?_search={term}")).text
        assert heading.search(mine).group(1) == heading.search(theirs).group(1)


async def test_count_follows_rows_added(tmp_path):
    """The index is kept by triggers: its count follows releases stored while served."""
    path = tmp_path / "releasewatch.db"
    build_browse_db(path)
    ds = ours(path)
    before = (await answer(ds, f"{DB}/releases.json?_search=OSCE")).json()["filtered_table_rows_count"]
    db = open_db(path)
    store_release(db, {"source": "osce", "url": "https://www.osce.org/pc/999001",
                       "title": "OSCE, once more", "body": "A new OSCE text."})
    db.close()
    after = (await answer(ds, f"{DB}/releases.json?_search=OSCE")).json()
    assert after["filtered_table_rows_count"] == before + 1 == len(after["rows"])


async def test_only_the_projects_datasette_counts_from_the_index(path):
    """A bare Datasette in the same process keeps its own count query."""
    await answer(ours(path), f"{DB}/releases.json?_search=OSCE")
    theirs = (await answer(bare(path), f"{DB}/releases.json?_search=OSCE&_trace=1")).json()
    assert count_sql(theirs).startswith(TABLE_COUNT)
