"""``releasewatch serve``: browse the database in Datasette (``crawler/web/serve.py``)."""

from __future__ import annotations

from pathlib import Path

import click

from crawler.cli.args import db_option
from crawler.web.serve import serve


@click.command("serve")
@db_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on (0.0.0.0 exposes it to the network).")
@click.option("--port", type=click.IntRange(1, 65535), default=8001, show_default=True)
def serve_command(db_path: str, host: str, port: int) -> None:
    """Browse, search and subscribe in Datasette (the database stays writable for crawls).

    \b
    Example:
        releasewatch serve --db releasewatch.db --port 8001
    Then open http://127.0.0.1:8001/ : search releases, canned queries
    (latest releases, edited releases, list changes, current lists, mirrors,
    crawl health) and Atom feeds (new_releases_feed.atom, list_changes_feed.atom).
    """
    if not Path(db_path).exists():
        raise click.ClickException(f"no database at {db_path}: crawl first (releasewatch crawl osce) "
                                   "or try the offline demo (releasewatch demo)")
    serve(db_path, host=host, port=port, echo=click.echo)
