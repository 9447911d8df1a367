"""``releasewatch demo``: crawl the bundled local copies of the sites, then browse."""

from __future__ import annotations

import click

from crawler.cli.args import db_option


@click.command("demo")
@db_option
@click.option("--serve/--no-serve", default=True, help="Serve the result in Datasette.")
@click.option("--port", default=8001, show_default=True)
def demo_command(db_path, serve, port) -> None:
    """Crawl bundled local copies of the sites (no internet) and show the result.

    Two rounds: the sites as captured, then with an edited release and a changed
    OSCE menu, so the database holds versions and list changes to look at.
    """
    from crawler.localsite.demo import DemoDatabaseInUse, run_demo

    try:
        run_demo(db_path, echo=click.echo)
    except DemoDatabaseInUse as error:
        raise click.ClickException(str(error)) from error
    if serve:
        from crawler.web.serve import serve as serve_db

        serve_db(db_path, port=port, echo=click.echo)
