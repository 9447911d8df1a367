"""``scrapy crawl un_news`` end to end against a local UN News, checked with SQL."""

import json
import os
from dataclasses import replace

import pytest

from crawler.localsite import un_news
from crawler.localsite.server import Page
from tests.conftest import MARKUPS, local_un_news, scrapy_crawl

pytestmark = pytest.mark.slow
KOSOVO, OSCE = un_news.seed_stories()


def crawl(site, db_path, **kw):
    return scrapy_crawl("un_news", db_path, {"UN_NEWS_BASE_URL": site.url, **kw.pop("settings", {})}, **kw)


def last_run(result) -> dict:
    return result.rows("SELECT * FROM crawl_runs ORDER BY id DESC")[0]


@pytest.mark.parametrize("un_news_site", MARKUPS, indirect=True)
def test_feed_stories_are_stored_field_by_field(un_news_site, db_path):
    result = crawl(un_news_site, db_path)
    assert result.returncode == 0, result.output
    rows = {r["url"]: r for r in result.rows("SELECT * FROM releases")}
    assert len(rows) == 5
    osce = rows[un_news_site.url + OSCE.path]
    assert osce["title"] == "Cooperation between UN and OSCE stronger than ever, says Ban Ki-moon"
    assert (osce["published"], osce["source"]) == ("2007-11-29", "un_news")
    assert json.loads(osce["topics"]) == ["UN Affairs", "Peace and Security"]
    assert osce["lead"].startswith("Whether it is collaboration on Kosovo")
    assert osce["body"].startswith("Whether it is collaboration on Kosovo or cooperation")
    assert osce["body"].endswith("to build better lives for people everywhere.\u201d")
    kosovo = rows[un_news_site.url + KOSOVO.path]
    assert (kosovo["title"], kosovo["published"]) == (KOSOVO.title, "2009-10-05")
    assert json.loads(kosovo["topics"]) == ["Peace and Security"]
    assert kosovo["body"].startswith("Secretary-General Ban Ki-moon today commended")
    assert kosovo["body"].endswith("reaching its authorized strength of 510 personnel.")
    for row in rows.values():
        for chrome in ("Global perspective Human stories", "Related stor", "Share this", "Subscribe"):
            assert chrome not in row["body"]
        assert row["place"] is None and row["issuers"] == "[]"
    assert result.scalar("SELECT count(*) FROM release_versions") == 5
    assert result.scalar("SELECT count(*) FROM release_urls") == 5
    run = last_run(result)
    assert (run["spider"], run["status"], run["items_new"]) == ("un_news", "ok", 5)


@pytest.mark.parametrize("un_news_site", MARKUPS, indirect=True)
def test_second_run_adds_nothing_and_revalidates_every_story(un_news_site, db_path):
    crawl(un_news_site, db_path)
    un_news_site.log.clear()
    result = crawl(un_news_site, db_path)
    assert result.scalar("SELECT count(*) FROM releases") == 5
    assert result.scalar("SELECT count(*) FROM release_versions") == 5
    stories = un_news_site.hits("/en/story/")
    assert len(stories) == 5 and all(h.status == 304 and h.conditional for h in stories)
    run = last_run(result)
    assert (run["status"], run["items_new"], run["items_changed"], run["items_unchanged"]) == ("ok", 0, 0, 5)


def test_story_edited_on_un_news_gets_a_new_version(un_news_site, db_path):
    crawl(un_news_site, db_path)
    changed = un_news.edited(OSCE, "The meeting closed with a joint declaration.")
    un_news_site.pages[OSCE.path] = Page(un_news.page_html(OSCE.title, un_news.story_main(changed)))
    result = crawl(un_news_site, db_path)
    assert result.scalar("SELECT count(*) FROM releases") == 5
    versions = result.rows("SELECT v.body FROM release_versions v JOIN release_urls u "
                           "ON u.release_id = v.release_id WHERE u.url LIKE ? ORDER BY v.id", ["%" + OSCE.path])
    assert len(versions) == 2 and versions[1]["body"].endswith("with a joint declaration.")
    assert last_run(result)["items_changed"] == 1


def test_the_story_page_wins_and_a_story_missing_from_the_feed_stays(db_path):
    stories = un_news.generated_stories(2) + [replace(KOSOVO, feed_title="UN chief hails Kosovo mission"), OSCE]
    with local_un_news(stories) as site:
        crawl(site, db_path)
        site.pages = un_news.build_site(stories[:3], site.url)  # the 2007 story left the feed
        result = crawl(site, db_path)
    assert result.scalar("SELECT title FROM releases WHERE url LIKE ?", ["%" + KOSOVO.path]) == KOSOVO.title
    assert result.scalar("SELECT count(*) FROM releases") == 4
    assert result.scalar("SELECT count(*) FROM releases WHERE url LIKE ?", ["%" + OSCE.path]) == 1
    assert last_run(result)["status"] == "ok"


def test_keywords_keep_only_stories_that_mention_one(un_news_site, db_path):
    result = crawl(un_news_site, db_path, args={"keywords": "OSCE,Kosovo"})
    assert result.returncode == 0, result.output
    titles = {r["title"] for r in result.rows("SELECT title FROM releases")}
    assert titles == {KOSOVO.title, OSCE.title}
    assert last_run(result)["status"] == "ok"
    only_osce = crawl(un_news_site, db_path.with_name("osce.db"), args={"keywords": "Madrid"})
    assert [r["title"] for r in only_osce.rows("SELECT title FROM releases")] == [OSCE.title]


def test_topic_feeds_work_too(un_news_site, db_path):
    feeds = f"{un_news.topic_feed_path('UN Affairs')}, {un_news_site.url}{un_news.topic_feed_path('Health')}"
    result = crawl(un_news_site, db_path, settings={"UN_NEWS_FEEDS": feeds})
    stored = [json.loads(r["topics"]) for r in result.rows("SELECT topics FROM releases")]
    assert stored and all({"UN Affairs", "Health"} & set(t) for t in stored)
    assert OSCE.title in {r["title"] for r in result.rows("SELECT title FROM releases")}
    assert len(un_news_site.hits("/feed/subscribe/en/news/topic/")) == 2


@pytest.mark.parametrize("markup", MARKUPS)
def test_topic_listing_back_fills_and_stops_at_known(db_path, markup):
    stories = un_news.generated_stories(25) + un_news.seed_stories()
    listing = "/en/news/topic/peace-and-security"
    with local_un_news(stories, feed_size=5, markup=markup) as site:
        crawl(site, db_path)
        assert crawl(site, db_path).scalar("SELECT count(*) FROM releases") == 5
        site.log.clear()
        result = crawl(site, db_path, args={"topic": "peace-and-security"})
        assert sorted(h.path for h in site.hits(listing)) == [listing, f"{listing}?page=1", f"{listing}?page=2"]
        assert result.scalar("SELECT count(*) FROM releases") == 27
        assert result.scalar("SELECT published FROM releases WHERE url LIKE ?", ["%" + OSCE.path]) == "2007-11-29"
        new = un_news.generated_stories(1, start_id=1190000, seed=3)
        site.pages = un_news.build_site(new + stories, site.url, feed_size=5, markup=markup)
        site.log.clear()
        result = crawl(site, db_path, args={"topic": "peace-and-security"})
        assert sorted(h.path for h in site.hits(listing)) == [listing, f"{listing}?page=1"]
        assert [h.path for h in site.log if h.status == 200 and h.path.startswith("/en/story/")] == [new[0].path]
        assert result.scalar("SELECT count(*) FROM releases") == 28
        site.log.clear()
        crawl(site, db_path, args={"topic": "peace-and-security", "full": "1"})
        assert len(site.hits(listing)) == 3


@pytest.mark.parametrize("feed", [
    Page("Service Unavailable", status=503),
    Page("<html><body><h1>Down for maintenance</h1></body></html>"),
    Page('<?xml version="1.0"?><rss version="2.0"><channel><title>UN News</title></channel></rss>',
         content_type="application/rss+xml"),
], ids=["unreachable", "html-instead-of-rss", "no-items"])
def test_feed_that_gives_no_stories_fails_the_run_loudly(un_news_site, db_path, feed):
    un_news_site.pages[un_news.ALL_FEED] = feed
    result = crawl(un_news_site, db_path)
    run = last_run(result)
    assert run["status"] == "failed" and "feed" in run["reason"]
    assert "FAILED" in result.output
    assert result.scalar("SELECT count(*) FROM releases") == 0


def test_story_page_without_a_story_degrades_the_run(un_news_site, db_path):
    un_news_site.pages[KOSOVO.path] = Page(un_news.page_html("Maintenance", "<h1>Maintenance</h1><p>Back soon.</p>"))
    result = crawl(un_news_site, db_path)
    assert result.scalar("SELECT count(*) FROM releases") == 4
    run = last_run(result)
    assert run["status"] == "degraded" and KOSOVO.path in run["reason"]


def test_scrapy_check_contracts_pass(tmp_path):
    import subprocess
    import sys

    from tests.conftest import ROOT
    proc = subprocess.run([sys.executable, "-m", "scrapy", "check", "un_news", "article"], cwd=ROOT, env={**os.environ, "RELEASEWATCH_FIXTURES": str(ROOT / "tests" / "files"),
                                                   "RELEASEWATCH_DB": str(tmp_path / "rw.db")},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Ran 8 contracts" in proc.stderr and "OK" in proc.stderr, proc.stderr  # feed, story, article
    assert not (tmp_path / "rw.db").exists()  # a check is not a crawl: nothing recorded


@pytest.mark.parametrize("un_news_site", ["live"], indirect=True)
def test_structured_date_that_disagrees_with_the_page_degrades_the_run(un_news_site, db_path):
    page = un_news_site.pages[KOSOVO.path]
    un_news_site.pages[KOSOVO.path] = Page(page.body.replace('"datePublished": "2009-10-05',
                                                             '"datePublished": "2009-10-07'))
    result = crawl(un_news_site, db_path)
    assert result.scalar("SELECT published FROM releases WHERE url LIKE ?", ["%" + KOSOVO.path]) == "2009-10-05"
    assert last_run(result)["status"] == "degraded"
    assert [r["error"] for r in result.rows("SELECT error FROM crawl_errors")] == [
        "structured data disagrees with the page: published: page 2009-10-05, JSON-LD datePublished 2009-10-07"]
