"""``releasewatch watch add|list|remove``: any press room, no code (docs/watch.md).

Registered in ``crawler.cli.main.COMMANDS``. No Scrapy or Twisted: the preview is one
urllib fetch (``crawler.cli.watch_preview``).
"""

from __future__ import annotations

import json

import click

from crawler.cli.args import db_option
from crawler.scheduler.config import ConfigError, format_duration, parse_duration
from storage import open_db
from storage.watches import Watch, WatchError, add_watch, check_name, default_name, list_watches, remove_watch

PREVIEW_ROWS = 5


@click.group("watch")
def watch_command() -> None:
    """Watch any press-release listing page: its releases, versions and dedupe, no code."""


def _echo_listing(listing, url: str, shown: int) -> None:
    click.echo(f"listing: {url}")
    click.echo(f"rows: {len(listing.rows)} on this page ({listing.signature})")
    for row in listing.rows[:shown]:
        click.echo(f"  {row.date or '(no date)':<10}  {row.title or '(no title)'}")
        click.echo(f"  {'':<10}  {row.url}")
    if len(listing.rows) > shown:
        click.echo(f"  ... and {len(listing.rows) - shown} more")
    click.echo(f"pager: {listing.next_url} ({listing.pager})" if listing.next_url else "pager: none (one page)")


def _check_free(db_path: str, name: str) -> None:
    """Refuse a taken name before fetching anything."""
    try:
        db = open_db(db_path, create=False)
    except FileNotFoundError:
        return
    try:
        if any(w.name == name for w in list_watches(db)):
            raise WatchError(f"a watch named {name!r} exists already (releasewatch watch remove {name})")
    finally:
        db.close()


@watch_command.command("add")
@click.argument("url")
@click.option("--name", default=None, help="The watch's name, the source of its releases (default: from the host).")
@click.option("--every", default="1h", show_default=True, help="How often the scheduler crawls it (90s, 15m, 1h...).")
@click.option("--dry-run", is_flag=True, help="Show what was found, save nothing.")
@click.option("--rows", "shown", default=PREVIEW_ROWS, show_default=True, help="Rows to show.")
@db_option
def add_command(url, name, every, dry_run, shown, db_path) -> None:
    """Find the release rows and pager of the listing at URL, show them, and save the watch.

    \b
    Example:
        releasewatch watch add https://www.nato.int/cps/en/natohq/news.htm --name nato --every 30m
    """
    from crawler.cli.watch_preview import PreviewError, preview

    try:
        seconds = parse_duration(every, "--every")
        if seconds <= 0:
            raise ConfigError("--every: must be more than 0 seconds")
        name = check_name(name or default_name(url))
        if not dry_run:
            _check_free(db_path, name)
        listing, final = preview(url)
    except (ConfigError, WatchError, PreviewError) as error:
        raise click.ClickException(str(error)) from None
    if not listing.rows:
        raise click.ClickException(f"{url}: {listing.problem}; is it a listing of releases?")
    _echo_listing(listing, final, shown)
    if dry_run:
        click.echo("dry run: nothing saved")
        return
    try:
        db = open_db(db_path)
        try:
            add_watch(db, Watch(name, final, format_duration(seconds), rows=listing.signature))
        finally:
            db.close()
    except WatchError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"saved: watch {name}, every {format_duration(seconds)} "
               f"(releasewatch schedule runs it; now: releasewatch crawl watch -a name={name})")


@watch_command.command("list")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print the watches as JSON.")
def list_command(db_path, as_json) -> None:
    """The saved watches."""
    try:
        db = open_db(db_path, create=False)
    except FileNotFoundError:
        watches = []
    else:
        try:
            watches = list_watches(db)
        finally:
            db.close()
    if as_json:
        click.echo(json.dumps([w.__dict__ for w in watches], indent=2))
        return
    if not watches:
        click.echo("no watches yet: releasewatch watch add URL")
        return
    width = max(len(w.name) for w in watches)
    for w in watches:
        click.echo(f"{w.name:<{width}}  every {w.every:<5}  {w.url}")


@watch_command.command("remove")
@click.argument("name")
@db_option
def remove_command(name, db_path) -> None:
    """Stop watching NAME (the releases it stored stay)."""
    try:
        db = open_db(db_path, create=False)
    except FileNotFoundError as error:
        raise click.ClickException(str(error)) from None
    try:
        remove_watch(db, name)
    except WatchError as error:
        raise click.ClickException(str(error)) from None
    finally:
        db.close()
    click.echo(f"removed: watch {name} (its releases stay)")
