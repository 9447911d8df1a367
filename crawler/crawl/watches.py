"""Loads a saved watch into the ``watch`` spider: ``scrapy crawl watch -a name=NAME``.

Spiders never touch the database (docs/architecture.md), so the spider only says what it
lacks (``needs_watch``: a watch name but no ``-a url=``) and this extension, on
``spider_opened`` (before the spider's ``start()`` is read and before the offsite filter
reads ``allowed_domains``), reads the watch saved by ``releasewatch watch add`` and hands it
over with ``use_watch(url, rows)``. The runner, the CLI and the scheduler pass
``-a name= -a url= -a rows=`` themselves; then nothing is read here. No such watch: the
spider has no URL and its run fails loudly.
"""

from __future__ import annotations

from pathlib import Path

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from storage import open_db
from storage.watches import Watch, WatchError, get_watch


def load_watch(db_path: str | None, name: str) -> Watch | None:
    """The saved watch ``name`` (None: no database or no such watch)."""
    if not db_path or not Path(db_path).exists():
        return None
    db = open_db(db_path)
    try:
        return get_watch(db, name)
    except WatchError:
        return None
    finally:
        db.close()


class WatchLoader:
    """Gives a ``watch`` spider started with only ``-a name=NAME`` its saved URL and rows."""

    def __init__(self, db_path: str | None):
        self.db_path = db_path

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WatchLoader:
        ext = cls(crawler.settings.get("RELEASEWATCH_DB"))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        if not getattr(spider, "needs_watch", False):
            return
        saved = load_watch(self.db_path, spider.name)
        if saved is not None:
            spider.use_watch(saved.url, saved.rows)
