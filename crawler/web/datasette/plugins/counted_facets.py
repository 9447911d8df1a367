"""Datasette plugin: facets of the releases table that stay quick on a large archive.

Two facet types, configured in ``metadata.yaml``: ``counted`` (a column, like Datasette's
column facet) and ``counted_array`` (a JSON list, like its array facet). On the unfiltered
releases table they read ``release_facet_counts``, which triggers keep equal to what
Datasette would count (``storage/browse.py``), instead of counting 100,000 rows per page
view. Filtered or searched, they count as Datasette does; the array facet then reads only
the row id and the list, not every column of every matching release (Datasette's query
deduplicates on all columns, bodies included). Facets stay bounded by
``facet_time_limit_ms``.

Searched (``?_search=``), they count from the search index's matches (the id drives the
query again, undoing ``search_filter.py``'s ``+id``, which suits the page, not a count of
a few matches). When the search is the only filter, each facet class counts all its facets
in one query (Datasette's per-facet queries, over the matches read once) and reads each
match's values from the ``releases_facet_columns`` index (``storage/browse.py``) rather
than its row, body included: on 500,000 releases a match's row is a page of its own, the
index entries of 40 matches share one (the year as ``substr(published, 1, 4)``, what the
generated column is: SQLite does not read a generated column from an index). Half the time
of the four queries on the rows. A search matching more than ``SEARCH_FACET_LIMIT``
releases has its facets reported as timed out at once, as Datasette reports a facet that
ran out of time: counting them would take longer than ``facet_time_limit_ms`` anyway.
"""

from __future__ import annotations

import re

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.facets import ArrayFacet, ColumnFacet
from datasette.utils import path_with_added_args, path_with_removed_args

from storage.search import YEAR_COLUMN, YEAR_SQL

TABLE = "releases"
SUMMARY = "release_facet_counts"
SELECT_LIST = re.compile(r"^select .*? from ", re.IGNORECASE | re.DOTALL)
PLANNED_SEARCH = re.compile(r"\+(\w+|\[[^\]]+\]) in \(select rowid from ")
# A releases query whose only condition is the search (the match clause holds at most one call).
ONLY_SEARCH = re.compile(rf"^select .*? from {TABLE} (where (?:\w+|\[[^\]]+\]) in \(select rowid from "
                         rf"{TABLE}_fts where (?:[^()]|\([^()]*\))*\) ?)$", re.IGNORECASE | re.DOTALL)
FACET_INDEX = "releases_facet_columns"
SEARCH_FACET_LIMIT = 10_000


def unfiltered(facet) -> bool:
    """Whether the facet counts the whole releases table (no filter, no search)."""
    return facet.table == TABLE and not facet.params and " where " not in facet.sql.lower()


def searched(facet) -> bool:
    return facet.table == TABLE and "_search" in facet.request.args


def facet_columns(facet) -> list[str]:
    return [c["config"].get("column") or c["config"]["simple"] for c in facet.get_configs()]


def too_many_matches(facet) -> bool:
    """Whether the search matches more releases than facets are counted for."""
    return searched(facet) and facet.row_count is not None and facet.row_count > SEARCH_FACET_LIMIT


def unplanned(facet) -> None:
    """Let the search index drive the facet's query (see the module docstring)."""
    if searched(facet):
        facet.sql = PLANNED_SEARCH.sub(r"\1 in (select rowid from ", facet.sql)


def narrowed(facet) -> None:
    """The facet's query reading only the id and the facet's columns, not whole releases."""
    columns = ", ".join(f"[{c}]" for c in facet_columns(facet))
    if facet.table == TABLE and columns:
        facet.sql = SELECT_LIST.sub(f"select rowid, {columns} from ", facet.sql, count=1)


async def search_alone_results(facet, array: bool) -> tuple[list, list] | None:
    """The facets of a search that is the only filter, counted as Datasette counts them, in
    one query per facet class over the ``releases_facet_columns`` index (when the database
    has it: a read-only copy may not); ``None`` for any other page. Nothing is selected on
    such a page. The query has the time of all its facets (``facet_time_limit_ms`` each):
    beyond it they are all reported timed out."""
    only_search = ONLY_SEARCH.match(facet.sql) if searched(facet) else None
    columns, size = facet_columns(facet), facet.get_facet_size()
    if not only_search or not columns:
        return None
    indexed = (await facet.ds.execute(
        facet.database, "select 1 from sqlite_master where type = 'index' and name = ?", [FACET_INDEX])).rows
    source = f"{TABLE} indexed by {FACET_INDEX}" if indexed else TABLE
    # A generated column is not read from an index: the year as what it is, from published.
    select = ", ".join(f"{YEAR_SQL} as [{c}]" if c == YEAR_COLUMN else f"[{c}]" for c in columns)
    parts = []
    for n, column in enumerate(columns):  # Datasette's facet queries (datasette/facets.py), on m
        counted = (f"select value, count(*) as count from (select distinct m.rowid, j.value from m, "
                   f"json_each(m.[{column}]) j) group by value" if array else
                   f"select [{column}] as value, count(*) as count from m where [{column}] is not null "
                   f"group by [{column}]")
        parts.append(f"select {n} as facet, * from ({counted} order by count desc, value limit {size + 1})")
    sql = (f"with m as materialized (select rowid, {select} from {source} {only_search.group(1)}) "
           + " union all ".join(parts))
    try:
        rows = (await facet.ds.execute(facet.database, sql, facet.params, truncate=False, custom_time_limit=(
            facet.ds.setting("facet_time_limit_ms") * len(columns)))).rows
    except QueryInterrupted:
        return [], columns
    return [shaped(facet, column, [r for r in rows if r["facet"] == n], array)
            for n, column in enumerate(columns)], []


def shaped(facet, column: str, rows: list, array: bool) -> dict:
    """One facet's results with nothing selected, as Datasette's ColumnFacet or ArrayFacet
    shapes them."""
    size, ds, request = facet.get_facet_size(), facet.ds, facet.request
    source = next(c["source"] for c in facet.get_configs()
                  if (c["config"].get("column") or c["config"]["simple"]) == column)
    values = []
    for row in rows[:size]:
        value = str(row["value"]) if array else row["value"]
        toggle = path_with_added_args(request, {f"{column}__arraycontains" if array else column: value})
        values.append({"value": value, "label": value, "count": row["count"], "selected": False,
                       "toggle_url": ds.absolute_url(request, toggle if array else ds.urls.path(toggle))})
    return {"name": column, "type": facet.type, "hideable": source != "metadata",
            "toggle_url": ds.urls.path(path_with_removed_args(request, {"_facet_array" if array else "_facet": column})),
            "results": values, "truncated": len(rows) > size}


async def counted_results(facet, filter_suffix: str) -> tuple[list, list]:
    """Facet results from the summary table, shaped as Datasette's own."""
    results, size = [], facet.get_facet_size()
    for source_and_config in facet.get_configs():
        config = source_and_config["config"]
        column = config.get("column") or config["simple"]
        rows = (await facet.ds.execute(
            facet.database, f"select value, count from {SUMMARY} where facet = ? "
            "order by count desc, value limit ?", [column, size + 1])).rows
        results.append({
            "name": column, "type": facet.type, "hideable": source_and_config["source"] != "metadata",
            "toggle_url": facet.ds.urls.path(facet.request.path), "truncated": len(rows) > size,
            "results": [{
                "value": row["value"], "label": row["value"], "count": row["count"], "selected": False,
                "toggle_url": facet.ds.absolute_url(facet.request, facet.ds.urls.path(
                    path_with_added_args(facet.request, {column + filter_suffix: row["value"]}))),
            } for row in rows[:size]],
        })
    return results, []


class CountedFacet(ColumnFacet):
    type = "counted"

    async def facet_results(self):
        if unfiltered(self):
            return await counted_results(self, "")
        if too_many_matches(self):
            return [], facet_columns(self)
        unplanned(self)
        found = await search_alone_results(self, array=False)
        return found if found is not None else await super().facet_results()


class CountedArrayFacet(ArrayFacet):
    type = "counted_array"

    async def facet_results(self):
        if unfiltered(self):
            return await counted_results(self, "__arraycontains")
        if too_many_matches(self):
            return [], facet_columns(self)
        unplanned(self)
        found = await search_alone_results(self, array=True)
        if found is not None:
            return found
        narrowed(self)
        return await super().facet_results()


@hookimpl
def register_facet_classes():
    return [CountedFacet, CountedArrayFacet]
