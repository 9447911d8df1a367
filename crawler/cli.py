"""The ``releasewatch`` command: crawl, demo, and (in their own modules) schedule, serve,
status, changes, ingest, localsite, search/show/diff and check/notify/prune. Built with
click, in the style of sqlite-utils/Datasette."""

from __future__ import annotations

import json
import socket
import sys
from contextlib import ExitStack

import click

from crawler.cli_args import parse_pairs
from crawler.cli_db import check_writable_db, db_option
from crawler.runner import run_crawl
from crawler.spider_names import SPIDERS


@click.group()
@click.version_option(package_name="releasewatch")
def main() -> None:
    """Watch OSCE and UN press releases: crawl, deduplicate, track lists, browse."""


@main.command()
@click.argument("spider", type=click.Choice(SPIDERS))
@db_option
@click.option("--full", is_flag=True, help="Revisit every listing page (back-fill).")
@click.option("-a", "arguments", multiple=True, metavar="NAME=VALUE", help="Spider argument.")
@click.option("-s", "settings", multiple=True, metavar="NAME=VALUE", help="Scrapy setting.")
@click.option("--timeout", type=float, default=None, help="Terminate the crawl after SECONDS.")
@click.option("--local-site", is_flag=True, help="Crawl the bundled local copy of the site (no internet).")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
def crawl(spider, db_path, full, arguments, settings, timeout, local_site, as_json) -> None:
    """Run one crawl in a subprocess; exit 0 ok, 1 degraded, 2 failed.

    The summary goes to stdout, live progress (and why a run was not ok) to stderr.

    \b
    Example:
        releasewatch crawl osce --local-site
        releasewatch crawl osce -s OSCE_BASE_URL=http://127.0.0.1:8123 > crawl.log
        releasewatch crawl article -a url=https://example.org/story
    """
    args = parse_pairs(arguments, "-a")
    scrapy_settings = parse_pairs(settings, "-s")
    if full:
        args["full"] = "1"
    try:
        check_writable_db(db_path)
    except click.ClickException as exc:
        exc.exit_code = 2  # a crawl that cannot record anything has failed
        raise
    from crawler.progress import ProgressView

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
    from crawler.demo import LOCAL_SETTINGS, LOCAL_SITES, local_site

    if spider not in LOCAL_SITES:
        raise click.UsageError(f"--local-site: there is no local copy of {spider} "
                               f"(local sites: {', '.join(LOCAL_SITES)})")
    setting, site = local_site(spider)
    stack.enter_context(site)
    click.echo(f"--local-site: {spider} served at {site.url}", err=True)
    return {**LOCAL_SETTINGS, setting: site.url, **settings}


def check_port_free(host: str, port: int) -> None:
    """Refuse (one line) a port another server already holds, before any work is done."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc} "
                                   "(another server? choose one with --port)") from None


@main.command()
@db_option
@click.option("--serve/--no-serve", default=True, help="Serve the result in Datasette.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface Datasette listens on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8001, show_default=True)
def demo(db_path, serve, host, port) -> None:
    """Crawl bundled local copies of the sites (no internet) and show the result.

    Two rounds: the sites as captured in the seed pages, then with an edited release
    and a changed OSCE menu, so the database holds versions and list changes to look at.
    """
    from crawler.demo import DemoDatabaseInUse, run_demo

    check_writable_db(db_path)
    if serve:
        check_port_free(host, port)
    try:
        run_demo(db_path, echo=click.echo)
    except DemoDatabaseInUse as error:
        raise click.ClickException(str(error)) from error
    if serve:
        from crawler.serve import serve as serve_db

        serve_db(db_path, host=host, port=port, echo=click.echo)


def _register() -> None:
    """Add the commands that live in their own modules (imported here, after ``main``)."""
    from crawler.changes_cli import changes_command
    from crawler.localsite_cli import localsite_command
    from crawler.ops_cli import check_command, notify_command, prune_command
    from crawler.reading_cli import diff_command, search_command, show_command
    from crawler.schedule_cli import schedule_command, status_command
    from crawler.serve import serve_command

    for command in (changes_command, schedule_command, status_command, serve_command, localsite_command, search_command,
                    show_command, diff_command, check_command, notify_command, prune_command):
        main.add_command(command)
    __import__("crawler.ingest").ingest.register(main)  # issue 10: `releasewatch ingest` and `releasewatch seed`


_register()

if __name__ == "__main__":
    main()
