"""Shared fixtures: local copies of the sites on 127.0.0.1 and a ``scrapy crawl`` runner."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request

from crawler.localsite import osce
from crawler.localsite.server import LocalSite
from storage import open_db

ROOT = Path(__file__).resolve().parent.parent
FILES = Path(__file__).resolve().parent / "files"
FAST = {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "0", "RETRY_TIMES": "1",
        "DOWNLOAD_TIMEOUT": "5", "LOG_LEVEL": "INFO"}


def fixture_response(name: str, url: str, **meta) -> HtmlResponse:
    """A saved page from ``tests/files`` as if downloaded from ``url``."""
    request = Request(url, meta=meta)
    return HtmlResponse(url=url, body=(FILES / name).read_bytes(), encoding="utf-8", request=request)


@dataclass
class CrawlResult:
    returncode: int
    output: str
    db_path: Path

    def rows(self, sql: str, params=()) -> list[dict]:
        db = open_db(self.db_path)
        try:
            return list(db.query(sql, params))
        finally:
            db.close()

    def scalar(self, sql: str, params=()):
        return next(iter(self.rows(sql, params)[0].values()))


def scrapy_crawl(spider: str, db_path: Path, settings: dict | None = None,
                 args: dict | None = None, timeout: float = 120, env: dict | None = None) -> CrawlResult:
    """Run ``scrapy crawl`` as a user would, from the project root."""
    command = [sys.executable, "-m", "scrapy", "crawl", spider, "-s", f"RELEASEWATCH_DB={db_path}"]
    for key, value in {**FAST, **(settings or {})}.items():
        command += ["-s", f"{key}={value}"]
    for key, value in (args or {}).items():
        command += ["-a", f"{key}={value}"]
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})
    return CrawlResult(proc.returncode, proc.stdout + proc.stderr, db_path)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "releasewatch.db"


MARKUPS = ("current", "live")  # the local sites' markups (docs/sites.md); parametrize with indirect=True


@pytest.fixture
def osce_site(request):
    """The seed releases and menu on a local OSCE site (in the markup ``request.param``)."""
    markup = getattr(request, "param", "current")
    with LocalSite(osce.build_site(osce.seed_releases(), markup=markup)) as site:
        yield site


def local_un_news(stories, **kwargs) -> LocalSite:
    """A (not yet started) local UN News serving ``stories``; feeds link to its own URL."""
    from crawler.localsite import un_news

    site = LocalSite()
    site.pages = un_news.build_site(stories, site.url, **kwargs)
    return site


@pytest.fixture
def un_news_site(request):
    """Three generated 2025 stories and the two seed stories on a local UN News (in the
    markup ``request.param``)."""
    from crawler.localsite import un_news

    markup = getattr(request, "param", "current")
    with local_un_news(un_news.generated_stories(3) + un_news.seed_stories(), markup=markup) as site:
        yield site


@pytest.fixture
def mirror_site():
    """The seed-002 copy of the 2009 Kosovo story on a local mirror (another port)."""
    from crawler.localsite import mirror

    with LocalSite(mirror.build_site([mirror.seed_copy()])) as site:
        yield site
