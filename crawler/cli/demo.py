"""``releasewatch demo``: crawl the bundled local copies of the sites, then browse."""

from __future__ import annotations

import socket

import click

from crawler.cli.args import check_writable_db, db_option


def check_port_free(host: str, port: int) -> None:
    """Refuse (one line) a port another server already holds, before any work is done."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc} "
                                   "(another server? choose one with --port)") from None


@click.command("demo")
@db_option
@click.option("--serve/--no-serve", default=True, help="Serve the result in Datasette.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface Datasette listens on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8001, show_default=True)
def demo_command(db_path, serve, host, port) -> None:
    """Crawl bundled local copies of the sites (no internet) and show the result.

    Two rounds: the sites as captured in the seed pages, then with an edited release
    and a changed OSCE menu, so the database holds versions and list changes to look at.
    """
    from crawler.localsite.demo import DemoDatabaseInUse, run_demo

    check_writable_db(db_path)
    if serve:
        check_port_free(host, port)
    def serve_while_the_sites_are_up() -> None:
        from crawler.web.serve import serve as serve_db

        serve_db(db_path, host=host, port=port, echo=click.echo)

    try:
        run_demo(db_path, echo=click.echo, while_up=serve_while_the_sites_are_up if serve else None)
    except DemoDatabaseInUse as error:
        raise click.ClickException(str(error)) from error
