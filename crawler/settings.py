"""Scrapy settings for releasewatch.

The project's own settings (docs/configuration.md) default to the live sites and can be
set with ``-s NAME=value`` or, for every one of them, an environment variable of the
same name.
"""

import os

from storage import schema

__version__ = "0.1.0"


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


BOT_NAME = "releasewatch"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
COMMANDS_MODULE = "crawler.crawl.commands"  # `scrapy crawl osec`: one line, not a traceback

# --- releasewatch settings (docs/configuration.md) ----------------------------------------
RELEASEWATCH_DB = _env("RELEASEWATCH_DB", schema.DEFAULT_DB)
OSCE_BASE_URL = _env("OSCE_BASE_URL", "https://www.osce.org")
UN_NEWS_BASE_URL = _env("UN_NEWS_BASE_URL", "https://news.un.org")
UN_NEWS_FEEDS = _env("UN_NEWS_FEEDS", "/feed/subscribe/en/news/all/rss.xml")
UN_PRESS_BASE_URL = _env("UN_PRESS_BASE_URL", "https://press.un.org")
# Where conditional-GET validators and cached bodies live; default: next to the DB.
RELEASEWATCH_HTTPCACHE_DIR = _env("RELEASEWATCH_HTTPCACHE_DIR", "")
# Listing pages to follow at most in one run: 20,000 pages hold an archive of a few hundred
# thousand releases; a longer back-fill stops there as a degraded run that says so. A pager
# that goes round (pages repeating what the run listed) stops at once (crawler/crawl/middlewares.py).
RELEASEWATCH_MAX_LISTING_PAGES = int(_env("RELEASEWATCH_MAX_LISTING_PAGES", "20000"))
# A tracked list that changes by more than this many entries at once is recorded only
# when the next crawl sees the same (storage/lists.py: a half-broken menu is not news).
RELEASEWATCH_LIST_MAX_CHANGES = int(_env("RELEASEWATCH_LIST_MAX_CHANGES", "3"))
# Items per database transaction, and the longest a batch stays open (seconds): a killed
# crawl loses at most that batch, which the next run fetches again. 1 = commit every item.
RELEASEWATCH_BATCH_SIZE = int(_env("RELEASEWATCH_BATCH_SIZE", "100"))
RELEASEWATCH_BATCH_SECONDS = float(_env("RELEASEWATCH_BATCH_SECONDS", "1.0"))

# --- politeness -----------------------------------------------------------------
USER_AGENT = _env(
    "USER_AGENT",
    f"releasewatch/{__version__} (+https://github.com/releasewatch/releasewatch; "
    "press-release change tracker)",
)
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5  # each wait 0.5-1.5 x DOWNLOAD_DELAY (Scrapy 2.19's name)
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False  # no control port on a crawler that runs unattended

# --- robustness -----------------------------------------------------------------
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
REDIRECT_MAX_TIMES = 5
# Scrapy starts CONCURRENT_ITEMS asyncio tasks for every response's output, however few
# items it holds (100 by default: ~0.5 ms of CPU per page, a fifth of a bare crawl's). A
# page yields one release, or a listing's ~20 requests, and the pipelines are synchronous:
# 8 loses no parallelism (docs/benchmarks.md, "The crawl's cost per page").
CONCURRENT_ITEMS = 8
# Scrapy re-reads and parses a generator callback's source whenever its cache lost the
# bound method (~0.35 ms, every few pages); tests/test_crawl_cost.py checks our callbacks once.
WARN_ON_GENERATOR_RETURN_VALUE = False
DOWNLOADER_MIDDLEWARES = {
    # Responses pass downloader middlewares from high to low priority: these two see a
    # response before the stock RetryMiddleware (550) and RedirectMiddleware (600) act.
    "crawler.crawl.middlewares.RetryAfterMiddleware": 560,
    "crawler.crawl.middlewares.RedirectGuardMiddleware": 610,
}
SPIDER_MIDDLEWARES = {
    "crawler.crawl.middlewares.StopAtKnownMiddleware": 950,
}

# --- conditional GET: Scrapy's HTTP cache, always revalidated --------------------
HTTPCACHE_ENABLED = True
HTTPCACHE_POLICY = "crawler.crawl.httpcache.RevalidatePolicy"
HTTPCACHE_STORAGE = "crawler.crawl.httpcache.DatabaseSideCacheStorage"
HTTPCACHE_GZIP = True

# --- storage and health -----------------------------------------------------------
ITEM_PIPELINES = {
    "crawler.crawl.pipelines.ValidationPipeline": 100,
    "crawler.crawl.pipelines.StoragePipeline": 800,
}
EXTENSIONS = {
    "crawler.crawl.watches.WatchLoader": 490,  # before CrawlHealth: `scrapy crawl watch -a name=NAME`
    "crawler.crawl.health.CrawlHealth": 500,
    "crawler.crawl.progress.ProgressReporter": 510,
    "crawler.crawl.log_level.RootLogLevel": 520,  # debug lines nobody shows are not made
    "crawler.crawl.gc_freeze.GcFreeze": 900,  # last: after the others have opened
}
SPIDER_CONTRACTS = {
    "crawler.crawl.contracts.FixtureContract": 5,
}

# --- distributed mode (crawler/distributed/addon.py): off unless REDIS_URL is set ---------
REDIS_URL = _env("REDIS_URL", "")
ADDONS = {"crawler.distributed.addon.DistributedAddon": 0}

LOG_LEVEL = _env("LOG_LEVEL", "INFO")
FEED_EXPORT_ENCODING = "utf-8"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
