"""``scrapy crawl osce`` end to end against a local OSCE site, checked with SQL."""

import os
import re
from dataclasses import replace

import pytest

from crawler.localsite import osce
from crawler.localsite.server import LocalSite, Page
from tests.conftest import MARKUPS, scrapy_crawl

pytestmark = pytest.mark.slow


def crawl(site, db_path, **kw):
    return scrapy_crawl("osce", db_path, {"OSCE_BASE_URL": site.url, **kw.pop("settings", {})}, **kw)


@pytest.mark.parametrize("osce_site", MARKUPS, indirect=True)
def test_seed_releases_come_out_exactly(osce_site, db_path):
    result = crawl(osce_site, db_path)
    assert result.returncode == 0, result.output
    rows = result.rows("SELECT url, title, published, place, issuers, fields_of_work, body, source "
                       "FROM releases ORDER BY published")
    assert [(r["published"], r["place"]) for r in rows] == [
        ("2007-11-15", "VIENNA"), ("2020-02-26", "MOSCOW"), ("2024-05-17", "STRASBOURG")]
    assert [r["url"] for r in rows] == [f"{osce_site.url}/pc/49473", f"{osce_site.url}/chairpersonship/446341",
                                        f"{osce_site.url}/secretariat/568421"]
    assert [r["issuers"] for r in rows] == ['["Permanent Council"]', '["OSCE Chairpersonship"]',
                                           '["OSCE Chairpersonship", "OSCE Secretariat"]']
    assert [r["fields_of_work"] for r in rows] == ['["Conflict prevention and resolution"]'] * 2 + ["[]"]
    assert rows[0]["title"] == "OSCE plays indispensable role in Kosovo, says UN's Kosovo administrator"
    for row in rows:
        assert row["source"] == "osce"
        assert "Participating States" not in row["body"] and "Join the mailing list" not in row["body"]
    assert result.scalar("SELECT count(*) FROM release_versions") == 3
    run = result.rows("SELECT * FROM crawl_runs")[0]
    assert (run["status"], run["items_new"], run["finish_reason"]) == ("ok", 3, "finished")


@pytest.mark.parametrize("osce_site", MARKUPS, indirect=True)
def test_second_crawl_adds_nothing_and_downloads_no_release_again(osce_site, db_path):
    crawl(osce_site, db_path)
    osce_site.log.clear()
    result = crawl(osce_site, db_path)
    assert result.returncode == 0
    assert result.scalar("SELECT count(*) FROM releases") == 3
    assert result.scalar("SELECT count(*) FROM release_versions") == 3
    releases = [h for h in osce_site.log if h.path.startswith(("/pc/", "/chairpersonship/", "/secretariat/"))]
    assert len(releases) == 3 and all(h.status == 304 and h.conditional for h in releases)
    run = result.rows("SELECT status, items_new, items_unchanged FROM crawl_runs ORDER BY id DESC")[0]
    assert run == {"status": "ok", "items_new": 0, "items_unchanged": 3}


def test_edited_release_gets_one_new_version(osce_site, db_path):
    crawl(osce_site, db_path)
    rel = osce.seed_releases()[2]
    edited = replace(rel, paragraphs=rel.paragraphs[:-1] + ["A corrected final paragraph."])
    osce_site.pages[rel.path] = Page(osce.page_html(osce.seed_menu(), rel.title, osce.release_main(edited)))
    result = crawl(osce_site, db_path)
    assert result.scalar("SELECT count(*) FROM releases") == 3
    versions = result.rows("SELECT v.body FROM release_versions v JOIN releases r ON r.id = v.release_id "
                           "WHERE r.url LIKE '%/pc/49473' ORDER BY v.id")
    assert len(versions) == 2 and versions[1]["body"].endswith("A corrected final paragraph.")
    assert result.rows("SELECT items_changed FROM crawl_runs ORDER BY id DESC")[0]["items_changed"] == 1


@pytest.mark.parametrize("variant", ["legacy", "redesign"])
def test_changed_classes_still_extract_every_field(db_path, variant):
    releases = [replace(r, variant=variant) for r in osce.seed_releases()]
    with LocalSite(osce.build_site(releases)) as site:
        result = crawl(site, db_path)
    rows = result.rows("SELECT published, place, issuers FROM releases ORDER BY published")
    assert [r["published"] for r in rows] == ["2007-11-15", "2020-02-26", "2024-05-17"]
    assert [r["place"] for r in rows] == ["VIENNA", "MOSCOW", "STRASBOURG"]
    assert result.rows("SELECT status FROM crawl_runs")[0]["status"] == "ok"


def test_page_without_a_release_marks_the_run_degraded(osce_site, db_path):
    osce_site.pages["/pc/49473"] = Page("<html><body><h1>Site under maintenance</h1>"
                                        "<p>Back soon.</p></body></html>")
    result = crawl(osce_site, db_path)
    assert result.scalar("SELECT count(*) FROM releases") == 2
    run = result.rows("SELECT status, reason, errors FROM crawl_runs")[0]
    assert run["status"] == "degraded" and "/pc/49473" in run["reason"] and run["errors"] == 1
    assert "DEGRADED" in result.output
    assert result.rows("SELECT url FROM crawl_errors")[0]["url"].endswith("/pc/49473")


def test_unreachable_listing_fails_the_run_loudly(osce_site, db_path):
    for path in ("/press-releases", "/press-releases?page=0"):
        osce_site.pages[path] = Page("oops", status=500)
    result = crawl(osce_site, db_path)
    run = result.rows("SELECT status, reason FROM crawl_runs")[0]
    assert run["status"] == "failed" and "listing" in run["reason"]
    assert "FAILED" in result.output


def test_listing_without_release_links_is_a_failure_not_silence(osce_site, db_path):
    osce_site.pages["/press-releases?page=0"] = Page(osce.page_html(osce.seed_menu(), "Press releases",
                                                                    "<h1>Press releases</h1><p>No results.</p>"))
    result = crawl(osce_site, db_path)
    assert result.rows("SELECT status FROM crawl_runs")[0]["status"] == "failed"


@pytest.mark.parametrize("markup", MARKUPS)
def test_incremental_crawl_stops_paging_at_known_releases(db_path, markup):
    releases = osce.generated_releases(25)
    with LocalSite(osce.build_site(releases, per_page=10, markup=markup)) as site:
        crawl(site, db_path)
        assert len(site.hits("/press-releases?page=")) == 3
        site.log.clear()
        new = osce.generated_releases(1, start_id=900000, seed=99)
        site.pages = osce.build_site(new + releases, per_page=10, markup=markup)
        result = crawl(site, db_path)
        listing = sorted(h.path for h in site.hits("/press-releases?page="))
        full_downloads = [h.path for h in site.log if h.status == 200 and h.path.startswith("/pc/")]
        assert listing == ["/press-releases?page=0", "/press-releases?page=1"]
        assert full_downloads == [new[0].path]
        assert result.scalar("SELECT count(*) FROM releases") == 26
        site.log.clear()
        crawl(site, db_path, args={"full": "1"})
        assert len(site.hits("/press-releases?page=")) == 3


def test_a_listing_page_down_leaves_no_gap_for_the_next_run(db_path):
    """Page 1 shows a maintenance notice (HTTP 200): the run is degraded, and the next
    healthy run does not stop at page 0 (stored by that run) but fills the gap."""
    releases = osce.generated_releases(25)
    with LocalSite(osce.build_site(releases, per_page=10)) as site:
        good = site.pages["/press-releases?page=1"]
        site.pages["/press-releases?page=1"] = Page(
            "<html><body><h1>Site under maintenance</h1><p>Back soon.</p></body></html>")
        result = crawl(site, db_path)
        assert result.rows("SELECT status FROM crawl_runs")[0]["status"] == "degraded"
        assert result.scalar("SELECT count(*) FROM releases") == 10
        site.pages["/press-releases?page=1"] = good
        result = crawl(site, db_path)
        assert result.scalar("SELECT count(*) FROM releases") == 25
        assert result.rows("SELECT status FROM crawl_runs ORDER BY id DESC")[0]["status"] == "ok"


def test_absolute_links_to_the_live_site_are_followed_on_the_local_copy(db_path):
    """A copy whose pages link to https://www.osce.org/... is crawled as the copy itself."""
    pages = osce.build_site(osce.generated_releases(12), per_page=10)
    for path, page in pages.items():
        if path == "/" or path.startswith("/press-releases"):
            text = page.data.decode()
            live = re.sub(r'href="/(pc/|press-releases|countries/closed)', r'href="https://www.osce.org/\1', text)
            assert live != text
            pages[path] = replace(page, body=live)
    with LocalSite(pages) as site:
        result = crawl(site, db_path)
        assert result.scalar("SELECT count(*) FROM releases") == 12
        assert result.scalar("SELECT count(*) FROM releases WHERE url NOT LIKE ?", [site.url + "/%"]) == 0
        assert result.scalar("SELECT count(*) FROM list_snapshots WHERE list = 'closed_field_operations'") == 1
        assert result.rows("SELECT status FROM crawl_runs")[0]["status"] == "ok"


def test_crawler_stays_on_its_domain_and_obeys_robots(osce_site, db_path):
    osce_site.pages["/robots.txt"] = Page("User-agent: *\nDisallow: /pc/\n", content_type="text/plain")
    result = crawl(osce_site, db_path)
    assert not osce_site.hits("/pc/")
    assert result.scalar("SELECT count(*) FROM releases") == 2
    assert result.rows("SELECT status FROM crawl_runs")[0]["status"] == "degraded"


def test_scrapy_check_contracts_pass(tmp_path):
    import subprocess
    import sys

    from tests.conftest import ROOT
    proc = subprocess.run([sys.executable, "-m", "scrapy", "check", "osce"], cwd=ROOT, env={**os.environ, "RELEASEWATCH_FIXTURES": str(ROOT / "tests" / "files"),
                                                   "RELEASEWATCH_DB": str(tmp_path / "rw.db")},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "OK" in proc.stderr
    assert not (tmp_path / "rw.db").exists()  # a check is not a crawl: nothing recorded
