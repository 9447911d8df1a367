"""Listing parse: ``parse_html`` + ``listing_rows`` on a listing of 20,000 undated release
links, per link against a 2,000-link listing timed in the same run (linear: a ratio near 1)."""

from __future__ import annotations

import re

from bench.report import Report, check
from bench.timing import median, timed
from spiders.extract import listing_rows, parse_html

BASELINE, LARGE = 2_000, 20_000
GOAL_RATIO = 2.0
RELEASE = re.compile(r"^/pc/\d+$")


def listing_html(links: int, *, dated: bool = True) -> bytes:
    """An OSCE-like listing page: every row a heading link (and a publishing date: a
    row without one makes the parser look for its date further up the page)."""
    date = "<span>Publishing date: {day} March 2025</span>" if dated else ""
    rows = "".join(
        f'<div class="views-row"><h3><a href="/pc/{n}">Release {n}</a></h3>{date.format(day=1 + n % 28)}</div>'
        for n in range(links))
    return (f'<html><body><nav><a href="/">Home</a></nav><main><div class="view-content">{rows}'
            f'</div></main></body></html>').encode()


def parse(body: bytes) -> int:
    return len(listing_rows(parse_html(body, "utf-8"), "https://www.osce.org/press-releases", RELEASE))


def run(report: Report, smoke: bool) -> None:
    small, large = (200, 2_000) if smoke else (BASELINE, LARGE)
    repeats = 1 if smoke else 3
    pages = {size: listing_html(size, dated=False) for size in (small, large)}
    per_link = {}
    for size, body in pages.items():
        assert parse(body) == size
        per_link[size] = median([timed(lambda body=body: parse(body)) for _ in range(repeats)]) / size
    ratio = per_link[large] / per_link[small]
    report.details["listing"] = {"links": [small, large], "us_per_link": {
        str(size): round(seconds * 1e6, 2) for size, seconds in per_link.items()}}
    report.add(check("listing", f"parse cost per link, {large:,} vs {small:,} links", ratio, "x",
                     f"< {GOAL_RATIO:.0f}x (linear)", lambda v: v < GOAL_RATIO))
