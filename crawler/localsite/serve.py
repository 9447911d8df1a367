"""Serve bundled local copies of the sites until Ctrl-C: ``releasewatch localsite``
(``crawler/cli/localsite.py``) and ``python -m crawler.localsite.<site> [PORT]``."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from contextlib import ExitStack, suppress

from crawler.localsite.server import LocalSite, Page

DEFAULT_PORT = 8123

#: A site to serve: its spider's name, the base-URL setting, and its pages given its URL.
Site = tuple[str, str, Callable[[str], dict[str, Page]]]


def wait_for_interrupt(wait: Callable[[], object] | None = None) -> None:
    """Block until Ctrl-C (or until ``wait()`` returns)."""
    with suppress(KeyboardInterrupt):
        (wait or threading.Event().wait)()


class CannotServe(Exception):
    """A site's port is taken (or cannot be bound): one line saying which."""


def serve_sites(sites: list[Site], port: int, echo: Callable[[str], None] = print,
                wait: Callable[[], object] | None = None) -> None:
    """Serve each site (on ``port``, ``port + 1``, ...; 0: free ports), print its URL and
    the matching ``-s`` setting, and block until Ctrl-C (or ``wait()`` returns)."""
    with ExitStack() as stack:
        for offset, (name, setting, pages) in enumerate(sites):
            wanted = port + offset if port else 0
            try:
                site = LocalSite(port=wanted)
            except OSError as exc:
                raise CannotServe(f"cannot serve {name} on 127.0.0.1:{wanted}: "
                                  f"{exc.strerror or exc} (choose another --port)") from None
            site.pages = pages(site.url)
            stack.enter_context(site)
            echo(f"{name}: {site.url}")
            echo(f"  releasewatch crawl {name} -s {setting}={site.url} -s DOWNLOAD_DELAY=0")
        echo("serving until Ctrl-C")
        wait_for_interrupt(wait)


def module_main(name: str, setting: str, pages: Callable[[str], dict[str, Page]], argv: list[str]) -> None:
    """``python -m crawler.localsite.<name> [PORT]``: exit 2 on a bad PORT, 1 when it is taken."""
    if len(argv) > 1 or (argv and not (argv[0].isdigit() and int(argv[0]) <= 65535)):
        print(f"Usage: python -m crawler.localsite.{name} [PORT]\n"
              "Error: PORT must be one number from 0 to 65535", file=sys.stderr)
        sys.exit(2)
    try:
        serve_sites([(name, setting, pages)], int(argv[0]) if argv else DEFAULT_PORT,
                    echo=lambda line: print(line, flush=True))
    except CannotServe as exc:
        print(f"Error: {exc}", file=sys.stderr)
        sys.exit(1)
