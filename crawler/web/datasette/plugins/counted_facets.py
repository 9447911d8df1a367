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
a few matches). A search matching more than ``SEARCH_FACET_LIMIT`` releases has its
facets reported as timed out at once, as Datasette reports a facet that ran out of time:
counting them would take longer than ``facet_time_limit_ms`` anyway.
"""

from __future__ import annotations

import re

from datasette import hookimpl
from datasette.facets import ArrayFacet, ColumnFacet
from datasette.utils import path_with_added_args

TABLE = "releases"
SUMMARY = "release_facet_counts"
SELECT_LIST = re.compile(r"^select .*? from ", re.IGNORECASE | re.DOTALL)
PLANNED_SEARCH = re.compile(r"\+(\w+|\[[^\]]+\]) in \(select rowid from ")
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
        return await super().facet_results()


class CountedArrayFacet(ArrayFacet):
    type = "counted_array"

    async def facet_results(self):
        if unfiltered(self):
            return await counted_results(self, "__arraycontains")
        if too_many_matches(self):
            return [], facet_columns(self)
        unplanned(self)
        columns = ", ".join(f"[{column}]" for column in facet_columns(self))
        if self.table == TABLE and columns:
            self.sql = SELECT_LIST.sub(f"select rowid, {columns} from ", self.sql, count=1)
        return await super().facet_results()


@hookimpl
def register_facet_classes():
    return [CountedFacet, CountedArrayFacet]
