"""The crawl freezes its start-up objects out of the cyclic GC when the spider opens."""

from __future__ import annotations

import gc

import pytest
from scrapy import signals
from scrapy.spiders import Spider
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
