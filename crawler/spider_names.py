"""The project's spider names, known without importing Scrapy.

The scheduler daemon and the reading commands must not load Scrapy, yet a config naming
``spider = "osec"`` should fail when it is loaded. ``tests/test_cli_newcomer.py`` checks
this tuple against Scrapy's own spider loader, so it cannot drift.
"""

from __future__ import annotations

SPIDERS = ("osce", "un_news", "un_press", "article")


def unknown_spider(name: str) -> str | None:
    """``None`` for a known spider, else the one line that says so and names the spiders."""
    if name in SPIDERS:
        return None
    return f"unknown spider {name!r} (spiders: {', '.join(SPIDERS)})"
