"""RSS 2.0 / Atom feed reading shared by the spiders (Scrapy's own XML selectors)."""

from __future__ import annotations

from dataclasses import dataclass

from scrapy.http import Response
from scrapy.selector import Selector

from storage.normalize import clean_text, parse_date


@dataclass
class FeedEntry:
    """One feed item: the story URL, and what the feed says about it (the page wins)."""

    url: str
    title: str | None
    date: str | None
    guid: str | None


def feed_entries(response: Response) -> list[FeedEntry]:
    """The items of an RSS 2.0 or Atom feed, in feed order; [] if it is not a feed."""
    try:
        selector = Selector(text=response.text, type="xml")
    except (ValueError, AttributeError):
        return []
    selector.remove_namespaces()
    entries = []
    for node in selector.xpath("//item | //entry"):
        link = (node.xpath("link/text()").get() or node.xpath("link/@href").get() or "").strip()
        guid = (node.xpath("guid/text()").get() or node.xpath("id/text()").get() or "").strip() or None
        if not link and guid and guid.startswith(("http://", "https://")):
            link = guid
        if not link:
            continue
        date = node.xpath("pubDate/text() | published/text() | updated/text() | date/text()").get()
        entries.append(FeedEntry(
            url=response.urljoin(link), title=clean_text(node.xpath("title/text()").get()) or None,
            date=parse_date(date), guid=guid,
        ))
    return entries
