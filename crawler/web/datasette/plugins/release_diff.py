"""Datasette plugin: the release diff page and the ``html_escape`` SQL function.

``/-/release-diff/<release id>`` (``?database=`` picks the database, by default the
first one) shows every edit of a release: for each pair of consecutive versions, the
word-level difference of title and body (``word_diff.diff_chunks``) with deleted words in
``<del>`` and inserted words in ``<ins>``. The marks are the only markup: every chunk of
scraped text is escaped here, before the template sees it.

Any column named ``release_diff`` holding a release id (the "edited releases" canned
query has one) links to that page. ``html_escape(text)`` is for the dashboard's table
charts, which insert cells as HTML.
"""

from __future__ import annotations

from urllib.parse import urlencode

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup, escape

from crawler.web.datasette.plugins.word_diff import diff_chunks

MARKS = {"equal": Markup("{}"), "delete": Markup("<del>{}</del>"), "insert": Markup("<ins>{}</ins>")}


def marked_diff(old: str | None, new: str | None) -> Markup:
    """``old`` -> ``new`` as escaped text with ``<del>``/``<ins>`` marks ("" when unchanged)."""
    return Markup(" ").join(MARKS[tag].format(text) for tag, text in diff_chunks(old, new))


def html_escape(text: str | None) -> str | None:
    """``text`` with ``&``, ``<``, ``>`` and quotes escaped, for cells inserted as HTML."""
    return None if text is None else str(escape(text))


def diff_url(datasette, database: str, release_id: int) -> str:
    return datasette.urls.path(f"/-/release-diff/{release_id}") + "?" + urlencode({"database": database})


async def release_diff(request, datasette) -> Response:
    database = datasette.get_database(request.args.get("database"))
    release_id = int(request.url_vars["release_id"])
    release = (await database.execute(
        "select id, title, source, url from releases where id = ?", [release_id])).first()
    if release is None:
        raise NotFound(f"Release not found: {release_id}")
    versions = list(await database.execute(
        "select id, title, body, seen_at, url from release_versions where release_id = ? "
        "order by seen_at, id", [release_id]))
    edits = [{"before": old, "after": new, "number": number, "title": marked_diff(old["title"], new["title"]),
              "body": marked_diff(old["body"], new["body"])}
             for number, (old, new) in enumerate(zip(versions, versions[1:], strict=False), 2)]
    return Response.html(await datasette.render_template(
        "release_diff.html",
        {"release": dict(release), "versions": len(versions), "edits": edits,
         "database": database.name},
        request=request))


@hookimpl
def register_routes():
    return [(r"^/-/release-diff/(?P<release_id>[0-9]+)$", release_diff)]


@hookimpl
def prepare_connection(conn):
    conn.create_function("html_escape", 1, html_escape, deterministic=True)


@hookimpl
def render_cell(value, column, database, datasette):
    if column == "release_diff" and isinstance(value, int):
        return Markup('<a href="{}">compare versions</a>').format(diff_url(datasette, database, value))
    return None
