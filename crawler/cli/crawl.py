"""``releasewatch crawl``: one crawl in a subprocess (this process never loads Scrapy)."""

from __future__ import annotations

import json
import sys
from contextlib import ExitStack

import click

from crawler.cli.args import check_writable_db, db_option, parse_pairs
from storage.sources import names


@click.command("crawl")
@click.argument("spider", type=click.Choice(names()))
@db_option
@click.option("--full", is_flag=True, help="Revisit every listing page (back-fill).")
@click.option("-a", "arguments", multiple=True, metavar="NAME=VALUE", help="Spider argument.")
@click.option("-s", "settings", multiple=True, metavar="NAME=VALUE", help="Scrapy setting.")
@click.option("--timeout", type=float, default=None, help="Terminate the crawl after SECONDS.")
@click.option("--local-site", is_flag=True, help="Crawl the bundled local copy of the site (no internet).")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
def crawl_command(spider, db_path, full, arguments, settings, timeout, local_site, as_json) -> None:
    """Run one crawl in a subprocess; exit 0 ok, 1 degraded, 2 failed.

    The summary goes to stdout, live progress (and why a run was not ok) to stderr.

    \b
    Example:
        releasewatch crawl osce --local-site
        releasewatch crawl osce -s OSCE_BASE_URL=http://127.0.0.1:8123 > crawl.log
        releasewatch crawl article -a url=https://example.org/story
    """
    from crawler.progress import ProgressView
    from crawler.runner import run_crawl

    args = parse_pairs(arguments, "-a")
    scrapy_settings = parse_pairs(settings, "-s")
    if full:
        args["full"] = "1"
    try:
        check_writable_db(db_path)
    except click.ClickException as exc:
        exc.exit_code = 2  # a crawl that cannot record anything has failed
        raise
    with ExitStack() as stack:
        if local_site:
            scrapy_settings = _serve_local_site(stack, spider, scrapy_settings)
        view = ProgressView(spider)
        with view:
            outcome = run_crawl(spider, db=db_path, settings=scrapy_settings, args=args,
                                timeout=timeout, progress=view.update)
    if as_json:
        click.echo(json.dumps(outcome.as_json()))
    else:
        view.summary(outcome.status)
        click.echo(f"{outcome.label} {spider}: {outcome.status}"
                   + (f" ({outcome.reason})" if outcome.reason and outcome.status != "ok" else ""),
                   err=outcome.status != "ok")  # the counters above are on stdout either way
    sys.exit(outcome.cli_exit_code)


def _serve_local_site(stack: ExitStack, spider: str, settings: dict[str, str]) -> dict[str, str]:
    """Serve the spider's bundled local site for the crawl; its settings under ``settings``."""
    from crawler.localsite.demo import LOCAL_SETTINGS, LOCAL_SITES, local_site

    if spider not in LOCAL_SITES:
        raise click.UsageError(f"--local-site: there is no local copy of {spider} "
                               f"(local sites: {', '.join(LOCAL_SITES)})")
    setting, site = local_site(spider)
    stack.enter_context(site)
    click.echo(f"--local-site: {spider} served at {site.url}", err=True)
    return {**LOCAL_SETTINGS, setting: site.url, **settings}
