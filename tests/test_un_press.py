"""press.un.org: per-field parsing of saved pages, and ``scrapy crawl un_press`` end to end."""

import pytest
from scrapy.http import HtmlResponse

from crawler.localsite import un_press
from crawler.localsite.server import LocalSite, Page
from spiders.un_press import extract_release, symbol_from_url
from tests.conftest import FILES, MARKUPS, fixture_response, scrapy_crawl

LIVE = "https://press.un.org"
EXPECTED = {
    rel.symbol: rel for rel in un_press.sample_releases()
}
PARSED = {
    rel.symbol: extract_release(fixture_response(
        f"un_press/{rel.path.rsplit('/', 1)[1].removesuffix('.doc.htm')}.html", LIVE + rel.path))
    for rel in un_press.sample_releases()
}
SYMBOLS = sorted(EXPECTED)


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_title(symbol):
    assert PARSED[symbol]["title"] == EXPECTED[symbol].title


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_published(symbol):
    assert PARSED[symbol]["published"] == EXPECTED[symbol].date


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_symbol(symbol):
    assert PARSED[symbol]["symbol"] == symbol


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_document_type(symbol):
    assert PARSED[symbol]["document_type"] == EXPECTED[symbol].document_type


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_body_is_the_paragraphs_without_chrome(symbol):
    assert PARSED[symbol]["body"] == "\n\n".join(EXPECTED[symbol].paragraphs)


def test_source():
    assert {item["source"] for item in PARSED.values()} == {"un_press"}


SC_PAGE = (FILES / "un_press/sc15431.html").read_text()
SC_URL = LIVE + "/en/2023/sc15431.doc.htm"


def parse_page(page: str, url: str = SC_URL):
    return extract_release(HtmlResponse(url, body=page.encode(), encoding="utf-8"))


def test_document_type_is_the_page_s_not_the_site_menu_s():
    page = SC_PAGE.replace('<nav role="navigation" aria-label="Main"><ul class="menu">',
                           '<nav role="navigation" aria-label="Main"><ul class="menu">'
                           '<li><a href="/en/press-release">Press Release</a></li>', 1)
    assert page != SC_PAGE
    assert parse_page(page)["document_type"] == "Meetings Coverage"


def test_a_maintenance_page_with_a_heading_is_no_release():
    page = ("<html><body><nav><a href='/en/meetings-coverage'>Meetings Coverage</a></nav><main>"
            "<h1>Service temporarily unavailable</h1><p>The site is under maintenance.</p></main>"
            "<footer><p>For information media. Not an official record.</p></footer></body></html>")
    assert parse_page(page) is None


def test_footer_lines_are_not_body_in_an_unknown_layout():
    body = "".join(f"<p>{p}</p>" for p in EXPECTED["SC/15431"].paragraphs)
    page = (f"<html><body><div class='x-top'><a href='/'>UN</a></div><div class='x-doc'><span>SC/15431</span>"
            f"<h1>{EXPECTED['SC/15431'].title}</h1><div class='x-text'>{body}</div>"
            "<div class='x-end'><p>For information media. Not an official record.</p>"
            "<div>Copyright | <a href='/f'>FAQ</a> | <a href='/p'>Privacy Notice</a></div>"
            "</div></div></body></html>")
    item = parse_page(page)
    assert item["body"] == "\n\n".join(EXPECTED["SC/15431"].paragraphs)


def test_symbol_from_url_fallback():
    assert symbol_from_url("https://press.un.org/en/2023/sgsm21950.doc.htm") == "SG/SM/21950"
    assert symbol_from_url("https://press.un.org/en/2023/sc15431.doc.htm") == "SC/15431"
    assert symbol_from_url("https://press.un.org/en/2023/xyz1.doc.htm") is None


@pytest.fixture
def press_site(request):
    """The sample releases on a local press.un.org (in the markup ``request.param``)."""
    with LocalSite() as site:
        site.pages = un_press.build_site(un_press.sample_releases(), base=site.url,
                                         markup=getattr(request, "param", "current"))
        yield site


def crawl(site, db_path, **kw):
    return scrapy_crawl("un_press", db_path, {"UN_PRESS_BASE_URL": site.url}, **kw)


@pytest.mark.slow
@pytest.mark.parametrize("press_site", MARKUPS, indirect=True)
def test_feed_and_listings_store_every_release_once(press_site, db_path):
    result = crawl(press_site, db_path)
    assert result.returncode == 0, result.output
    rows = result.rows("SELECT symbol, document_type, published, source FROM releases ORDER BY symbol")
    assert rows == [
        {"symbol": "GA/12530", "document_type": "Press Release", "published": "2023-09-15", "source": "un_press"},
        {"symbol": "SC/15431", "document_type": "Meetings Coverage", "published": "2023-09-20", "source": "un_press"},
        {"symbol": "SG/SM/21950", "document_type": "Statement", "published": "2023-09-21", "source": "un_press"},
    ]
    # GA/12530 is not in the feed (2 newest only): the listing found it.
    assert press_site.hits("/en/2023/ga12530.doc.htm")
    assert result.rows("SELECT status FROM crawl_runs")[0]["status"] == "ok"
    again = crawl(press_site, db_path)
    assert again.scalar("SELECT count(*) FROM release_versions") == 3
    assert again.rows("SELECT items_new, items_unchanged FROM crawl_runs ORDER BY id DESC")[0] == {
        "items_new": 0, "items_unchanged": 3}


@pytest.mark.slow
def test_body_argument_picks_listings_and_paging_stops_at_known(db_path):
    releases = un_press.more_releases(6) + un_press.sample_releases()
    with LocalSite() as site:
        site.pages = un_press.build_site(releases, base=site.url, per_page=2)  # feed: the 2 newest
        crawl(site, db_path, args={"body": "security-council"})
        assert not site.hits("/en/content/general-assembly")
        assert len(site.hits("/en/content/security-council?page=")) == 4
        site.log.clear()
        crawl(site, db_path, args={"body": "security-council"})
        assert [h.path for h in site.hits("/en/content/security-council?page=")] == [
            "/en/content/security-council?page=0"]


@pytest.mark.slow
def test_live_links_in_the_feed_are_rebased_onto_the_local_copy(db_path):
    with LocalSite() as site:
        site.pages = un_press.build_site(un_press.sample_releases(), base=LIVE)
        result = crawl(site, db_path)
        assert site.hits("/en/2023/sgsm21950.doc.htm")
    assert result.scalar("SELECT count(*) FROM releases") == 3


@pytest.mark.slow
def test_a_feed_that_is_not_a_feed_fails_the_run(press_site, db_path):
    press_site.pages["/en/rss.xml"] = Page("<html><body><h1>Maintenance</h1></body></html>")
    result = crawl(press_site, db_path)
    assert result.rows("SELECT status FROM crawl_runs")[0]["status"] == "failed"
