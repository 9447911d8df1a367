"""Robots and politeness: robots.txt is obeyed and its refusals reported, and requests to
a site are spaced by the configured delay (measured in the local site's request log)."""

from __future__ import annotations

import itertools

import pytest

from crawler import settings as project
from crawler.localsite import osce
from crawler.localsite.server import LocalSite, Page
from tests.conftest import scrapy_crawl

pytestmark = pytest.mark.slow


def test_robots_txt_that_disallows_the_listing_fails_the_run_with_the_reason(osce_site, db_path):
    osce_site.pages["/robots.txt"] = Page("User-agent: *\nDisallow: /press-releases\n", content_type="text/plain")
    result = scrapy_crawl("osce", db_path, {"OSCE_BASE_URL": osce_site.url})
    assert osce_site.hits("/robots.txt") and not osce_site.hits("/press-releases")
    run = result.rows("SELECT status, reason FROM crawl_runs")[0]
    assert run["status"] == "failed"
    assert "listing" in run["reason"] and "Forbidden by robots.txt" in run["reason"]
    assert "/press-releases?page=0" in run["reason"]
    assert result.scalar("SELECT count(*) FROM releases") == 0


def test_requests_to_a_site_are_spaced_by_the_download_delay(db_path):
    """The project's own DOWNLOAD_DELAY and AutoThrottle (not the tests' fast settings):
    DOWNLOAD_DELAY_JITTER waits 0.5-1.5 x the delay, AutoThrottle never goes below it."""
    delay = project.DOWNLOAD_DELAY
    assert delay >= 0.5
    with LocalSite(osce.build_site(osce.seed_releases()[:1])) as site:
        result = scrapy_crawl("osce", db_path, {
            "OSCE_BASE_URL": site.url, "DOWNLOAD_DELAY": delay,
            "AUTOTHROTTLE_ENABLED": int(project.AUTOTHROTTLE_ENABLED),
            "DOWNLOAD_DELAY_JITTER": project.DOWNLOAD_DELAY_JITTER})
    assert result.rows("SELECT status FROM crawl_runs")[0]["status"] == "ok"
    arrivals = sorted(hit.at for hit in site.log)
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert len(arrivals) >= 4
    assert min(gaps) >= 0.4 * delay, gaps  # generous: the floor is 0.5 x delay
