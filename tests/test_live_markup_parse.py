"""Field-by-field parsing of every page kind in the live markup of the three sites
(``tests/files/<site>/live/``, docs/sites.md): releases, listings, feeds, menu pages, and
the structured data they state. One small test per field (City Scrapers style); the
other markups are in test_osce_parse.py, test_un_news_parse.py, test_un_press.py and
test_osce_lists_parse.py.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from scrapy.http import HtmlResponse, Request, XmlResponse
from scrapy.utils.test import get_crawler

from crawler.crawl.items import ListSnapshotItem
from crawler.localsite import osce, un_news, un_press
from spiders import osce as osce_spider
from spiders import un_news as un_news_spider
from spiders import un_press as un_press_spider
from spiders.extract import listing_rows, next_page_url, parse_html
from spiders.feeds import feed_entries
from spiders.structured import conflicts, read_structured
from tests.conftest import FILES, fixture_response
from tests.test_osce_parse import EXPECTED as OSCE
from tests.test_osce_parse import MENU_WORDS
from tests.test_un_news_parse import CHROME as UN_NEWS_CHROME
from tests.test_un_news_parse import EXPECTED as UN_NEWS

PRESS = {rel.symbol: rel for rel in un_press.sample_releases()}
PRESS_FILE = {rel.symbol: rel.path.rsplit("/", 1)[1].removesuffix(".doc.htm") for rel in PRESS.values()}

# --- osce.org (Drupal 7) ----------------------------------------------------------------
OSCE_PARSED = {year: osce_spider.extract_release(fixture_response(f"osce/live/release-{year}.html", e["url"]))
               for year, e in OSCE.items()}


@pytest.mark.parametrize("field", ["title", "published", "place", "issuers"])
@pytest.mark.parametrize("year", OSCE)
def test_osce_release_field(year, field):
    assert OSCE_PARSED[year][field] == OSCE[year][field]


@pytest.mark.parametrize("year", OSCE)
def test_osce_release_fields_of_work(year):
    assert OSCE_PARSED[year].get("fields_of_work", []) == OSCE[year]["fields_of_work"]


@pytest.mark.parametrize("year", OSCE)
def test_osce_release_body_is_dateline_to_last_paragraph(year):
    body = OSCE_PARSED[year]["body"]
    assert body.startswith(OSCE[year]["first"]) and body.endswith(OSCE[year]["last"])


@pytest.mark.parametrize("year", OSCE)
def test_osce_release_body_has_no_chrome_date_line_or_download_links(year):
    body = OSCE_PARSED[year]["body"]
    for text in (*MENU_WORDS, "English", "\u0420\u0443\u0441\u0441\u043a\u0438\u0439", "Fields of work"):
        assert text not in body


def osce_rows(page: int):
    root = parse_html((FILES / f"osce/live/listing-page-{page}.html").read_bytes())
    url = f"https://www.osce.org/press-releases?page={page}"
    return next_page_url(root, url), listing_rows(root, url, osce_spider.OsceSpider.release_path)


def test_osce_listing_row_urls():
    assert [r.url for page in (0, 1) for r in osce_rows(page)[1]] == [OSCE[y]["url"] for y in ("2024", "2020", "2007")]


def test_osce_listing_row_titles():
    assert [r.title for page in (0, 1) for r in osce_rows(page)[1]] == [OSCE[y]["title"] for y in ("2024", "2020", "2007")]


def test_osce_listing_row_dates_from_the_following_dd():
    assert [r.date for page in (0, 1) for r in osce_rows(page)[1]] == [
        OSCE[y]["published"] for y in ("2024", "2020", "2007")]


def test_osce_listing_pager_next():
    assert osce_rows(0)[0] == "https://www.osce.org/press-releases?page=1"
    assert osce_rows(1)[0] is None


def osce_lists() -> dict[str, ListSnapshotItem]:
    spider = osce_spider.OsceSpider.from_crawler(get_crawler(osce_spider.OsceSpider,
                                                             {"OSCE_BASE_URL": "https://www.osce.org"}))
    output = list(spider.parse_home(fixture_response("osce/live/home.html", "https://www.osce.org/")))
    closed = fixture_response("osce/live/closed-field-activities.html",
                              "https://www.osce.org/countries/closed-field-activities")
    output += list(spider.parse_closed(closed))
    items = {i["list"]: i for i in output if isinstance(i, ListSnapshotItem)}
    items["closed_request"] = [r.url for r in output if not isinstance(r, ListSnapshotItem)]
    return items


OSCE_LISTS = osce_lists()


def test_osce_menu_states_in_site_order_with_the_chair_note():
    items = OSCE_LISTS["participating_states"]["items"]
    assert [i["name"] for i in items] == [s.split(" \u2013 ")[0] for s in osce.seed_menu().states]
    assert [i for i in items if i["note"]] == [{"name": "Finland", "note": "OSCE Chairpersonship 2025"}]


def test_osce_menu_field_operations():
    assert [i["name"] for i in OSCE_LISTS["field_operations"]["items"]] == osce.seed_menu().field_operations


def test_osce_menu_partner_lists():
    assert len(OSCE_LISTS["asian_partners"]["items"]) == 5
    assert len(OSCE_LISTS["mediterranean_partners"]["items"]) == 6


def test_osce_menu_links_the_closed_operations_page():
    assert OSCE_LISTS["closed_request"] == ["https://www.osce.org/countries/closed-field-activities"]


def test_osce_closed_operations_page():
    assert [i["name"] for i in OSCE_LISTS["closed_field_operations"]["items"]] == osce.Menu([], [], []).closed_operations


# --- news.un.org (Drupal 10) -------------------------------------------------------------
STORY_VARIANTS = ("", "-photo")
STORIES = {(year, v): un_news_spider.extract_story(fixture_response(f"un_news/live/story-{year}{v}.html", e["url"]))
           for year, e in UN_NEWS.items() for v in STORY_VARIANTS}
STORY_CASES = list(STORIES)


@pytest.mark.parametrize("year, variant", STORY_CASES)
def test_un_news_title(year, variant):
    assert STORIES[year, variant]["title"] == UN_NEWS[year]["title"]


@pytest.mark.parametrize("year, variant", STORY_CASES)
def test_un_news_published_from_time_datetime(year, variant):
    assert STORIES[year, variant]["published"] == UN_NEWS[year]["published"]


@pytest.mark.parametrize("year, variant", STORY_CASES)
def test_un_news_topics(year, variant):
    assert STORIES[year, variant]["topics"] == UN_NEWS[year]["topics"]


@pytest.mark.parametrize("year, variant", STORY_CASES)
def test_un_news_lead(year, variant):
    assert STORIES[year, variant]["lead"].startswith(UN_NEWS[year]["lead"])


@pytest.mark.parametrize("year, variant", STORY_CASES)
def test_un_news_body_is_lead_then_paragraphs(year, variant):
    body = STORIES[year, variant]["body"]
    assert body.startswith(UN_NEWS[year]["first"]) and body.endswith(UN_NEWS[year]["last"])
    assert len(body.split("\n\n")) == UN_NEWS[year]["paragraphs"]


@pytest.mark.parametrize("year, variant", STORY_CASES)
def test_un_news_body_has_no_chrome_or_photo_caption(year, variant):
    body = STORIES[year, variant]["body"]
    for text in (*UN_NEWS_CHROME, "UN Photo:"):
        assert text not in body


def test_un_news_body_keeps_h3_subheadings():
    story = un_news.seed_stories()[0]
    story.paragraphs.insert(2, "Elections in the north")
    for variant in ("live", "live-photo"):
        page = un_news.page_html(story.title, un_news.story_main(replace(story, variant=variant)))
        assert "<h3>Elections in the north</h3>" in page
        item = un_news_spider.extract_story(HtmlResponse(UN_NEWS["2009"]["url"], body=page.encode(), encoding="utf-8"))
        assert item["body"].split("\n\n")[3] == "Elections in the north"


UN_FEED = feed_entries(XmlResponse("https://news.un.org/feed/subscribe/en/news/all/rss.xml",
                                   body=(FILES / "un_news/live/feed.xml").read_bytes()))


def test_un_news_feed_item_urls():
    assert [e.url for e in UN_FEED][1:] == [UN_NEWS["2009"]["url"], UN_NEWS["2007"]["url"]]


def test_un_news_feed_item_titles():
    assert [e.title for e in UN_FEED][1:] == [UN_NEWS["2009"]["title"], UN_NEWS["2007"]["title"]]


def test_un_news_feed_item_dates():
    assert [e.date for e in UN_FEED] == ["2025-12-20", "2009-10-05", "2007-11-29"]


def un_news_rows(page: int):
    root = parse_html((FILES / f"un_news/live/topic-page-{page}.html").read_bytes())
    url = f"https://news.un.org/en/news/topic/peace-and-security?page={page}"
    return next_page_url(root, url), listing_rows(root, url, un_news_spider.UnNewsSpider.release_path)


def test_un_news_listing_rows_h2_node_title():
    rows = un_news_rows(0)[1] + un_news_rows(1)[1]
    assert [r.url for r in rows][1:] == [UN_NEWS["2009"]["url"], UN_NEWS["2007"]["url"]]
    assert [r.title for r in rows][1:] == [UN_NEWS["2009"]["title"], UN_NEWS["2007"]["title"]]


def test_un_news_listing_row_dates():
    assert [r.date for page in (0, 1) for r in un_news_rows(page)[1]] == ["2025-12-20", "2009-10-05", "2007-11-29"]


def test_un_news_listing_pager_next():
    assert un_news_rows(0)[0] == "https://news.un.org/en/news/topic/peace-and-security?page=1"
    assert un_news_rows(1)[0] is None


# --- press.un.org ------------------------------------------------------------------------
PRESS_PARSED = {symbol: un_press_spider.extract_release(fixture_response(
    f"un_press/live/{PRESS_FILE[symbol]}.html", "https://press.un.org" + rel.path)) for symbol, rel in PRESS.items()}


@pytest.mark.parametrize("symbol", sorted(PRESS))
def test_un_press_title_from_display_title(symbol):
    assert PRESS_PARSED[symbol]["title"] == PRESS[symbol].title


@pytest.mark.parametrize("symbol", sorted(PRESS))
def test_un_press_published_from_field_dated(symbol):
    assert PRESS_PARSED[symbol]["published"] == PRESS[symbol].date


@pytest.mark.parametrize("symbol", sorted(PRESS))
def test_un_press_symbol(symbol):
    assert PRESS_PARSED[symbol]["symbol"] == symbol


@pytest.mark.parametrize("symbol", sorted(PRESS))
def test_un_press_document_type_from_field_doctype(symbol):
    assert PRESS_PARSED[symbol]["document_type"] == PRESS[symbol].document_type


@pytest.mark.parametrize("symbol", sorted(PRESS))
def test_un_press_body_without_subtitle_line(symbol):
    assert PRESS_PARSED[symbol]["body"] == "\n\n".join(PRESS[symbol].paragraphs)


def test_meetings_coverage_fixture_has_its_subtitle_line():
    assert "Meeting (AM)</div>" in (FILES / "un_press/live/sc15431.html").read_text()


def test_un_press_document_type_field_names_any_type():
    page = (FILES / "un_press/live/ga12530.html").read_text().replace(">Press Release</a>", ">Press Conference</a>")
    item = un_press_spider.extract_release(HtmlResponse("https://press.un.org/en/2023/ga12530.doc.htm",
                                                        body=page.encode(), encoding="utf-8"))
    assert item["document_type"] == "Press Conference"


PRESS_ROWS = listing_rows(parse_html((FILES / "un_press/live/listing-security-council.html").read_bytes()),
                          "https://press.un.org/en/content/security-council", un_press_spider.UnPressSpider.release_path)


def test_un_press_listing_rows_skip_the_live_page_row():
    assert (FILES / "un_press/live/listing-security-council.html").read_text().count('href="/en/sc_live"') == 1
    assert [r.url for r in PRESS_ROWS] == ["https://press.un.org/en/2023/sc15431.doc.htm"]


def test_un_press_listing_row_title_and_date():
    assert [(r.title, r.date) for r in PRESS_ROWS] == [(PRESS["SC/15431"].title, "2023-09-20")]


PRESS_FEED = feed_entries(XmlResponse("https://press.un.org/en/rss.xml",
                                      body=(FILES / "un_press/live/rss.xml").read_bytes()))


def test_un_press_feed_items():
    assert [(e.url, e.title, e.date) for e in PRESS_FEED] == [
        ("https://press.un.org" + r.path, r.title, r.date) for r in un_press.sample_releases()[:2]]


def test_un_press_feed_guid_is_drupal_s():
    assert [e.guid for e in PRESS_FEED] == ["237001 at https://press.un.org", "236950 at https://press.un.org"]


# --- structured data ---------------------------------------------------------------------
STRUCTURED = [
    ("un_news/live/story-2009.html", UN_NEWS["2009"]["url"], UN_NEWS["2009"]["title"], "2009-10-05", "JSON-LD"),
    ("un_news/live/story-2007-photo.html", UN_NEWS["2007"]["url"], UN_NEWS["2007"]["title"], "2007-11-29", "JSON-LD"),
    ("un_press/live/sc15431.html", "https://press.un.org/en/2023/sc15431.doc.htm", PRESS["SC/15431"].title,
     "2023-09-20", "og:title"),
]


@pytest.mark.parametrize("name, url, title, published, origin", STRUCTURED)
def test_structured_title_and_date(name, url, title, published, origin):
    stated = read_structured(parse_html((FILES / name).read_bytes()), url)
    assert (stated.title, stated.published) == (title, published)
    assert stated.origin["title"].startswith(origin)


@pytest.mark.parametrize("name, url, title, published, origin", STRUCTURED)
def test_structured_data_agrees_with_the_visible_text(name, url, title, published, origin):
    stated = read_structured(parse_html((FILES / name).read_bytes()), url)
    assert conflicts({"title": title, "published": published}, stated) == []


def test_hreflang_alternates():
    stated = read_structured(parse_html((FILES / "un_press/live/sc15431.html").read_bytes()),
                             "https://press.un.org/en/2023/sc15431.doc.htm")
    assert stated.alternates == {"en": "https://press.un.org/en/2023/sc15431.doc.htm",
                                 "fr": "https://press.un.org/fr/2023/sc15431.doc.htm"}


def test_a_disagreeing_date_is_a_conflict_naming_both_values():
    page = (FILES / "un_news/live/story-2009.html").read_text().replace(
        '"datePublished": "2009-10-05', '"datePublished": "2009-10-07')
    stated = read_structured(parse_html(page.encode()), UN_NEWS["2009"]["url"])
    assert conflicts({"title": UN_NEWS["2009"]["title"], "published": "2009-10-05"}, stated) == [
        "published: page 2009-10-05, JSON-LD datePublished 2009-10-07"]


def test_a_truncated_headline_agrees_a_different_one_does_not():
    stated = read_structured(parse_html(b'<html><head><meta property="og:title" content="Ban extols UN mission'
                                        b' in Kosovo for spurring dialogue"></head></html>'), "https://x/")
    assert conflicts({"title": UN_NEWS["2009"]["title"]}, stated) == []
    stated.title = "Another story altogether, about something else entirely"
    assert conflicts({"title": UN_NEWS["2009"]["title"]}, stated)[0].startswith("title: page ")


def test_the_date_a_page_states_only_in_json_ld_fills_the_gap():
    page = (FILES / "un_news/live/story-2009.html").read_text()
    page = page.replace('<time datetime="2009-10-05T12:00:00Z" class="datetime">5 October 2009</time>', "")
    page = page.replace('<meta property="article:published_time" content="2009-10-05T12:00:00+00:00" />', "")
    request = Request(UN_NEWS["2009"]["url"])
    response = HtmlResponse(request.url, body=page.encode(), encoding="utf-8", request=request)
    spider = un_news_spider.UnNewsSpider.from_crawler(get_crawler(
        un_news_spider.UnNewsSpider, {"UN_NEWS_BASE_URL": "https://news.un.org", "UN_NEWS_FEEDS": ""}))
    item = un_news_spider.extract_story(response)
    assert not item.get("published")
    spider.check_structured(response, item)
    assert item["published"] == "2009-10-05"
    assert not spider.crawler.stats.get_value("releasewatch/problems")


def test_a_conflict_is_reported_as_a_problem_of_the_page_and_the_release_kept():
    page = (FILES / "un_news/live/story-2009.html").read_text().replace(
        '"datePublished": "2009-10-05', '"datePublished": "2009-10-07')
    response = HtmlResponse(UN_NEWS["2009"]["url"], body=page.encode(), encoding="utf-8",
                            request=Request(UN_NEWS["2009"]["url"]))
    spider = un_news_spider.UnNewsSpider.from_crawler(get_crawler(
        un_news_spider.UnNewsSpider, {"UN_NEWS_BASE_URL": "https://news.un.org", "UN_NEWS_FEEDS": ""}))
    items = list(spider.parse_release(response))
    assert [i["published"] for i in items] == ["2009-10-05"]
    assert [p["error"] for p in spider.crawler.stats.get_value("releasewatch/problems")] == [
        "structured data disagrees with the page: published: page 2009-10-05, JSON-LD datePublished 2009-10-07"]


def test_meetings_coverage_subtitle_is_not_body_in_an_unknown_layout_either():
    page = (FILES / "un_press/live/sc15431.html").read_text().replace("field--name-body", "x-copy")
    item = un_press_spider.extract_release(HtmlResponse("https://press.un.org/en/2023/sc15431.doc.htm",
                                                        body=page.encode(), encoding="utf-8"))
    assert item["body"] == "\n\n".join(PRESS["SC/15431"].paragraphs)
