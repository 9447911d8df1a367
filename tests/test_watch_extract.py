"""Release pages of the ten press rooms read by the generic machinery
(spiders/watch_extract.py): titles, dates, and bodies without menus or footers."""

from __future__ import annotations

import pytest

from crawler.localsite.pressrooms import STYLES, build
from crawler.localsite.pressrooms.score import BASE, score
from spiders.watch_extract import read_release, structured


@pytest.mark.parametrize("site", sorted(STYLES))
def test_each_press_rooms_release_pages(site):
    room = build(site)
    found = []
    for release in room.releases:
        url = BASE + release.path
        row = read_release(room.pages[release.path].data.decode(), url)
        found.append({"url": url, **(row or {}), "body": "\n\n".join((row or {}).get("body") or [])})
    result = score(room, BASE, found, bodies=True)
    assert result.share(result.titles) >= 0.95 and result.share(result.dates) >= 0.95, result.line()
    assert result.share(result.clean) >= 0.95, result.line()


def test_json_ld_and_open_graph_are_read_and_broken_json_ld_is_ignored():
    page = ('<html><head><script type="application/ld+json">{"@context": "https://schema.org", "@graph": '
            '[{"@type": "NewsArticle", "headline": "The headline", "datePublished": "2024-02-03T10:00:00Z"}]}'
            '</script><meta property="og:title" content="OG title"></head><body></body></html>')
    assert structured(page, "http://example.org/a") == {
        "headline": "The headline", "published": "2024-02-03T10:00:00Z", "og_title": "OG title"}
    broken = '<html><head><script type="application/ld+json">{"@type": </script></head></html>'
    assert structured(broken, "http://example.org/a") == {}


def test_the_listing_date_is_used_when_the_page_has_none():
    body = " ".join(["The mission published its findings on the situation in the region today."] * 6)
    page = f"<html><head><title>Findings</title></head><body><h1>Findings</h1><p>{body}</p></body></html>"
    row = read_release(page, "http://example.org/findings", listing_date="2024-04-05", listing_title="Findings")
    assert row["published"] == "2024-04-05" and row["title"] == "Findings"
