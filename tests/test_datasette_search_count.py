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


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """More releases than the plugin's probe window, many on the same day, some undated:
    a word in every release, in one in three, in one in a hundred, in none."""
    path = tmp_path_factory.mktemp("probe") / "releasewatch.db"
    db = open_db(path)
    with db.atomic():
        for n in range(600):
            words = ["common"] + (["third"] if n % 3 == 0 else []) + (["rare"] if n % 100 == 7 else [])
            store_release(db, {"source": "osce", "url": f"https://www.osce.org/pc/{n}", "title": f"Statement {n}",
                               "body": f"Statement number {n} on {' '.join(words)} matters, day {n % 7}.",
                               "published": None if n % 50 == 0 else f"2020-01-{1 + n // 40:02d}"})
    db.close()
    return path


async def pages(ds: Datasette, path: str) -> list[int]:
    """The ids of every page of ``path``, following ``next_url``."""
    ids: list[int] = []
    while path:
        data = (await answer(ds, path)).json()
        ids += [row[0] for row in data["rows"]]
        path = data["next_url"] and data["next_url"].split("localhost", 1)[1]
    return ids


@pytest.mark.parametrize("term", ["common", "third", "rare", "nothingmatches", "common third"])
@pytest.mark.parametrize("size", ["5", "25", "100"])
async def test_a_search_page_is_bare_datasettes_page_whichever_way_it_is_found(archive, term, size):
    """The first page, looked for among the newest releases first (a common word) or by
    Datasette's own query (a rarer one), is bare Datasette's page, ties and undated included."""
    query = urlencode({"_search": term, "_size": size})
    theirs = (await answer(bare(archive), f"{DB}/releases.json?{query}&_trace=1")).json()
    mine = (await answer(ours(archive), f"{DB}/releases.json?{query}&_trace=1")).json()
    assert [row[0] for row in mine["rows"]] == [row[0] for row in theirs["rows"]]
    assert mine["next_url"] == theirs["next_url"]
    assert mine["filtered_table_rows_count"] == theirs["filtered_table_rows_count"]
    sql = [t["sql"] for t in mine["_trace"]["traces"] if t["sql"].startswith("select id, source")]
    probed = [q for q in sql if "limit 200) as newest" in q]
    assert len(probed) == 1  # every first page of a search is looked for among the newest first
    # When the newest 200 hold the page (+1, for the next link), Datasette's query does not run:
    # 200 of 200 match "common", about 66 "third"; "rare" and the rest take Datasette's query.
    found_there = term == "common" or term in ("third", "common third") and int(size) < 66
    assert (len(sql) == 1) == found_there


@pytest.mark.parametrize("term", ["common", "third", "rare"])
async def test_every_match_is_on_exactly_one_page(archive, term):
    """Paging through a search of releases on the same days: every match once, in bare
    Datasette's order (the first page used to list the day's releases by id descending, and
    the next pages, by id ascending, repeated some and never showed others)."""
    path = f"{DB}/releases.json?{urlencode({'_search': term, '_size': 25})}"
    mine, theirs = await pages(ours(archive), path), await pages(bare(archive), path)
    assert mine == theirs
    assert len(mine) == len(set(mine)) == {"common": 600, "third": 200, "rare": 6}[term]


@pytest.mark.parametrize("query", [{"_size": 25}, {"source": "osce", "_size": 25}])
async def test_paging_the_table_shows_every_release_once(archive, query):
    """Newest first without a search too (the published indexes walked newest first)."""
    ids = await pages(ours(archive), f"{DB}/releases.json?{urlencode(query)}")
    assert len(ids) == len(set(ids)) == 600


def test_a_database_with_ascending_published_indexes_gets_them_rebuilt_on_open(tmp_path):
    path = tmp_path / "releasewatch.db"
    db = open_db(path)
    for name, columns in (("idx_releases_published", "published"),
                          ("idx_releases_source_published", "source, published")):
        db.execute(f"DROP INDEX {name}")
        db.execute(f"CREATE INDEX {name} ON releases ({columns})")  # as databases before had them
    db.close()
    db = open_db(path)
    rows = db.execute("SELECT name, sql FROM sqlite_master WHERE name LIKE 'idx_releases_%published'").fetchall()
    db.close()
    assert {name: sql.endswith('"published" desc)') for name, sql in rows} == {
        "idx_releases_published": True, "idx_releases_source_published": True}
