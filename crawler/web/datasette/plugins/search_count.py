"""Datasette plugin: the count of a releases table search, taken from the search index.

For ``/db/releases?_search=TERM`` (the search the only filter) Datasette counts the matches
with ``select count(*) from releases where +id in (select rowid from releases_fts where
releases_fts match escape_fts(:search))``: every release id is looked up in the list of
matches (45 ms for a word in every release at 100,000, five times that at 500,000).
``releases_fts`` is an external-content index of ``releases`` kept in step by triggers
(``storage/search.py``): its rows are the releases, one each, so ``select count(*) from
releases_fts where releases_fts match escape_fts(:search)`` is the same number, counted from
the index alone (1-6 ms).

Datasette builds that count inside its table view, which no plugin hook reaches, so at
startup this plugin wraps ``execute`` of each of the project's databases: the one count
query above (and the same with ``_searchmode=raw`` or ``_search_title=``) is sent as the
index's count; every other query, a search with any other filter included, is untouched.
The page, its ``filtered_table_rows_count``, its links and its facets are what Datasette
gives (tests/test_datasette_search_count.py compares them with a bare Datasette).

The page itself, newest first (``... where +id in (select rowid from releases_fts where
...) order by published desc limit N``), makes SQLite list every match before it walks the
``published`` index: 40-60 ms for a common word at 500,000 releases. So the same page is
first looked for among the newest ``PROBE`` releases, each checked against the index
(``exists``, some microseconds each): when N of them match, they are the page, the same
rows in the same order (ties by id, as Datasette's next pages order them, and as the
``published`` index, descending, gives them); otherwise (a rarer word) Datasette's own
query runs, which is fast for few matches.
"""

from __future__ import annotations

import functools
import re

from datasette import hookimpl

from crawler.web.datasette.plugins.search_filter import TABLE, ours

FTS_TABLE = f"{TABLE}_fts"
# Datasette's search condition; the match clause holds at most one call.
MATCHES = rf"in \(select rowid from {FTS_TABLE} where (?P<match>(?:[^()]|\([^()]*\))*)\)"
# Datasette's count of a search that is the only filter (``id``, ``+id`` as search_filter.py
# plans it, or ``rowid`` for a column search).
SEARCH_COUNT = re.compile(rf"select count\(\*\) from {TABLE} where \+?(?:id|rowid) {MATCHES} ")
# Datasette's first page of a search, newest first (the shape search_filter.py gives it).
SEARCH_PAGE = re.compile(
    rf"select (?P<columns>[\w, \[\]]+) from {TABLE} where \+id {MATCHES} "
    r"order by published desc limit (?P<limit>\d+)")
PROBE = 200


def newest_probe(sql: str) -> tuple[str, int] | None:
    """The search page looked for among the newest ``PROBE`` releases, and its row count
    (the page when every row is there); None for any other query."""
    found = SEARCH_PAGE.fullmatch(sql)
    if not found or int(found["limit"]) > PROBE:
        return None
    # The newest PROBE releases in the published index's order (newest first, ties by id:
    # the order of Datasette's next pages), read in that order until the page is full.
    newest = f"(select id from {TABLE} order by published desc, id limit {PROBE}) as newest"
    page = (f"select id from {newest} where exists (select 1 from {FTS_TABLE} "
            f"where {FTS_TABLE}.rowid = newest.id and {found['match']}) limit {found['limit']}")
    return (f"select {found['columns']} from {TABLE} where id in ({page}) order by published desc, id",
            int(found["limit"]))


def index_count(sql: str) -> str:
    """The search index's count for Datasette's count of a search, else ``sql`` unchanged."""
    found = SEARCH_COUNT.fullmatch(sql)
    return f"select count(*) from {FTS_TABLE} where {found['match']}" if found else sql


def counting_from_index(execute):
    """``Database.execute`` with the search count sent to the index, and the first page
    of a search looked for among the newest releases first."""
    @functools.wraps(execute)
    async def wrapped(sql, *args, **kwargs):
        if probe := newest_probe(sql):
            results = await execute(probe[0], *args, **kwargs)
            if len(results.rows) == probe[1]:
                return results
        return await execute(index_count(sql), *args, **kwargs)

    return wrapped


@hookimpl
def startup(datasette):
    if not ours(datasette):
        return
    for database in datasette.databases.values():
        if not getattr(database.execute, "__wrapped__", None):
            database.execute = counting_from_index(database.execute)
