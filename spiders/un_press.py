"""UN Meetings Coverage and Press Releases (docs/sites.md, "press.un.org").

    scrapy crawl un_press                          # feed + every body's listing, stop at known
    scrapy crawl un_press -a body=security-council # only that listing (comma-separate several)
    scrapy crawl un_press -a full=1                # back-fill: page through every listing
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree
from scrapy.http import Response

from crawler.crawl.items import ReleaseItem, ReleaseLoader
from spiders.base import ReleaseSpider, request_meta
from spiders.extract import Block, ListingRow, body_paragraphs, parse_html, read_root
from spiders.feeds import feed_entries
from spiders.structured import note_structured

BODIES = ("security-council", "general-assembly", "secretary-general")
DOCUMENT_TYPES = ("Press Release", "Meetings Coverage", "Statement", "Note to Correspondents",
                  "Readout", "Press Briefing")
SYMBOL = re.compile(r"\b(?:[A-Z]{2,8}/)+[A-Z]{0,4}\d{2,6}(?:-(?:[A-Z]{2,8}/)+\d{2,6})*\b")
# The symbol in a URL: sgsm21950 -> SG/SM/21950 (the page's own text is preferred).
URL_SYMBOL = re.compile(r"/(?P<prefix>[a-z]+?)(?P<number>\d+)\.doc\.htm$")
URL_PREFIXES = {"sgsm": "SG/SM", "sga": "SG/A", "sgt": "SG/T", "sc": "SC", "ga": "GA",
                "gaef": "GA/EF", "gashc": "GA/SHC", "gal": "GA/L", "gaab": "GA/AB",
                "gaspd": "GA/SPD", "gadis": "GA/DIS", "ecosoc": "ECOSOC", "dev": "DEV", "hr": "HR",
                "org": "ORG", "pi": "PI", "dsgsm": "DSG/SM", "obv": "OBV", "wom": "WOM"}
# Lines around the title that are not body: symbol, type, date, a meeting subtitle.
_META_LINE = re.compile(rf"^(?:{SYMBOL.pattern}|{'|'.join(DOCUMENT_TYPES)}|\d{{1,2}} \w+ \d{{4}}"
                        r"|\d+(?:st|nd|rd|th) Meeting \((?:AM|PM|Night)\))$")
# Compiled once. An element whose class contains a name is found as the parent of such a
# class attribute: libxml2 tests ``//*[contains(@class, ...)]`` on every element, 2-3x slower.
_DOCTYPE_LINKS = etree.XPath("//@class[contains(., 'field--name-field-doctype')"
                             " or contains(., 'field--name-field-document-type')]/..//a")
_OUTSIDE_MENUS = ("[not(ancestor::nav or ancestor::header or ancestor::footer"
                  " or ancestor::*[@role='navigation' or @role='banner'])]")
_TYPE_LINKS = (etree.XPath(f"//main//a{_OUTSIDE_MENUS} | //article//a{_OUTSIDE_MENUS}"),
               etree.XPath(f"//a{_OUTSIDE_MENUS}"))
_MAIN_TEXT = etree.XPath("//main//text() | //article//text()")
_BODY_TEXT = etree.XPath("//body//text()")
_DATED = (etree.XPath("//@class[contains(., 'field--name-field-dated')]/..//time/@datetime"),
          etree.XPath("//main//time/@datetime | //article//time/@datetime"),
          etree.XPath("/descendant::meta[@property='article:published_time']/@content"))
_BODY_PARAGRAPHS = etree.XPath("//@class[contains(., 'field--name-body')]/..//p")


def symbol_from_url(url: str) -> str | None:
    match = URL_SYMBOL.search(url)
    if not match or match.group("prefix") not in URL_PREFIXES:
        return None
    return f"{URL_PREFIXES[match.group('prefix')]}/{match.group('number')}"


def document_type(root) -> str | None:
    """The page's document type link (``Press Release``, ...), not the site menu's.

    The Drupal field (``field--name-field-doctype``, an entity-reference link) names it
    whatever the type; else the first known type's link outside the menus.
    """
    for a in _DOCTYPE_LINKS(root):
        text = " ".join(a.text_content().split())
        if text:
            return text
    for path in _TYPE_LINKS:
        for a in path(root):
            text = " ".join(a.text_content().split())
            if text in DOCUMENT_TYPES:
                return text
    return None


def extract_release(response: Response) -> ReleaseItem | None:
    """The press release on a page, or None when the page holds none."""
    root = parse_html(response.body, response.encoding)
    if root is None:
        return None
    top = " ".join(_MAIN_TEXT(root)[:400]) or " ".join(_BODY_TEXT(root)[:400])
    symbol = SYMBOL.search(top)
    dated = next((found for path in _DATED if (found := path(root))), [])
    body_nodes = _BODY_PARAGRAPHS(root)
    kind = document_type(root)
    blocks = [Block("p", " ".join(p.text_content().split())) for p in body_nodes]
    note_structured(response, root)
    page = read_root(root)  # strips the chrome from root: everything else is read above
    if not page.title:
        return None
    if not (symbol or dated or body_nodes):
        return None  # no symbol, no date, no body field: an error or maintenance page
    if not blocks:
        blocks = [b for b in page.blocks if not _META_LINE.match(b.text)]
    paragraphs = body_paragraphs(blocks)
    if not paragraphs:
        return None
    loader = ReleaseLoader()  # response= would parse the page again
    loader.add_value("source", "un_press")
    loader.add_value("url", response.url)
    loader.add_value("title", page.title)
    loader.add_value("published", dated[:1])
    loader.add_value("published", request_meta(response).get("listing_date"))
    loader.add_value("symbol", symbol.group(0) if symbol else symbol_from_url(response.url))
    loader.add_value("document_type", kind)
    loader.add_value("body", paragraphs)
    return loader.load_item()


class UnPressSpider(ReleaseSpider):
    """New releases from the site feed and the listing of every body."""

    name = "un_press"
    source = "un_press"
    base_url_setting = "UN_PRESS_BASE_URL"
    default_base_url = "https://press.un.org"
    release_path = re.compile(r"\.doc\.htm$")

    def __init__(self, *args, body: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.bodies = [b.strip() for b in body.split(",") if b.strip()] if body else list(BODIES)

    async def start(self):
        yield self.request(self.url("/en/rss.xml"), self.parse_feed, entry=True)
        for body in self.bodies:
            yield self.request(self.url(f"/en/content/{body}?page=0"), self.parse_listing,
                               entry=True, listing=True, page=0)

    def parse_feed(self, response: Response) -> Iterator:
        """The feed's newest items (the listings find the rest).

        @fixture un_press/rss.xml
        @returns requests 2 2
        """
        entries = feed_entries(response)
        if not entries:
            self.problem(response.url, "feed has no items (not a feed, or empty)", entry=True)
        for entry in entries:
            yield self.release_request(ListingRow(entry.url, entry.title, entry.date))

    def parse_release(self, response: Response) -> Iterator[ReleaseItem]:
        """Parse one press release.

        @fixture un_press/sc15431.html
        @returns items 1 1
        @scrapes source url title published symbol document_type body
        """
        item = extract_release(response)
        if item is None:
            self.problem(response.url, "no press release found on the page")
            return
        self.check_structured(response, item)
        yield item
