"""What the project's settings cut from every page's cost keeps its safety nets: the
start-up objects frozen out of the cyclic GC, Scrapy's check of generator callbacks
made once here instead of on every few pages (``WARN_ON_GENERATOR_RETURN_VALUE``), and
debug lines dropped where they are made only when no handler would show them."""

from __future__ import annotations

import gc
import inspect
import io
import logging

import pytest
from scrapy import signals
from scrapy.spiderloader import SpiderLoader
from scrapy.spiders import Spider
from scrapy.utils.misc import is_generator_with_return_value
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler

from crawler.crawl.gc_freeze import GcFreeze
from crawler.crawl.log_level import RootLogLevel
from crawler.settings import EXTENSIONS


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_objects_alive_when_the_spider_opens_are_frozen(unfrozen):
    crawler = get_crawler(Spider, settings_dict={"EXTENSIONS_BASE": {}})
    extension = GcFreeze.from_crawler(crawler)  # signals hold their receivers weakly
    assert gc.get_freeze_count() == 0
    crawler.signals.send_catch_log(signals.spider_opened, spider=Spider("x"))
    assert gc.get_freeze_count() > 10_000  # imports alone leave that many
    assert extension is not None


def test_the_project_enables_it_after_its_other_extensions():
    assert EXTENSIONS["crawler.crawl.gc_freeze.GcFreeze"] == max(EXTENSIONS.values())


def test_no_spider_callback_is_a_generator_that_returns_a_value(monkeypatch):
    """Scrapy would drop such a value silently; its per-response warning is off (settings)."""
    monkeypatch.setenv("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    settings = get_project_settings()
    assert settings.getbool("WARN_ON_GENERATOR_RETURN_VALUE") is False
    loader = SpiderLoader.from_settings(settings)
    checked = 0
    for name in loader.list():
        spider = loader.load(name)
        for attr, member in inspect.getmembers(spider, inspect.isgeneratorfunction):
            assert not is_generator_with_return_value(member), f"{name}.{attr} returns a value"
            checked += 1
    assert checked >= 5  # parse_release, parse_listing, parse_home... of every spider


@pytest.fixture
def root_logging():
    """The root logger at ``NOTSET`` and ``scrapy`` at ``DEBUG``, as Scrapy leaves them;
    restored after the test."""
    root, scrapy_logger = logging.getLogger(), logging.getLogger("scrapy")
    saved = root.level, root.handlers[:], scrapy_logger.level
    root.setLevel(logging.NOTSET)
    scrapy_logger.setLevel(logging.DEBUG)
    yield root
    root.setLevel(saved[0])
    root.handlers[:] = saved[1]
    scrapy_logger.setLevel(saved[2])


def open_spider_with_root_log_level():
    crawler = get_crawler(Spider, settings_dict={"EXTENSIONS_BASE": {}})
    extension = RootLogLevel.from_crawler(crawler)
    crawler.signals.send_catch_log(signals.spider_opened, spider=Spider("x"))
    return extension


def test_debug_lines_no_handler_takes_are_dropped_where_they_are_made(root_logging):
    shown = logging.StreamHandler(io.StringIO())
    shown.setLevel(logging.INFO)  # Scrapy's handler at LOG_LEVEL=INFO, the only one (not pytest's)
    root_logging.handlers[:] = [shown]
    logging.getLogger("test_crawl_cost.quiet").setLevel(logging.ERROR)  # as Scrapy sets twisted
    scraper = logging.getLogger("scrapy.core.scraper")
    assert scraper.isEnabledFor(logging.DEBUG)  # a record made for every debug line
    open_spider_with_root_log_level()
    assert not scraper.isEnabledFor(logging.DEBUG)
    assert logging.getLogger("test_crawl_cost.quiet").level == logging.ERROR  # a level above stays
    shown.setStream(io.StringIO())
    scraper.debug("not shown")
    scraper.info("still shown")
    assert shown.stream.getvalue() == "still shown\n"


def test_the_level_stays_when_a_handler_takes_every_line(root_logging):
    root_logging.handlers[:] = [logging.StreamHandler(io.StringIO())]  # NOTSET: takes debug lines
    open_spider_with_root_log_level()
    assert root_logging.level == logging.NOTSET
    assert logging.getLogger("scrapy.core.scraper").isEnabledFor(logging.DEBUG)
    root_logging.handlers[0].setLevel(logging.INFO)
    mine = logging.getLogger("test_crawl_cost.own_handler")
    mine.addHandler(logging.StreamHandler(io.StringIO()))  # its own handler: may want debug lines
    try:
        open_spider_with_root_log_level()
        assert logging.getLogger("scrapy.core.scraper").isEnabledFor(logging.DEBUG)
    finally:
        mine.handlers.clear()


def test_the_project_enables_the_root_log_level():
    assert "crawler.crawl.log_level.RootLogLevel" in EXTENSIONS
