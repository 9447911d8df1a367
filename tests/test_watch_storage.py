"""Watches in the database (storage/watches.py), and how a watched press room's releases
deduplicate against the built-in sources (storage/releases.py ``source_rank``)."""

from __future__ import annotations

import pytest
from scrapy.http import HtmlResponse

from crawler.localsite import mirror
from spiders.article import extract_article
from spiders.un_news import extract_story
from storage import open_db, store_release
from storage.watches import Watch, WatchError, add_watch, default_name, get_watch, list_watches, remove_watch
from tests.conftest import FILES, fixture_response

UN_URL = "https://news.un.org/en/story/2009/10/316262"
MIRROR_URL = "https://www.worldnewswire.example" + mirror.KOSOVO_PATH


@pytest.fixture
def db(tmp_path):
    conn = open_db(tmp_path / "rw.db")
    yield conn
    conn.close()


def mirror_copy(source: str) -> dict:
    item = extract_article(HtmlResponse(MIRROR_URL, body=(FILES / "mirror/story-2009-kosovo.html").read_bytes()))
    return {**item, "source": source}


def un_story() -> dict:
    return dict(extract_story(fixture_response("un_news/story-2009-current.html", UN_URL)))


def test_watches_are_added_listed_and_removed(db):
    add_watch(db, Watch("nato", "https://www.nato.int/cps/en/natohq/news.htm", "30m", rows="div.card"))
    with pytest.raises(WatchError, match="exists already"):
        add_watch(db, Watch("nato", "https://elsewhere.example/", "1h"))
    assert [(w.name, w.every, w.rows) for w in list_watches(db)] == [("nato", "30m", "div.card")]
    assert get_watch(db, "nato").created_at
    remove_watch(db, "nato")
    assert list_watches(db) == []
    with pytest.raises(WatchError, match="no watch named"):
        remove_watch(db, "nato")


@pytest.mark.parametrize("name", ["osce", "article", "Bad Name", "", "a" * 49])
def test_built_in_sources_and_odd_names_are_refused(db, name):
    with pytest.raises(WatchError):
        add_watch(db, Watch(name, "https://example.org/", "1h"))


def test_default_names_come_from_the_host():
    assert default_name("https://www.nato.int/cps/en/natohq/news.htm") == "nato_int"
    assert default_name("http://127.0.0.1:8080/news") == "127_0_0_1"


def test_a_un_story_republished_by_a_watched_mirror_is_one_release_under_un_news(db):
    assert store_release(db, un_story()).status == "new"
    copy = store_release(db, mirror_copy("newswire"))
    assert copy.status == "near_duplicate"
    assert [(r["source"], r["n"]) for r in db.query(
        "SELECT r.source, count(u.url) AS n FROM releases r JOIN release_urls u ON u.release_id = r.id "
        "GROUP BY r.id")] == [("un_news", 2)]


def test_the_original_wins_when_the_watched_mirror_came_first(db):
    first = store_release(db, mirror_copy("newswire"))
    second = store_release(db, un_story())
    assert second.release_id == first.release_id
    (row,) = db.query("SELECT source, title FROM releases")
    assert row["source"] == "un_news" and row["title"].startswith("Ban extols UN mission in Kosovo")


def test_a_watch_wins_over_a_single_article_page_and_never_over_a_built_in_source(db):
    first = store_release(db, mirror_copy("article"))
    store_release(db, {**mirror_copy("newswire"), "url": MIRROR_URL + "?copy=2"})
    assert [r["source"] for r in db.query("SELECT source FROM releases")] == ["newswire"]
    store_release(db, un_story())
    assert [r["source"] for r in db.query("SELECT source FROM releases WHERE id = ?", [first.release_id])] == ["un_news"]


def test_a_watched_press_rooms_formulaic_releases_are_told_apart(db):
    body = ("The Security Council condemned in the strongest terms the attack on the mission, which killed "
            "several peacekeepers and wounded others. The members of the Council expressed their deepest "
            "condolences and called on the Government to swiftly investigate and bring the perpetrators to "
            "justice. They reaffirmed their full support for the mission and its mandate. ") * 2
    one = store_release(db, {"source": "council", "url": "https://c.example/1", "title": "Attack in Mali",
                             "published": "2024-03-01", "body": body})
    two = store_release(db, {"source": "council", "url": "https://c.example/2", "title": "Attack in Sudan",
                             "published": "2024-05-01", "body": body.replace("several", "two")})
    assert (one.status, two.status) == ("new", "new") and one.release_id != two.release_id
