"""``releasewatch changes``: the history of the tracked lists as a readable timeline."""

from __future__ import annotations

import json
import sys
from datetime import datetime

import click

from crawler.cli.args import db_option, open_reading_db
from crawler.timeline import describe, timeline_lines
from storage.lists import list_changes
from storage.normalize import TIMESTAMP_FORMAT, timestamp


def stdout_is_terminal() -> bool:
    """Whether a person is reading (a table) rather than a pipe or file (plain lines)."""
    return sys.stdout.isatty()


def _since(value: datetime | None) -> str | None:
    return timestamp(value) if value else None


@click.command("changes")
@db_option
@click.option("--since", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", TIMESTAMP_FORMAT]),
              help="Only changes detected at or after this date/time (UTC).")
@click.option("--list", "lists", multiple=True, metavar="NAME",
              help="Only this list (repeatable), e.g. participating_states.")
@click.option("--json", "as_json", is_flag=True, help="Print the changes as a JSON array.")
def changes_command(db_path, since, lists, as_json) -> None:
    """Show how the tracked lists changed, oldest first.

    \b
    Example:
        releasewatch changes --since 2026-01-01 --list participating_states
        2026-01-01  participating_states  note_changed  Switzerland: — → OSCE Chairpersonship 2026
    """
    db = open_reading_db(db_path)
    try:
        _check_lists(db, lists)
        rows = list_changes(db, since=_since(since), lists=lists)
    finally:
        db.close()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no list changes recorded" + (" for that selection" if since or lists else " yet"), err=True)
        return
    if stdout_is_terminal():
        _print_table(rows)
    else:
        for line in timeline_lines(rows):
            click.echo(line)


def _check_lists(db, lists: tuple[str, ...]) -> None:
    """A ``--list`` the database has never tracked is a usage error naming the lists it has."""
    known = [r["list"] for r in db.query("SELECT DISTINCT list FROM list_snapshots ORDER BY list")] \
        if "list_snapshots" in db.table_names() else []
    unknown = [name for name in lists if name not in known]
    if unknown:
        raise click.BadParameter(
            f"no list {unknown[0]!r} (lists: {', '.join(known) if known else 'none recorded yet'})",
            param_hint="--list")


def _print_table(rows: list[dict]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title="Tracked list changes", header_style="bold")
    for column in ("date", "list", "change", "what"):
        table.add_column(column, no_wrap=column != "what")
    styles = {"added": "green", "removed": "red", "renamed": "yellow", "note_changed": "cyan"}
    for row in rows:
        # Text(), not markup: scraped names are never interpreted.
        table.add_row(row["detected_at"][:10], row["list"], Text(row["change"], style=styles.get(row["change"], "")),
                      Text(describe(row)))
    Console().print(table)

