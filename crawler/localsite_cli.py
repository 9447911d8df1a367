"""``releasewatch localsite``: serve the bundled local copies of the sites, to crawl
without the internet (``python -m crawler.localsite.osce 8123`` does the same)."""

from __future__ import annotations

import threading
from contextlib import ExitStack, suppress

import click

DEFAULT_PORT = 8123


def serve_local_sites(names: list[str], port: int, echo=click.echo, wait=None) -> None:
    """Serve each named site (on ``port``, ``port + 1``, ...; 0: free ports), print its URL
    and the matching ``-s`` setting, and block until Ctrl-C (or ``wait()`` returns)."""
    from crawler.demo import local_site

    with ExitStack() as stack:
        for offset, name in enumerate(names):
            wanted = port + offset if port else 0
            try:
                setting, site = local_site(name, port=wanted)
            except OSError as exc:
                raise click.ClickException(f"cannot serve {name} on 127.0.0.1:{wanted}: "
                                           f"{exc.strerror or exc} (choose another --port)") from None
            stack.enter_context(site)
            echo(f"{name}: {site.url}")
            echo(f"  releasewatch crawl {name} -s {setting}={site.url} -s DOWNLOAD_DELAY=0")
        echo("serving until Ctrl-C")
        with suppress(KeyboardInterrupt):
            (wait or threading.Event().wait)()


def _site_names() -> list[str]:
    from crawler.demo import LOCAL_SITES

    return list(LOCAL_SITES)


@click.command("localsite")
@click.argument("site", type=click.Choice([*_site_names(), "all"]), default="all")
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
    serve_local_sites(_site_names() if site == "all" else [site], port)


def module_main(name: str, argv: list[str]) -> None:
    """``python -m crawler.localsite.<name> [PORT]``."""
    localsite_command.main([name, "--port", argv[0]] if argv else [name], prog_name=f"python -m crawler.localsite.{name}")
