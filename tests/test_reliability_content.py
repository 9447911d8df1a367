"""Bad content: malformed markup, wrong charsets, impossible dates, empty and changed pages.

Parsing is checked on whole pages of the local OSCE site (``extract_release`` is what the
spider runs on every release page); what a crawl does with a bad page (stored or not, run
degraded) is checked end to end in ``test_reliability_faults.py``.
"""

from __future__ import annotations

import re
from dataclasses import replace
from html import escape

import pytest
from scrapy.http import HtmlResponse, Request

from crawler.localsite import osce
from spiders.extract import listing_rows, parse_html
from spiders.osce import OsceSpider, extract_release

URL = "http://127.0.0.1:8123/pc/49473"
MENU = osce.seed_menu()
KOSOVO = osce.seed_releases()[2]
# Non-ASCII in title and body: what a wrong charset would garble.
TITLE = "T\u00fcrkiye\u2019s \u201cview\u201d on Kosovo \u2013 na\u00efve caf\u00e9 diplomacy"
RELEASE = replace(KOSOVO, title=TITLE, paragraphs=[KOSOVO.paragraphs[0] + " (Pri\u0161tina)", *KOSOVO.paragraphs[1:]])
PAGE = osce.page_html(MENU, RELEASE.title, osce.release_main(RELEASE))


def extract(body: bytes | str, content_type: str = "text/html; charset=utf-8", **meta):
    """What the spider extracts from ``body`` served with ``content_type``."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    response = HtmlResponse(URL, body=data, headers={"Content-Type": content_type},
                            request=Request(URL, meta=meta))
    return extract_release(response)


def assert_complete(item) -> None:
    assert item is not None, "no release extracted"
    assert item["title"] == TITLE
    assert (item["published"], item["place"]) == ("2007-11-15", "VIENNA")
    assert item["issuers"] == ["Permanent Council"]
    assert item["body"].startswith("VIENNA, 15 November 2007 - Clarity on Kosovo")
    assert "(Pri\u0161tina)" in item["body"]
    assert item["body"].endswith(KOSOVO.paragraphs[-1])


@pytest.mark.parametrize("damage", [
    pytest.param(lambda html: re.sub(r"</(p|li)>", "", html), id="optional-end-tags-omitted"),
    pytest.param(lambda html: html.replace("</body></html>", "").replace("<main", "</div></span><main"),
                 id="stray-end-tags-no-end"),
    pytest.param(lambda html: html.replace('alt="OSCE"></a></div>', 'alt="OSCE"></a>'),
                 id="unclosed-div-in-header"),
    pytest.param(lambda html: html.replace("</h1>", ""), id="unclosed-h1"),
    pytest.param(lambda html: html.replace("<p>", "<p>&nbsp<b>", 1).replace("Clarity", "Clarity & <x-tag>", 1),
                 id="bare-ampersand-unknown-tag"),
])
def test_malformed_html_still_gives_the_whole_release(damage):
    item = extract(damage(PAGE))
    assert item is not None
    assert item["title"] == TITLE and item["published"] == "2007-11-15"
    assert item["body"].endswith(KOSOVO.paragraphs[-1])


def test_page_cut_short_by_the_server_keeps_what_arrived():
    cut = PAGE[: PAGE.index(escape(KOSOVO.paragraphs[-1])[:40])]
    item = extract(cut)
    assert item["title"] == TITLE and item["published"] == "2007-11-15"
    assert KOSOVO.paragraphs[-1][:40] not in item["body"]


@pytest.mark.parametrize("body, content_type", [
    pytest.param(PAGE.encode(), "text/html; charset=utf-8", id="utf8-labelled-utf8"),
    pytest.param(PAGE.encode(), "text/html; charset=iso-8859-1", id="utf8-labelled-latin1"),
    pytest.param(PAGE.encode(), "text/html; charset=windows-1252", id="utf8-labelled-cp1252"),
    pytest.param(PAGE.replace('<meta charset="utf-8">', "").encode(), "text/html", id="utf8-no-charset"),
    pytest.param(PAGE.replace('<meta charset="utf-8">', "").encode(), "text/html; charset=nonsense-9",
                 id="utf8-unknown-charset"),
])
def test_wrong_or_missing_charset_gives_the_right_text(body, content_type):
    assert_complete(extract(body, content_type))


def test_windows_1252_page_labelled_utf8_is_not_garbled():
    # Windows-1252 cannot encode the title's "š", so the legacy page says "s".
    legacy_title = TITLE.replace("\u0161", "s")
    page = PAGE.replace('<meta charset="utf-8">', '<meta charset="windows-1252">').replace("\u0161", "s")
    item = extract(page.encode("cp1252"), "text/html; charset=utf-8")
    assert item["title"] == legacy_title
    assert "\ufffd" not in item["title"] + item["body"]
    assert item["published"] == "2007-11-15"


def test_correctly_labelled_legacy_page_still_reads():
    page = PAGE.replace('<meta charset="utf-8">', '<meta charset="windows-1252">').replace("\u0161", "s")
    item = extract(page.encode("cp1252"), "text/html; charset=windows-1252")
    assert item["title"] == TITLE.replace("\u0161", "s")


def test_impossible_date_is_not_invented():
    bad = replace(KOSOVO, date="31 February 2007",
                  paragraphs=[KOSOVO.paragraphs[0].replace("15 November", "31 February"), *KOSOVO.paragraphs[1:]])
    item = extract(osce.page_html(MENU, bad.title, osce.release_main(bad)), listing_date=None)
    assert item["title"] == KOSOVO.title and "published" not in item
    assert item["body"].startswith("VIENNA, 31 February 2007 - Clarity")  # text kept as printed


def test_unknown_layout_falls_back_to_og_title_and_dateline():
    paragraphs = "".join(f'<div class="q7-txt">{p}</div>' for p in KOSOVO.paragraphs)
    page = (f'<html><head><meta property="og:title" content="{KOSOVO.title.replace(chr(39), "&#39;")}"></head>'
            f'<body><div class="q7-wrap"><div class="q7-ttl">{KOSOVO.title}</div>{paragraphs}</div></body></html>')
    item = extract(page)
    assert item["title"] == KOSOVO.title
    assert (item["published"], item["place"]) == ("2007-11-15", "VIENNA")
    assert item["body"].endswith(KOSOVO.paragraphs[-1])


@pytest.mark.parametrize("labels", ["dl", "strong"])
def test_metadata_after_the_body_is_metadata_not_body(labels):
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in KOSOVO.paragraphs)
    facts = {"Date": "", "Place": "VIENNA", "Source": "Permanent Council",
             "Fields of work": "Conflict prevention and resolution"}
    if labels == "dl":
        meta = "<dl>" + "".join(f"<dt>{k}:</dt><dd>{v}</dd>" for k, v in facts.items()) + "</dl>"
    else:
        meta = "".join(f"<p><strong>{k}:</strong> {v}</p>" for k, v in facts.items())
    main = (f'<article><div class="bundle">Press release</div><h1>{escape(KOSOVO.title)}</h1>'
            f'<div class="copy">{paragraphs}</div>{meta}</article>')
    item = extract(osce.page_html(MENU, KOSOVO.title, main))
    assert item["body"] == "\n\n".join(KOSOVO.paragraphs)
    assert (item["issuers"], item["fields_of_work"]) == (["Permanent Council"], ["Conflict prevention and resolution"])
    assert (item["published"], item["place"]) == ("2007-11-15", "VIENNA")


def test_listing_in_a_new_layout_still_lists_the_releases():
    rows = "".join(f'<section class="card"><h2 class="card__t"><a href="{r.path}">{r.title}</a></h2>'
                   f'<span>{r.date}</span></section>' for r in osce.seed_releases())
    page = osce.page_html(MENU, "Press releases", f"<h1>Press releases</h1>{rows}<a href='?page=1'>Next</a>")
    root = parse_html(page.encode(), "utf-8")
    found = listing_rows(root, "http://127.0.0.1:8123/press-releases?page=0", OsceSpider.release_path)
    assert [row.url.rsplit(":8123", 1)[1] for row in found] == [r.path for r in osce.seed_releases()]
    assert [row.date for row in found] == ["2024-05-17", "2020-02-26", "2007-11-15"]


def listing_of(content: str):
    """The release rows ``listing_rows`` finds on a local listing page holding ``content``."""
    page = osce.page_html(MENU, "Press releases", f"<h1>Press releases</h1>{content}")
    return listing_rows(parse_html(page.encode(), "utf-8"), "http://127.0.0.1:8123/press-releases",
                        OsceSpider.release_path)


def test_sidebar_and_undated_links_of_a_listing_without_bookmarks_are_not_releases():
    rows = "".join(f'<div class="views-row"><h3><a href="{r.path}">{r.title}</a></h3>'
                   f'<p>Publishing date: {r.date}</p></div>' for r in osce.seed_releases())
    sidebar = ('<aside class="region-sidebar"><h3><a href="/publications/123456">Annual report</a></h3>'
               '<h3><a href="/event/12345">Conference, 3 May 2025</a></h3></aside>'
               '<div class="promo"><h3><a href="/stories/99999">Story: a day in the field</a></h3></div>')
    found = listing_of(sidebar + rows)
    assert [row.url.rsplit(":8123", 1)[1] for row in found] == [r.path for r in osce.seed_releases()]


def test_listing_with_unparseable_or_script_links_keeps_the_good_ones():
    good = osce.seed_releases()
    rows = "".join(f'<h3><a rel="bookmark" href="{r.path}">{r.title}</a></h3>' for r in good)
    hostile = ('<h3><a rel="bookmark" href="http://[::1">broken</a></h3>'
               '<h3><a rel="bookmark" href="javascript:alert(1)">script</a></h3>'
               '<h3><a rel="bookmark" href="//evil.example/pc/1">elsewhere</a></h3>')
    found = listing_of(hostile + rows)
    assert [row.url for row in found] == [f"http://127.0.0.1:8123{r.path}" for r in good]
