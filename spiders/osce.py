"""OSCE press releases and the menu's tracked lists (SITES.md, "osce.org").

    scrapy crawl osce                       # new releases, and the lists
    scrapy crawl osce -a full=1             # revisit every listing page
    scrapy crawl osce -s OSCE_BASE_URL=http://127.0.0.1:8123
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scrapy.http import Response

from crawler.items import ListSnapshotItem, ReleaseItem, ReleaseLoader
from spiders.base import ReleaseSpider, request_meta
from spiders.extract import (
    Block,
    body_paragraphs,
    menu_section,
    parse_html,
    read_labels,
    read_page,
)
from storage.normalize import DATELINE_RE, parse_date, split_dateline

LABELS = ("Date", "Publishing date", "Place", "Source", "Sources", "Fields of work", "Field of work")
# name in list_snapshots -> (menu heading, entries that are navigation, not members)
MENU_LISTS = {
    "participating_states": ("Participating States", (
        "All", "Asian Partners for Co-operation", "Mediterranean Partners for Co-operation",
        "Partners for Co-operation")),
    "field_operations": ("Field operations", ("Closed field activities", "All", "Field operations")),
}
PARTNER_LISTS = {
    "asian_partners": "Asian Partners for Co-operation",
    "mediterranean_partners": "Mediterranean Partners for Co-operation",
}
CLOSED_LINK = "Closed field activities"


def starts_body(block: Block) -> bool:
    """Whether a block is the first body paragraph (ends the metadata block)."""
    if DATELINE_RE.match(block.text):
        return True
    sentence = block.text.endswith((".", '"', "\u201d")) and len(block.text.split()) >= 6
    return block.tag == "p" and (len(block.text) > 60 or sentence)


def extract_release(response: Response, source: str = "osce") -> ReleaseItem | None:
    """The release on an OSCE page, or None when the page holds no release."""
    page = read_page(response.body, response.encoding)
    if page is None or not page.title:
        return None
    meta, end = read_labels(page.blocks, LABELS, stop=starts_body)
    paragraphs = [p for p in body_paragraphs(page.blocks[end:]) if p.casefold() != "press release"]
    place, date, _ = split_dateline(paragraphs[0]) if paragraphs else (None, None, "")
    if not meta and not date:
        return None  # no metadata block and no dateline: not a release page
    # No response=: the loader would parse the page again for a Selector nobody uses.
    loader = ReleaseLoader()
    loader.add_value("source", source)
    loader.add_value("url", response.url)
    loader.add_value("title", page.title)
    for label in ("Date", "Publishing date"):
        loader.add_value("published", meta.get(label, []))
    loader.add_value("published", date)
    loader.add_value("published", request_meta(response).get("listing_date"))
    loader.add_value("place", meta.get("Place", []))
    loader.add_value("place", place)
    loader.add_value("issuers", meta.get("Source", []) + meta.get("Sources", []))
    loader.add_value("fields_of_work", meta.get("Fields of work", []) + meta.get("Field of work", []))
    loader.add_value("body", paragraphs)
    return loader.load_item()


class OsceSpider(ReleaseSpider):
    """New OSCE press releases, newest first, and a snapshot of the menu's lists."""

    name = "osce"
    source = "osce"
    base_url_setting = "OSCE_BASE_URL"
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
        if not parse_date(item.get("published")):
            self.problem(response.url, "release without a readable date")
        yield item

    def parse_home(self, response: Response) -> Iterator:
        """Read the tracked lists from the site menu, then the closed operations page.

        @fixture osce/home.html
        @returns items 4 4
        """
        root = parse_html(response.body, response.encoding)
        closed_url = None
        if root is not None:
            closed = root.xpath(f"//a[normalize-space(.)='{CLOSED_LINK}']/@href")
            closed_url = response.urljoin(closed[0]) if closed else None
        for name, (heading, exclude) in MENU_LISTS.items():
            section = menu_section(root, heading, exclude) if root is not None else None
            yield self.list_item(response, name, section.items if section else None,
                                 f"menu section '{heading}' not found")
            if name == "participating_states" and section:
                for partner, label in PARTNER_LISTS.items():
                    if label in section.children:
                        yield self.list_item(response, partner,
                                             [{"name": n, "note": None} for n in section.children[label] if n],
                                             f"'{label}' list not found")
        if closed_url:
            yield self.request(closed_url, self.parse_closed, lists=True)

    def parse_closed(self, response: Response) -> Iterator[ListSnapshotItem]:
        """The closed field operations: the list on the page the menu links."""
        page = read_page(response.body, response.encoding)
        names = [b.text for b in page.blocks if b.tag == "li"] if page else []
        yield self.list_item(response, "closed_field_operations",
                             [{"name": n, "note": None} for n in names], "no closed operations listed")

    def list_item(self, response: Response, name: str, items: list[dict] | None, why: str) -> ListSnapshotItem:
        healthy = bool(items)
        return ListSnapshotItem(list=name, items=items or [], url=response.url,
                                healthy=healthy, reason=None if healthy else why)
