"""``releasewatch localsite``: serve the bundled local copies of the sites, to crawl
without the internet (``python -m crawler.localsite.osce 8123`` does the same)."""

from __future__ import annotations

import click

from crawler.localsite.demo import LOCAL_SITES
from crawler.localsite.serve import DEFAULT_PORT, CannotServe, serve_sites


@click.command("localsite")
@click.argument("site", type=click.Choice([*LOCAL_SITES, "all"]), default="all")
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True,
              help="Port of the first site; the next sites take the next ports (0: free ports).")
def localsite_command(site: str, port: int) -> None:
    """Serve local copies of the sites (built from the seed captures) on 127.0.0.1.

    \b
    Example:
        releasewatch localsite osce
        osce: http://127.0.0.1:8123
          releasewatch crawl osce -s OSCE_BASE_URL=http://127.0.0.1:8123 -s DOWNLOAD_DELAY=0
    """
    names = list(LOCAL_SITES) if site == "all" else [site]
    try:
        serve_sites([(name, *LOCAL_SITES[name]) for name in names], port, echo=click.echo)
    except CannotServe as exc:
        raise click.ClickException(str(exc)) from None
