"""``releasewatch search``, ``show`` and ``diff``: read releases in the terminal.

Read-only (``crawler.cli.args.open_reading_db``), no Scrapy. Scraped text is printed as
plain text (rich ``Text`` on a terminal), never interpreted as markup.
"""

from __future__ import annotations

import json
import sqlite3
import sys

import click

from crawler.cli.args import db_option, open_reading_db
from crawler.web.datasette.plugins.word_diff import TEXT_MARKS as DIFF_MARKS
from crawler.web.datasette.plugins.word_diff import TooLarge, diff_chunks

MARK = ("\u00ab", "\u00bb")  # «matched words» in snippets
DIFF_STYLES = {"equal": "", "delete": "red strike", "insert": "green bold"}
# Newest first as ``releases_newest`` orders (storage/browse.py): the 20 newest matches
# are found by walking that index, and only they get a snippet (a snippet for every match
# of a common word, then sorting them, took a quarter of a second on 100,000 releases).
NEWEST = "coalesce(r.published, substr(r.first_seen, 1, 10)) DESC, r.first_seen DESC, r.id DESC"
SEARCH_SQL = f"""
WITH chosen AS (
  SELECT r.id FROM releases r
  WHERE +r.id IN (SELECT rowid FROM releases_fts WHERE releases_fts MATCH :term)
  ORDER BY {NEWEST} LIMIT :limit)
SELECT r.id, r.source, r.published, r.title, r.url,
       snippet(releases_fts, -1, :open, :close, '\u2026', 16) AS snippet
FROM chosen c CROSS JOIN releases r ON r.id = c.id CROSS JOIN releases_fts ON releases_fts.rowid = c.id
WHERE releases_fts MATCH :term
ORDER BY {NEWEST}
"""


@click.command("search")
@click.argument("term")
@db_option
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True, help="At most this many releases.")
@click.option("--json", "as_json", is_flag=True, help="Print the matches as a JSON array.")
def search_command(term, db_path, limit, as_json) -> None:
    """Full-text search of titles and bodies, newest first, with a snippet of each match.

    Words match their stems ("monitor" finds "monitoring"); TERM is taken literally.

    \b
    Example:
        releasewatch search Lavrov
        #2  2024-02-01  osce  OSCE Chairperson-in-Office Edi Rama meets Russia’s Foreign Minister Lavrov
            …Rama met Russian Foreign Minister Sergey «Lavrov» in Skopje…
            https://www.osce.org/chairpersonship/561234
    """
    db = open_reading_db(db_path)
    try:
        if "releases_fts" not in db.table_names():
            raise click.ClickException(f"{db_path} has no search index yet: run a crawl into it first")
        rows = list(db.query(SEARCH_SQL, {"term": db.quote_fts(term), "limit": limit,
                                          "open": MARK[0], "close": MARK[1]}))
    except sqlite3.Error as exc:
        raise click.ClickException(f"cannot search {db_path}: {exc}") from None
    finally:
        db.close()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo(f"no release matches {term!r}", err=True)
        return
    for row in rows:
        click.echo(f"#{row['id']}  {row['published'] or 'undated'}  {row['source']}  {row['title'] or '(no title)'}")
        click.echo(f"    {' '.join((row['snippet'] or '').split())}")
        click.echo(f"    {row['url']}")


def _release(db, release_id: int, db_path: str) -> dict:
    rows = list(db.query("SELECT * FROM releases WHERE id = ?", [release_id]))
    if not rows:
        raise click.ClickException(f"no release {release_id} in {db_path} (find one with `releasewatch search`)")
    return rows[0]


@click.command("show")
@click.argument("release_id", metavar="ID", type=int)
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print the release, its URLs and versions as JSON.")
def show_command(release_id, db_path, as_json) -> None:
    """One release: its fields, every URL it was seen at, its versions, and its text.

    \b
    Example:
        releasewatch show 2
    """
    db = open_reading_db(db_path)
    try:
        release = _release(db, release_id, db_path)
        urls = list(db.query("SELECT url, source, first_seen, last_seen FROM release_urls "
                             "WHERE release_id = ? ORDER BY first_seen, url", [release_id]))
        versions = list(db.query("SELECT id, seen_at, title, url FROM release_versions "
                                 "WHERE release_id = ? ORDER BY seen_at, id", [release_id]))
    finally:
        db.close()
    release.pop("year", None)
    if as_json:
        click.echo(json.dumps({**release, "urls": urls, "versions": versions}, ensure_ascii=False, indent=2))
        return
    body = release.pop("body") or ""
    for key in ("id", "source", "title", "published", "place", "url", "symbol", "document_type", "issuers",
                "topics", "fields_of_work", "first_seen", "last_seen"):
        if release.get(key) not in (None, ""):
            click.echo(f"{key + ':':15} {release[key]}")
    for row in urls:
        if row["url"] != release["url"]:
            click.echo(f"{'also at:':15} {row['url']} ({row['source'] or '?'}, since {row['first_seen']})")
    click.echo(f"{'versions:':15} {len(versions)}"
               + (f" (see `releasewatch diff {release_id}`)" if len(versions) > 1 else ""))
    click.echo("")
    click.echo(body)


@click.command("diff")
@click.argument("release_id", metavar="ID", type=int)
@db_option
@click.option("--max-chars", type=click.IntRange(0), default=4000, show_default=True,
              help="Cut the diff after this many characters (0: no limit).")
def diff_command(release_id, db_path, max_chars) -> None:
    """The word diff of a release's consecutive versions: [-deleted-] {+inserted+}.

    On a terminal deleted words are red and struck through, inserted words green.

    \b
    Example:
        releasewatch diff 1
        version 1 (2026-12-01T10:00:00Z) -> version 2 (2026-12-02T10:00:00Z)
        body: … at the next meeting. {+The two Organizations will report on progress at the next meeting.+}
    """
    db = open_reading_db(db_path)
    try:
        _release(db, release_id, db_path)
        versions = list(db.query("SELECT seen_at, title, body FROM release_versions "
                                 "WHERE release_id = ? ORDER BY seen_at, id", [release_id]))
    finally:
        db.close()
    if len(versions) < 2:
        click.echo(f"release {release_id} has {len(versions)} version(s): nothing to compare")
        return
    printer = _Printer(max_chars, rich=sys.stdout.isatty())
    for number, (old, new) in enumerate(zip(versions, versions[1:], strict=False), 1):
        printer.line([("equal", f"version {number} ({old['seen_at']}) -> version {number + 1} ({new['seen_at']})")])
        for field in ("title", "body"):
            try:
                chunks = diff_chunks(old[field], new[field])
            except TooLarge as error:  # the diff page's bound, too
                printer.line([("equal", f"{field}: too large to diff ({error})")])
                continue
            if chunks:
                printer.line([("equal", f"{field}:"), *chunks])
        if printer.full:
            break
    if printer.full:
        click.echo(f"(diff cut at {max_chars} characters; --max-chars 0 shows all)")


class _Printer:
    """Prints diff lines until ``max_chars`` characters (0: no limit) have been shown."""

    def __init__(self, max_chars: int, rich: bool):
        self.left = max_chars or None
        self.full = False
        self.console = None
        if rich:
            from rich.console import Console

            self.console = Console(highlight=False)

    def line(self, chunks: list[tuple[str, str]]) -> None:
        if self.full:
            return
        parts = []
        for tag, text in chunks:
            shown = DIFF_MARKS[tag].format(text)
            if self.left is not None:
                if len(shown) > self.left:
                    shown, self.full = shown[: self.left] + "\u2026", True
                self.left -= len(shown)
            parts.append((tag, shown))
            if self.full:
                break
        if self.console is None:
            click.echo(" ".join(text for _, text in parts))
            return
        from rich.text import Text

        out = Text()
        for index, (tag, shown) in enumerate(parts):
            out.append((" " if index else "") + shown, style=DIFF_STYLES[tag])  # Text: never markup
        self.console.print(out)
