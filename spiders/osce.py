"""OSCE press releases and the menu's tracked lists (docs/sites.md, "osce.org").

    scrapy crawl osce                       # new releases, and the lists
    scrapy crawl osce -a full=1             # revisit every listing page
    scrapy crawl osce -s OSCE_BASE_URL=http://127.0.0.1:8123
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree
from scrapy.http import Response

from crawler.crawl.items import ListSnapshotItem, ReleaseItem, ReleaseLoader
from spiders.base import ReleaseSpider, request_meta
from spiders.extract import (
    Block,
    body_paragraphs,
    first_h1,
    label_pattern,
    parse_html,
    read_labels,
    read_root,
    strip_chrome,
)
from spiders.menus import MenuList, menu_section, nav_key, page_list
from spiders.structured import note_structured
from storage.normalize import DATELINE_RE, parse_date, split_dateline

LABELS = ("Date", "Publishing date", "Place", "Source", "Sources", "Fields of work", "Field of work")
LABEL_LINE = label_pattern(LABELS)
# name in list_snapshots -> (menu heading, entries that are navigation, not members)
MENU_LISTS = {
    "participating_states": ("Participating States", (
        "All", "Asian Partners for Co-operation", "Mediterranean Partners for Co-operation",
        "Partners for Co-operation", "All participating States")),
    "field_operations": ("Field operations", ("Closed field activities", "All", "Field operations")),
}
# Shown as sub-menus of Participating States (or sections of their own), when shown.
PARTNER_LISTS = {
    "asian_partners": "Asian Partners for Co-operation",
    "mediterranean_partners": "Mediterranean Partners for Co-operation",
}
CLOSED_LINK = "Closed field activities"
# Drupal 7 class names (docs/sites.md, "osce.org"): read when the labels are missing.
# ``/descendant::x[test]`` is ``//x[test]`` (no test here is positional), twice as fast in
# libxml2, which gives ``//`` with a predicate no shortcut (extract.ROLE_MAIN).
D7_DATE = "/descendant::span[contains(concat(' ', normalize-space(@class), ' '), ' date-display-single ')]"
D7_SOURCE = ("/descendant::div[contains(concat(' ', normalize-space(@class), ' '), ' field-field-item-source ')]"
             "//a/text()")


def starts_body(block: Block) -> bool:
    """Whether a block is the first body paragraph (ends the metadata block)."""
    if DATELINE_RE.match(block.text):
        return True
    sentence = block.text.endswith((".", '"', "\u201d")) and len(block.text.split()) >= 6
    return block.tag == "p" and (len(block.text) > 60 or sentence)


TIME_XPATH = ("//main//time/@datetime | //article//time/@datetime"
              " | /descendant::meta[@property='article:published_time']/@content")
# Compiled once: an XPath string is compiled again on every ``root.xpath`` call.
_TIMES = etree.XPath(TIME_XPATH)
_D7_DATES = etree.XPath(f"{D7_DATE}/@content | {D7_DATE}/text()")
_D7_SOURCES = etree.XPath(D7_SOURCE)


def extract_release(response: Response, source: str = "osce") -> ReleaseItem | None:
    """The release on an OSCE page, or None when the page holds no release."""
    root = parse_html(response.body, response.encoding)
    if root is None:
        return None
    # Read before read_root strips the chrome (Drupal 7 keeps date and source there).
    times = _TIMES(root)
    d7_dates = _D7_DATES(root)
    d7_sources = [str(t).strip() for t in _D7_SOURCES(root) if str(t).strip()]
    note_structured(response, root)
    page = read_root(root)
    if not page.title:
        return None
    meta, end = read_labels(page.blocks, LABELS, stop=starts_body)
    body = page.blocks[end:]
    # Some layouts put the metadata after the text: the first label block ends the body.
    after = next((i for i, b in enumerate(body) if len(b.text) < 120 and LABEL_LINE.match(b.text)), None)
    if after is not None:
        for label, values in read_labels(body[after:], LABELS)[0].items():
            meta[label] = meta.get(label) or values
        body = body[:after]
    # Neither the content type nor the title (a layout without h1 repeats it) is body.
    # A line that is only a date (Drupal 7 prints one above the body) is not body either.
    not_body = ("press release", page.title.casefold())
    paragraphs = [p for p in body_paragraphs(body)
                  if p.casefold() not in not_body and not (len(p) < 40 and parse_date(p))]
    place, date, _ = split_dateline(paragraphs[0]) if paragraphs else (None, None, "")
    if not meta and not date:
        return None  # no metadata block and no dateline: not a release page
    # No response= and no response.xpath: each would parse the page again (as a Selector).
    loader = ReleaseLoader()
    loader.add_value("source", source)
    loader.add_value("url", response.url)
    loader.add_value("title", page.title)
    # One add_value per field (each costs ~6 us): every date the page gives, best first
    # (the loader keeps the first that parses; a None is dropped as add_value drops it).
    loader.add_value("published", [*meta.get("Date", []), *meta.get("Publishing date", []), date,
                                   *map(str, d7_dates), request_meta(response).get("listing_date"),
                                   *map(str, times)])
    loader.add_value("place", [*meta.get("Place", []), place])
    loader.add_value("issuers", meta.get("Source", []) + meta.get("Sources", [])
                     or d7_sources)
    loader.add_value("fields_of_work", meta.get("Fields of work", []) + meta.get("Field of work", []))
    loader.add_value("body", paragraphs)
    return loader.load_item()


class OsceSpider(ReleaseSpider):
    """New OSCE press releases, newest first, and a snapshot of the menu's lists."""

    name = "osce"
    source = "osce"
    base_url_setting = "OSCE_BASE_URL"
    default_base_url = "https://www.osce.org"
    listing_path = "/press-releases"
    release_path = re.compile(r"^/[\w-]+(?:/[\w-]+)*/\d+/?$")

    async def start(self):
        yield self.request(self.url("/"), self.parse_home, entry=True, lists=True)
        yield self.request(self.url(f"{self.listing_path}?page=0"), self.parse_listing,
                           entry=True, listing=True, page=0)

    def parse_release(self, response: Response) -> Iterator[ReleaseItem]:
        """Parse one press release.

        @fixture osce/release-2007-current.html
        @returns items 1 1
        @returns requests 0 0
        @scrapes source url title published place issuers body
        """
        item = extract_release(response, self.source)
        if item is None:
            self.problem(response.url, "no release found on the page (maintenance page or new layout?)")
            return
        self.check_structured(response, item)
        if not parse_date(item.get("published")):
            self.problem(response.url, "release without a readable date")
        yield item

    def parse_home(self, response: Response) -> Iterator:
        """Read the tracked lists from the site menu, then the closed operations page.

        A section that is missing is reported as an unhealthy list (never as an empty
        one); the partner lists are read only when the site shows them.

        @fixture osce/home.html
        @returns items 4 4
        @returns requests 1 1
        """
        root = parse_html(response.body, response.encoding)
        sections = {}
        for name, (heading, exclude) in MENU_LISTS.items():
            sections[name] = menu_section(root, heading, exclude) if root is not None else None
            yield self.list_item(response, name, sections[name], f"menu section '{heading}' not found")
        for name, heading in PARTNER_LISTS.items():
            section = menu_section(root, heading) if root is not None else None
            if section is not None and section.items:
                yield self.list_item(response, name, section, "")
        closed_url = self.closed_url(root, sections["field_operations"])
        if closed_url:
            yield self.request(self.rebase(response.urljoin(closed_url)), self.parse_closed, lists=True)
        elif root is not None:
            self.problem(response.url, f"no '{CLOSED_LINK}' link in the menu")

    @staticmethod
    def closed_url(root, operations: MenuList | None) -> str | None:
        """Where the menu's ``Closed field activities`` link points (any link so named)."""
        if operations is not None and operations.link(CLOSED_LINK):
            return operations.link(CLOSED_LINK)
        for a in root.iter("a") if root is not None else ():
            if nav_key(a.text_content()) == nav_key(CLOSED_LINK) and a.get("href"):
                return a.get("href").strip()
        return None

    def parse_closed(self, response: Response) -> Iterator[ListSnapshotItem]:
        """The closed field operations: the list under the page's heading.

        @fixture osce/closed-field-activities.html
        @returns items 1 1
        """
        section = None
        root = parse_html(response.body, response.encoding)
        if root is not None:
            strip_chrome(root)  # menus, share widgets and footers are not the list
            h1 = first_h1(root)
            section = page_list(root, h1) if h1 is not None else None
        yield self.list_item(response, "closed_field_operations", section, "no closed operations listed")

    def list_item(self, response: Response, name: str, section: MenuList | None, why: str) -> ListSnapshotItem:
        """A list as read from ``response``; unhealthy (with ``why``) when not found or empty."""
        items = section.items if section is not None else []
        return ListSnapshotItem(list=name, items=items, url=response.url,
                                healthy=bool(items), reason=None if items else why)
