"""Field-by-field parsing of the saved UN News pages: stories in two markups, feed, listing.

Each saved page is parsed once at import; a failing field names itself.
"""

import pytest
from scrapy.http import HtmlResponse, XmlResponse

from spiders.extract import listing_rows, next_page_url, parse_html
from spiders.feeds import feed_entries
from spiders.un_news import UnNewsSpider, extract_story, keyword_pattern
from tests.conftest import FILES, fixture_response

EXPECTED = {
    "2007": {
        "url": "https://news.un.org/en/story/2007/11/241152",
        "title": "Cooperation between UN and OSCE stronger than ever, says Ban Ki-moon",
        "published": "2007-11-29", "topics": ["UN Affairs", "Peace and Security"],
        "lead": "Whether it is collaboration on Kosovo or cooperation to address common economic",
        "first": "Whether it is collaboration on Kosovo or cooperation to address common economic",
        "last": "and to build better lives for people everywhere.\u201d", "paragraphs": 7,
    },
    "2009": {
        "url": "https://news.un.org/en/story/2009/10/316262",
        "title": "Ban extols UN mission in Kosovo for spurring dialogue and cooperation",
        "published": "2009-10-05", "topics": ["Peace and Security"],
        "lead": "Secretary-General Ban Ki-moon today commended the efforts of the United Nations",
        "first": "Secretary-General Ban Ki-moon today commended the efforts of the United Nations",
        "last": "reaching its authorized strength of 510 personnel.", "paragraphs": 8,
    },
}
VARIANTS = ("current", "redesign")
CASES = [(year, variant) for year in EXPECTED for variant in VARIANTS]
PARSED = {
    (year, variant): extract_story(fixture_response(f"un_news/story-{year}-{variant}.html", e["url"]))
    for year, e in EXPECTED.items() for variant in VARIANTS
}
CHROME = ("Global perspective Human stories", "Related stor", "Share this", "Facebook", "Subscribe",
          "Kosovo: UN envoy calls for pragmatism", "Ban welcomes OSCE role", "Skip to main content",
          "Peace and Security", "UN Affairs", "repeatedly urged all parties")


@pytest.mark.parametrize("year, variant", CASES)
def test_title(year, variant):
    assert PARSED[year, variant]["title"] == EXPECTED[year]["title"]


@pytest.mark.parametrize("year, variant", CASES)
def test_published(year, variant):
    assert PARSED[year, variant]["published"] == EXPECTED[year]["published"]


@pytest.mark.parametrize("year, variant", CASES)
def test_topics(year, variant):
    assert PARSED[year, variant]["topics"] == EXPECTED[year]["topics"]


@pytest.mark.parametrize("year, variant", CASES)
def test_lead(year, variant):
    assert PARSED[year, variant]["lead"].startswith(EXPECTED[year]["lead"])


@pytest.mark.parametrize("year, variant", CASES)
def test_body_is_lead_then_paragraphs(year, variant):
    body = PARSED[year, variant]["body"]
    assert body.startswith(EXPECTED[year]["first"])
    assert body.endswith(EXPECTED[year]["last"])
    assert len(body.split("\n\n")) == EXPECTED[year]["paragraphs"]


@pytest.mark.parametrize("year, variant", CASES)
def test_body_has_no_site_chrome_or_related_stories(year, variant):
    body = PARSED[year, variant]["body"]
    for text in CHROME:
        assert text not in body
    assert EXPECTED[year]["title"] not in body


def test_source_and_url():
    assert {(i["source"], i["url"]) for (year, _), i in PARSED.items()} == {
        ("un_news", EXPECTED["2007"]["url"]), ("un_news", EXPECTED["2009"]["url"])}


def test_the_page_wins_over_the_feed_item():
    item = extract_story(fixture_response("un_news/story-2009-current.html", EXPECTED["2009"]["url"],
                                          listing_title="An older headline", listing_date="2009-10-06"))
    assert (item["title"], item["published"], item["topics"]) == (
        EXPECTED["2009"]["title"], "2009-10-05", ["Peace and Security"])


def test_feed_fills_what_the_page_lacks():
    page = (FILES / "un_news/story-2009-current.html").read_text()
    page = page.replace('<time datetime="2009-10-05T12:00:00Z">5 October 2009</time>', "")
    from scrapy.http import HtmlResponse, Request
    request = Request(EXPECTED["2009"]["url"], meta={"listing_date": "2009-10-05"})
    item = extract_story(HtmlResponse(request.url, body=page.encode(), request=request))
    assert item["published"] == "2009-10-05"


def test_a_dated_sidebar_before_the_story_does_not_date_it():
    page = (FILES / "un_news/story-2007-current.html").read_text()
    sidebar = ('<div class="block-latest-news"><h2>Latest News</h2><ul><li><a href="/en/story/2023/11/1">'
               'Assembly adopts text</a> <time datetime="2023-11-02T10:00:00Z">2 November 2023</time></li></ul></div>')
    page = page.replace("<main", sidebar + "<main", 1)
    assert sidebar in page
    item = extract_story(HtmlResponse(EXPECTED["2007"]["url"], body=page.encode(), encoding="utf-8"))
    assert item["published"] == "2007-11-29"


def test_maintenance_page_is_not_a_story():
    from scrapy.http import HtmlResponse
    page = b"<html><body><div class='site-slogan'>Global perspective Human stories</div><h1>Maintenance</h1></body></html>"
    assert extract_story(HtmlResponse("https://news.un.org/en/story/2009/10/1", body=page)) is None


FEED = feed_entries(XmlResponse("https://news.un.org/feed/subscribe/en/news/all/rss.xml",
                                body=(FILES / "un_news/feed.xml").read_bytes()))


def test_feed_items_in_order_with_story_urls_and_dates():
    assert [(e.url, e.date) for e in FEED][1:] == [
        (EXPECTED["2009"]["url"], "2009-10-05"), (EXPECTED["2007"]["url"], "2007-11-29")]
    assert FEED[0].url.startswith("https://news.un.org/en/story/2025/12/")
    assert FEED[2].title == EXPECTED["2007"]["title"]


def test_not_a_feed_has_no_items():
    html = XmlResponse("https://news.un.org/feed", body=b"<html><body><h1>Service unavailable</h1></body></html>")
    assert feed_entries(html) == []
    assert feed_entries(XmlResponse("https://news.un.org/feed", body=b"")) == []


def test_atom_entries_are_read_too():
    atom = (b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry><title>T</title>'
            b'<link href="https://news.un.org/en/story/2025/01/1"/><updated>2025-01-02T10:00:00Z</updated></entry></feed>')
    [entry] = feed_entries(XmlResponse("https://news.un.org/atom", body=atom))
    assert (entry.url, entry.title, entry.date) == ("https://news.un.org/en/story/2025/01/1", "T", "2025-01-02")


def test_topic_listing_rows_and_next_page():
    url = "https://news.un.org/en/news/topic/peace-and-security"
    root = parse_html((FILES / "un_news/topic-page-0.html").read_bytes(), "utf-8")
    assert next_page_url(root, url) == url + "?page=1"
    rows = listing_rows(root, url, UnNewsSpider.release_path)
    assert [r.url for r in rows][1:] == [EXPECTED["2009"]["url"]]
    assert rows[1].date == "2009-10-05"
    last = parse_html((FILES / "un_news/topic-page-1.html").read_bytes(), "utf-8")
    assert next_page_url(last, url + "?page=1") is None


@pytest.mark.parametrize("text, expected", [
    ("The OSCE and the UN", True), ("in kosovo today", True), ("Kosovar officials", False),
    ("NOSCE", False), ("", False)])
def test_keyword_pattern(text, expected):
    assert bool(keyword_pattern("OSCE, Kosovo").search(text)) is expected


def test_no_keywords_is_no_filter():
    assert keyword_pattern(None) is None and keyword_pattern(" , ") is None
