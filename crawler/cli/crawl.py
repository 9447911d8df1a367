"""``releasewatch crawl``: one crawl in a subprocess (this process never loads Scrapy)."""

from __future__ import annotations

import json
import sys

import click

from crawler.cli.args import db_option, parse_pairs
from storage.sources import names


@click.command("crawl")
@click.argument("spider", type=click.Choice(names()))
@db_option
@click.option("--full", is_flag=True, help="Revisit every listing page (back-fill).")
@click.option("-a", "arguments", multiple=True, metavar="NAME=VALUE", help="Spider argument.")
@click.option("-s", "settings", multiple=True, metavar="NAME=VALUE", help="Scrapy setting.")
@click.option("--timeout", type=float, default=None, help="Terminate the crawl after SECONDS.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
def crawl_command(spider, db_path, full, arguments, settings, timeout, as_json) -> None:
    """Run one crawl in a subprocess; exit 0 ok, 1 degraded, 2 failed.

    \b
    Example:
        releasewatch crawl osce -s OSCE_BASE_URL=http://127.0.0.1:8123
        releasewatch crawl article -a url=https://example.org/story
    """
    from crawler.progress import ProgressView
    from crawler.runner import run_crawl

    args = parse_pairs(arguments, "-a")
    if full:
        args["full"] = "1"
    view = ProgressView(spider)
    with view:
        outcome = run_crawl(spider, db=db_path, settings=parse_pairs(settings, "-s"), args=args,
                            timeout=timeout, progress=view.update)
    if not as_json:
        view.summary(outcome.status)
    if as_json:
        click.echo(json.dumps(outcome.__dict__))
    else:
        click.echo(f"run {outcome.run_id} {spider}: {outcome.status}"
                   + (f" ({outcome.reason})" if outcome.reason and outcome.status != "ok" else ""),
                   err=outcome.status != "ok")
    sys.exit(outcome.cli_exit_code)
