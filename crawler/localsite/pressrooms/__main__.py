"""Serve a local press room to try ``releasewatch watch`` on:
``python -m crawler.localsite.pressrooms [NAME] [--port N]`` (Ctrl-C stops it)."""

from __future__ import annotations

import argparse

from crawler.localsite.pressrooms import STYLES, build
from crawler.localsite.serve import wait_for_interrupt
from crawler.localsite.server import LocalSite


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m crawler.localsite.pressrooms", description=__doc__)
    parser.add_argument("name", nargs="?", default="nato", choices=sorted(STYLES))
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    args = parser.parse_args(argv)
    room = build(args.name)
    with LocalSite(room.pages, port=args.port) as site:
        print(f"{args.name}: {site.url}{room.listing} (Ctrl-C stops)", flush=True)
        wait_for_interrupt()


if __name__ == "__main__":
    main()
