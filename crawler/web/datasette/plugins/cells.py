"""Datasette plugin: cells that read like an archive, built from escaped text only.

- ``snippet`` (the search query): the passage with the matched words in ``<mark>``. FTS5's
  ``snippet()`` wraps them in the control characters STX and ETX, which stored text never
  holds (``storage.normalize.clean_text`` drops control characters), so every other
  character is escaped and only those two become markup.
- ``release_id`` in a canned query: a link to the release's page; ``title`` beside it links
  there too.
- ``fields_of_work``, ``issuers``, ``topics`` (JSON lists): the entries, one per line.
"""

from __future__ import annotations

import json

from datasette import hookimpl
from markupsafe import Markup, escape

START, END = "\x02", "\x03"
LIST_COLUMNS = ("fields_of_work", "issuers", "topics")


def marked_snippet(text: str) -> Markup:
    """``text`` escaped, its STX...ETX stretches in ``<mark>``."""
    return Markup(str(escape(text)).replace(START, "<mark>").replace(END, "</mark>"))


def release_link(datasette, database: str, release_id: int, text) -> Markup:
    url = datasette.urls.row(database, "releases", str(release_id))
    return Markup('<a href="{}">{}</a>').format(url, text)


def list_entries(value: str) -> Markup | None:
    """A JSON list of strings as escaped lines; None when it is not one."""
    try:
        entries = json.loads(value)
    except ValueError:
        return None
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        return None
    items = Markup("").join(Markup("<li>{}</li>").format(e) for e in entries)
    return Markup('<ul class="cell-list">{}</ul>').format(items)


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if column == "snippet" and isinstance(value, str):
        return marked_snippet(value)
    if column in LIST_COLUMNS and isinstance(value, str) and value.startswith("["):
        return list_entries(value)
    # sqlite3.Row: "in" looks at values, keys() at column names
    if table is None and "release_id" in row.keys() and isinstance(row["release_id"], int):  # noqa: SIM118
        if column == "release_id":
            return release_link(datasette, database, value, value)
        if column == "title" and isinstance(value, str):
            return release_link(datasette, database, row["release_id"], value)
    return None
