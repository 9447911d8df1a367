"""HTTP faults and bad pages on a local OSCE site, in one ``scrapy crawl osce`` run.

Every release of the site misbehaves in its own way (``FAULTS``): server errors, 404,
429 with Retry-After, connection resets, a half-sent page, a server that hangs, redirect
loops, a redirect to another domain, a maintenance page, 50 MB pages, an empty page, a
release without body and one dated 31 February. One crawl (module fixture) keeps the
suite fast; each test checks one fault through the server log and SQL on the database:
retried and stored, or reported in ``crawl_errors``, while the run goes on.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from crawler.crawl.middlewares import retry_after_seconds
from crawler.localsite import osce
from crawler.localsite.server import LocalSite, Page
from tests.conftest import scrapy_crawl

MENU = osce.seed_menu()
MAINTENANCE = osce.page_html(MENU, "Scheduled maintenance", (
    '<div class="region region-content"><h1 class="page-title">Scheduled maintenance</h1>'
    "<p>The OSCE website is undergoing scheduled maintenance and will be back shortly. "
    "We apologise for any inconvenience this may cause and thank you for your patience.</p></div>"))
HUGE_CHUNK = b"<p>" + b"x" * (1 << 20) + b"</p>"  # x 50 = a 50 MB page

# fault name -> how the release page misbehaves (given its good page and its release)
FAULTS = {
    "good": lambda page, rel: page,
    "5xx-then-ok": lambda page, rel: Page("busy", status=503, then=Page("oops", status=500, then=page)),
    "404": lambda page, rel: Page("<h1>Page not found</h1>", status=404),
    "429-retry-after": lambda page, rel: Page("slow down", status=429, headers={"Retry-After": "2"}, then=page),
    "reset": lambda page, rel: Page("", fault="reset"),
    "reset-once": lambda page, rel: Page("", fault="reset", then=page),
    "half-sent": lambda page, rel: replace(page, fault="truncate"),
    "hangs": lambda page, rel: replace(page, delay=8),
    "redirect-loop": lambda page, rel: Page("", status=302, headers={"Location": rel.path + "-moved"}),
    "redirect-offsite": lambda page, rel: Page("", status=301, headers={"Location": "OFFSITE" + rel.path}),
    "maintenance-200": lambda page, rel: Page(MAINTENANCE),
    "50mb-streamed": lambda page, rel: Page(HUGE_CHUNK, repeat=50, chunked=True),
    "50mb-announced": lambda page, rel: Page(HUGE_CHUNK, repeat=50),
    "empty-200": lambda page, rel: Page(b""),
    "no-body": lambda page, rel: Page(osce.page_html(MENU, rel.title, osce.release_main(replace(rel, paragraphs=[])))),
    "31-february": lambda page, rel: Page(osce.page_html(MENU, rel.title, osce.release_main(rel))),
}
STORED = {"good", "5xx-then-ok", "429-retry-after", "reset-once", "31-february"}


def feb31(rel: osce.Release) -> osce.Release:
    day = rel.date
    return replace(rel, date="31 February 2020",
                   paragraphs=[rel.paragraphs[0].replace(day, "31 February 2020"), *rel.paragraphs[1:]])


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    """``(site, elsewhere, result, paths)`` of one crawl over a site where every release fails its own way."""
    releases = osce.generated_releases(len(FAULTS))
    releases[-1] = feb31(releases[-1])  # the listing shows 31 February too
    pages = osce.build_site(releases, per_page=len(releases))
    paths = dict(zip(FAULTS, (r.path for r in releases), strict=True))
    db_path = tmp_path_factory.mktemp("faults") / "releasewatch.db"
    with LocalSite() as elsewhere, LocalSite(pages) as site:
        offsite = elsewhere.url.replace("127.0.0.1", "localhost")  # another host name, same machine
        for make, rel in zip(FAULTS.values(), releases, strict=True):
            page = make(pages[rel.path], rel)
            if "Location" in page.headers:
                page.headers["Location"] = page.headers["Location"].replace("OFFSITE", offsite)
            site.pages[rel.path] = page
        elsewhere.pages[paths["redirect-offsite"]] = pages[paths["redirect-offsite"]]
        site.pages[paths["redirect-loop"] + "-moved"] = Page("", status=301, headers={"Location": paths["redirect-loop"]})
        result = scrapy_crawl("osce", db_path, {"OSCE_BASE_URL": site.url, "RETRY_TIMES": 2,
                                                "DOWNLOAD_TIMEOUT": 1})
        yield site, elsewhere, result, paths


@pytest.fixture(scope="module")
def site(faulty):
    return faulty[0]


@pytest.fixture(scope="module")
def result(faulty):
    return faulty[2]


@pytest.fixture(scope="module")
def paths(faulty):
    return faulty[3]


@pytest.fixture(scope="module")
def stored(result, paths) -> set[str]:
    urls = {row["url"] for row in result.rows("SELECT url FROM releases")}
    return {fault for fault, path in paths.items() if any(url.endswith(path) for url in urls)}


def errors(result, site, path: str) -> list[str]:
    return [row["error"] for row in result.rows("SELECT error FROM crawl_errors WHERE url = ?", [site.url + path])]


pytestmark = pytest.mark.slow


def test_run_goes_on_stores_the_good_and_the_recovered_and_says_degraded(result, stored, paths):
    assert stored == STORED
    run = result.rows("SELECT status, errors, items_new FROM crawl_runs")[0]
    assert run["status"] == "degraded" and run["items_new"] == len(STORED)
    reported = {row["url"] for row in result.rows("SELECT DISTINCT url FROM crawl_errors")}
    assert len(reported) == len(FAULTS) - len(STORED) + 1  # + the 31 February release, stored but flagged
    assert "DEGRADED" in result.output


def test_server_errors_are_retried_until_the_release_arrives(site, paths, stored):
    assert [hit.status for hit in site.hits(paths["5xx-then-ok"])] == [503, 500, 200]
    assert "5xx-then-ok" in stored


def test_missing_release_is_recorded(site, result, paths, stored):
    assert errors(result, site, paths["404"]) == ["could not fetch: HTTP 404"]
    assert "404" not in stored


def test_retry_after_is_waited_for(site, paths, stored):
    limited, retried = site.hits(paths["429-retry-after"])
    assert (limited.status, retried.status) == (429, 200)
    assert retried.at - limited.at >= 1.8  # asked for 2 s; without the wait it takes milliseconds
    assert "429-retry-after" in stored


def test_retry_after_reads_seconds_and_http_dates():
    assert retry_after_seconds(b"120") == 120.0
    assert retry_after_seconds(b"-5") == retry_after_seconds(b"soon") == 0.0
    later = datetime.now(UTC) + timedelta(seconds=30)
    assert 25 < retry_after_seconds(format_datetime(later, usegmt=True).encode()) <= 30
    assert retry_after_seconds(format_datetime(later - timedelta(hours=1), usegmt=True)) == 0.0


def test_connection_reset_is_retried_then_reported(site, result, paths, stored):
    assert [hit.status for hit in site.hits(paths["reset-once"])][-1] == 200
    assert "reset-once" in stored
    assert len(site.hits(paths["reset"])) >= 3  # RETRY_TIMES=2
    assert "lost" in errors(result, site, paths["reset"])[0]
    assert "reset" not in stored


def test_half_sent_page_is_not_stored(site, result, paths, stored):
    assert "closed before the whole page" in errors(result, site, paths["half-sent"])[0]
    assert "half-sent" not in stored


def test_hanging_server_times_out(site, result, paths, stored):
    assert "took longer than 1" in errors(result, site, paths["hangs"])[0]
    assert "hangs" not in stored


def test_redirect_loop_is_reported_not_silently_dropped(site, result, paths):
    path = paths["redirect-loop"]
    assert len(site.hits(path)) <= 3 * 2  # no endless ping-pong (and retries do not apply)
    assert errors(result, site, path) == [f"could not fetch: IgnoreRequest: redirect loop back to {site.url}{path}"]


def test_redirect_to_another_domain_is_not_followed_and_is_reported(faulty, result, paths, stored):
    site, elsewhere = faulty[0], faulty[1]
    assert elsewhere.log == []
    [error] = errors(result, site, paths["redirect-offsite"])
    assert "redirected off the site to http://localhost:" in error
    assert "redirect-offsite" not in stored


def test_maintenance_page_with_status_200_is_not_a_release(site, result, paths, stored):
    assert "no release found" in errors(result, site, paths["maintenance-200"])[0]
    assert result.scalar("SELECT count(*) FROM releases WHERE title LIKE '%maintenance%'") == 0


def test_50mb_page_is_cut_off_at_the_settings_download_maxsize(site, result, paths, stored):
    sent = sum(hit.size for fault in ("50mb-streamed", "50mb-announced") for hit in site.hits(paths[fault]))
    assert sent < 25 * (1 << 20)  # of 2 x 50 MB
    assert "DOWNLOAD_MAXSIZE" in errors(result, site, paths["50mb-streamed"])[0]
    assert "larger than download max size (10485760)" in errors(result, site, paths["50mb-announced"])[0]
    assert not {"50mb-streamed", "50mb-announced"} & stored


def test_empty_page_and_release_without_body_are_reported(site, result, paths, stored):
    assert "no release found" in errors(result, site, paths["empty-200"])[0]
    assert "missing body" in " ".join(errors(result, site, paths["no-body"]))
    assert not {"empty-200", "no-body"} & stored


def test_impossible_date_is_flagged_and_the_text_kept(site, result, paths):
    row = result.rows("SELECT published, body FROM releases WHERE url = ?", [site.url + paths["31-february"]])[0]
    assert row["published"] is None
    assert "31 February 2020" in row["body"]
    assert "readable date" in " ".join(errors(result, site, paths["31-february"]))
