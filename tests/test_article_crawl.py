"""``scrapy crawl article -a url=...`` end to end: a mirror of a UN News story (seed 002)
on another local site files itself under the UN News story, checked with SQL."""

import pytest

from crawler.localsite import mirror, un_news
from crawler.localsite.server import Page
from tests.conftest import scrapy_crawl

pytestmark = pytest.mark.slow
KOSOVO = un_news.seed_stories()[0]


def crawl_un_news(site, db_path):
    result = scrapy_crawl("un_news", db_path, {"UN_NEWS_BASE_URL": site.url})
    assert result.returncode == 0, result.output
    return result


def crawl_article(db_path, *urls):
    return scrapy_crawl("article", db_path, args={"url": ",".join(urls)})


def story_release(result) -> list[dict]:
    return result.rows("SELECT r.id, r.source, r.title, r.published, u.url, u.source AS url_source, "
                       "u.similarity FROM releases r JOIN release_urls u ON u.release_id = r.id "
                       "WHERE r.title = ? ORDER BY u.first_seen, u.url", [KOSOVO.title])


def test_seed_mirror_is_one_release_with_two_urls(un_news_site, mirror_site, db_path):
    crawl_un_news(un_news_site, db_path)
    result = crawl_article(db_path, mirror_site.url + mirror.KOSOVO_PATH)
    assert result.returncode == 0, result.output
    rows = story_release(result)
    assert len({r["id"] for r in rows}) == 1 and len(rows) == 2
    assert [r["url"] for r in rows] == [un_news_site.url + KOSOVO.path, mirror_site.url + mirror.KOSOVO_PATH]
    assert [r["url_source"] for r in rows] == ["un_news", "article"]
    assert rows[0]["source"] == "un_news" and rows[1]["similarity"] >= 0.9
    assert result.scalar("SELECT count(*) FROM releases WHERE title = ?", [KOSOVO.title]) == 1
    assert result.scalar("SELECT count(*) FROM release_versions v JOIN releases r ON r.id = v.release_id "
                         "WHERE r.title = ?", [KOSOVO.title]) == 1
    assert result.scalar("SELECT count(*) FROM releases") == 5
    run = result.rows("SELECT spider, status, items_new, items_unchanged FROM crawl_runs ORDER BY id DESC")[0]
    assert run == {"spider": "article", "status": "ok", "items_new": 0, "items_unchanged": 1}


def test_copies_with_small_edits_join_the_same_release(un_news_site, mirror_site, db_path):
    copies = [mirror.edited_copy(mirror.seed_copy(), edit) for edit in mirror.EDITS]
    mirror_site.pages.update(mirror.build_site(copies))
    crawl_un_news(un_news_site, db_path)
    result = crawl_article(db_path, mirror_site.url + mirror.KOSOVO_PATH, *(mirror_site.url + c.path for c in copies))
    assert result.returncode == 0, result.output
    rows = story_release(result)
    assert len(rows) == 5 and len({r["id"] for r in rows}) == 1
    assert all(0.7 <= r["similarity"] < 1 for r in rows[1:])
    assert result.scalar("SELECT count(*) FROM releases") == 5


def test_unrelated_article_is_a_new_release(un_news_site, mirror_site, db_path):
    other = un_news.generated_stories(1, start_id=1170000, seed=5)[0]
    copy = mirror.copy_of(other, "/news/world/unrelated-story")
    mirror_site.pages.update(mirror.build_site([copy]))
    crawl_un_news(un_news_site, db_path)
    result = crawl_article(db_path, mirror_site.url + copy.path)
    row = result.rows("SELECT source, title, published, body FROM releases WHERE url LIKE ?", ["%" + copy.path])
    assert len(row) == 1 and result.scalar("SELECT count(*) FROM releases") == 6
    assert (row[0]["source"], row[0]["title"], row[0]["published"]) == ("article", other.title, other.date)
    assert row[0]["body"].startswith(f"{other.printed_date} \u2013 Story 1170001.")


def test_mirror_first_then_un_news_is_still_one_release(un_news_site, mirror_site, db_path):
    crawl_article(db_path, mirror_site.url + mirror.KOSOVO_PATH)
    result = crawl_un_news(un_news_site, db_path)
    rows = story_release(result)
    assert len(rows) == 2 and len({r["id"] for r in rows}) == 1
    assert rows[0]["source"] == "un_news"  # the release belongs to the original once it turns up


def test_rerun_and_the_un_news_url_itself_add_nothing(un_news_site, mirror_site, db_path):
    crawl_un_news(un_news_site, db_path)
    crawl_article(db_path, mirror_site.url + mirror.KOSOVO_PATH)
    result = crawl_article(db_path, mirror_site.url + mirror.KOSOVO_PATH, un_news_site.url + KOSOVO.path)
    assert result.returncode == 0, result.output
    assert (result.scalar("SELECT count(*) FROM releases"), result.scalar("SELECT count(*) FROM release_urls"),
            result.scalar("SELECT count(*) FROM release_versions")) == (5, 6, 5)
    assert result.rows("SELECT source FROM releases WHERE title = ?", [KOSOVO.title]) == [{"source": "un_news"}]


def test_no_url_fails_the_run_with_a_clear_reason(db_path):
    result = scrapy_crawl("article", db_path)
    run = result.rows("SELECT status, reason FROM crawl_runs")[0]
    assert run["status"] == "failed"
    assert "no article URL given" in result.output


def test_unreachable_article_fails_and_a_page_without_one_degrades(mirror_site, db_path):
    mirror_site.pages["/gone"] = Page("gone", status=404)
    assert crawl_article(db_path, mirror_site.url + "/gone").rows(
        "SELECT status FROM crawl_runs")[0]["status"] == "failed"
    mirror_site.pages["/empty"] = Page("<html><body><p>Loading...</p></body></html>")
    result = crawl_article(db_path, mirror_site.url + "/empty")
    assert result.rows("SELECT status, reason FROM crawl_runs ORDER BY id DESC")[0]["status"] == "degraded"
    assert result.scalar("SELECT count(*) FROM releases") == 0
    # One page of several that cannot be fetched degrades the run; the others are stored.
    result = crawl_article(db_path, mirror_site.url + "/gone", mirror_site.url + mirror.KOSOVO_PATH)
    assert result.rows("SELECT status FROM crawl_runs ORDER BY id DESC")[0]["status"] == "degraded"
    assert result.scalar("SELECT count(*) FROM releases") == 1


def test_links_on_the_article_page_are_not_followed(mirror_site, db_path):
    crawl_article(db_path, mirror_site.url + mirror.KOSOVO_PATH)
    assert {h.path for h in mirror_site.log} == {"/robots.txt", mirror.KOSOVO_PATH}
