"""What the project's settings cut from every page's cost keeps its safety nets: the
start-up objects frozen out of the cyclic GC, and Scrapy's check of generator callbacks
made once here instead of on every few pages (``WARN_ON_GENERATOR_RETURN_VALUE``)."""

from __future__ import annotations

import gc
import inspect

import pytest
from scrapy import signals
from scrapy.spiderloader import SpiderLoader
from scrapy.spiders import Spider
from scrapy.utils.misc import is_generator_with_return_value
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler

from crawler.crawl.gc_freeze import GcFreeze
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
