"""The ``releasewatch`` command: crawl, demo, and (with their issues) schedule, serve,
status, changes and ingest. Built with click, in the style of sqlite-utils/Datasette."""

from __future__ import annotations

import json
import os
import sys

import click

from crawler.cli_args import parse_pairs
from crawler.runner import run_crawl

DEFAULT_DB = "releasewatch.db"
SPIDERS = ("osce", "un_news", "un_press", "article", "watch")


def db_option(func):
    return click.option(
        "--db", "db_path", default=lambda: os.environ.get("RELEASEWATCH_DB", DEFAULT_DB),
        show_default=DEFAULT_DB, help="SQLite database (env RELEASEWATCH_DB).",
    )(func)


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
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
def crawl(spider, db_path, full, arguments, settings, timeout, as_json) -> None:
    """Run one crawl in a subprocess; exit 0 ok, 1 degraded, 2 failed.

    \b
    Example:
        releasewatch crawl osce -s OSCE_BASE_URL=http://127.0.0.1:8123
        releasewatch crawl article -a url=https://example.org/story
    """
    args = parse_pairs(arguments, "-a")
    if full:
        args["full"] = "1"
    from crawler.progress import ProgressView

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


@main.command()
@db_option
@click.option("--serve/--no-serve", default=True, help="Serve the result in Datasette.")
@click.option("--port", default=8001, show_default=True)
def demo(db_path, serve, port) -> None:
    """Crawl bundled local copies of the sites (no internet) and show the result.

    Two rounds: the sites as captured, then with an edited release and a changed
    OSCE menu, so the database holds versions and list changes to look at.
    """
    from crawler.demo import DemoDatabaseInUse, run_demo

    try:
        run_demo(db_path, echo=click.echo)
    except DemoDatabaseInUse as error:
        raise click.ClickException(str(error)) from error
    if serve:
        from crawler.serve import serve as serve_db

        serve_db(db_path, port=port, echo=click.echo)

import crawler.changes_cli  # noqa: E402, F401  (registers `releasewatch changes` on main)
import crawler.watch_cli  # noqa: E402, F401  (issue 21: registers `releasewatch watch` on main)
from crawler.schedule_cli import schedule_command, status_command  # noqa: E402
from crawler.serve import serve_command  # noqa: E402

main.add_command(schedule_command)
main.add_command(status_command)
main.add_command(serve_command)
__import__("crawler.ingest").ingest.register(main)  # issue 10: `releasewatch ingest` and `releasewatch seed`

if __name__ == "__main__":
    main()
