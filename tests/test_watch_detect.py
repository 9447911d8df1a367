"""The listing-structure detector (spiders/listing_detect.py) on the ten local press rooms
and on hand-written pages: rows, titles, dates and pagers, without menus or sidebars."""

from __future__ import annotations

import pytest

from crawler.localsite.pressrooms import STYLES, build
from crawler.localsite.pressrooms.score import BASE, score_listing
from spiders.listing_detect import date_in, detect_listing


@pytest.mark.parametrize("site", sorted(STYLES))
def test_each_press_room_rows_are_found_with_titles_and_dates(site):
    score = score_listing(site)
    assert score.recall >= 0.95 and score.precision >= 0.95, score.line()
    assert score.share(score.titles) >= 0.95 and score.share(score.dates) >= 0.95, score.line()
    assert score.pages == 3, score.line()  # every listing page, through the pager


PAGERS = {"nato": "numbered pager (2)", "coe": 'link "›"', "ohchr": "rel=next", "unhcr": 'link "Load more"',
          "icrc": 'link "Next page"', "mfa": 'link "»"', "oldstyle": 'link "Older releases"',
          "geneva": "?page=2", "council": 'link "Show more"', "eeas": "numbered pager (2)"}


@pytest.mark.parametrize("site", sorted(PAGERS))
def test_the_pager_of_each_press_room(site):
    room = build(site)
    listing = detect_listing(room.pages[room.listing].data, BASE + room.listing)
    assert listing.pager == PAGERS[site]
    assert listing.next_url == BASE + room.listing_pages[1]


def test_menus_sidebars_tag_clouds_and_related_links_are_not_rows():
    room = build("ohchr")
    listing = detect_listing(room.pages[room.listing].data, BASE + room.listing)
    urls = " ".join(row.url for row in listing.rows)
    assert "/stories/" not in urls and "/tags/" not in urls and "/about-us" not in urls
    assert listing.signature.endswith("article.teaser")


def test_a_redesigned_listing_without_rows_says_what_is_missing():
    room = build("coe", redesign=True)
    listing = detect_listing(room.pages[room.listing].data, BASE + room.listing)
    assert listing.rows == []  # the "most read" box has dated links, but sits in a sidebar
    assert "no release rows" in listing.problem and "a date or a teaser" in listing.problem


def test_two_links_are_not_a_listing_and_a_single_row_group_still_counts():
    page = ("<html><body><main><h2>May 2024</h2><ul class='l'><li>3 May 2024 <a href='/a'>Alpha release "
            "text here</a></li></ul><h2>April 2024</h2><ul class='l'><li>2 April 2024 <a href='/b'>Beta "
            "release text here</a></li><li>1 April 2024 <a href='/c'>Gamma release text here</a></li></ul>"
            "</main></body></html>")
    listing = detect_listing(page, "http://example.org/news")
    assert [row.url.rsplit("/", 1)[1] for row in listing.rows] == ["a", "b", "c"]
    assert [row.date for row in listing.rows] == ["2024-05-03", "2024-04-02", "2024-04-01"]
    short = "<html><body><p>1 May 2024 <a href='/a'>A b c d</a></p><p>2 May 2024 <a href='/b'>B c d e</a></p></body></html>"
    assert detect_listing(short, "http://example.org/").rows == []


def test_links_to_other_sites_and_not_html_are_no_rows():
    assert detect_listing(b"", "http://example.org/").problem
    rows = "".join(f"<li>{d} May 2024 <a href='https://elsewhere.example/{d}'>Story number {d} here</a></li>"
                   for d in range(1, 6))
    assert detect_listing(f"<ul>{rows}</ul>", "http://example.org/").rows == []


@pytest.mark.parametrize(("text", "iso"), [
    ("Press release 12.3.2024 | Unit", "2024-03-12"), ("05/03/2024", "2024-03-05"),
    ("Published 12 Mar. 2024", "2024-03-12"), ("March 12, 2024", "2024-03-12"),
    ("2024-03-12T10:00", "2024-03-12"), ("31.13.2024", None), ("Version 1.2.20245", None),
])
def test_dates_in_listing_text(text, iso):
    assert date_in(text) == iso


def test_the_local_osce_listing_is_read_without_its_spider():
    from crawler.localsite import osce

    releases = osce.seed_releases()
    pages = osce.build_site(releases)
    listing = detect_listing(pages["/press-releases"].data, "http://127.0.0.1:8000/press-releases")
    assert len(listing.rows) == len(releases) and all(row.date for row in listing.rows)
    assert listing.signature.endswith("div.views-row") and listing.next_url is None  # one page


def test_a_last_page_with_a_single_row_is_read_with_the_first_pages_rows_in_mind():
    room = build("council")
    first = detect_listing(room.pages[room.listing].data, BASE + room.listing)
    last_path = room.listing_pages[-1]
    alone = detect_listing(room.pages[last_path].data, BASE + last_path)
    assert alone.rows == [] and "no release rows" in alone.problem  # one card is no pattern...
    known = detect_listing(room.pages[last_path].data, BASE + last_path, expected=first.signature)
    assert [row.url for row in known.rows] == [BASE + room.releases[-1].path]  # ...but the first page's rows
    assert known.rows[0].date == room.releases[-1].published.isoformat()


def test_events_and_featured_blocks_in_the_main_column_are_not_rows():
    for site, noise in (("ohchr", "/events/"), ("mfa", "/speeches/")):
        room = build(site)
        listing = detect_listing(room.pages[room.listing_pages[-1]].data, BASE + room.listing_pages[-1])
        assert listing.rows and not any(noise in row.url for row in listing.rows)
    room = build("nato")  # the hero repeats the newest release: still one row
    listing = detect_listing(room.pages[room.listing].data, BASE + room.listing)
    assert [row.url for row in listing.rows] == [BASE + r.path for r in room.releases[:9]]


def test_the_saved_rows_do_not_make_one_stray_block_a_listing_on_a_first_page():
    page = ("<html><body><main><div><p>3 May 2024 <a href='/a'>Alpha release text here</a></p></div>"
            "<p>Contact the press office.</p></main></body></html>")
    expected = "main > div > p"
    assert detect_listing(page, "http://example.org/", expected=expected).rows  # a later page: one row is fine
    assert detect_listing(page, "http://example.org/", expected=expected, known_min=3).rows == []
