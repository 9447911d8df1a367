"""Reading the tracked lists from the OSCE menu, in several markups (docs/sites.md, "osce.org")."""

from __future__ import annotations

from dataclasses import replace

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from crawler.crawl.items import ListSnapshotItem
from crawler.localsite import osce
from spiders.extract import parse_html
from spiders.menus import menu_section
from spiders.osce import MENU_LISTS, OsceSpider

SEED = osce.seed_menu()
STYLES = ("drupal", "plain", "buttons", "live")
BASE = "https://www.osce.org"


def response(html: str, path: str = "/") -> HtmlResponse:
    return HtmlResponse(BASE + path, body=html.encode(), encoding="utf-8", request=Request(BASE + path))


def spider() -> OsceSpider:
    crawler = get_crawler(OsceSpider, {"OSCE_BASE_URL": BASE})
    return OsceSpider.from_crawler(crawler)


def home(menu: osce.Menu) -> HtmlResponse:
    return response(osce.build_site([], menu)["/"].body)


def lists_of(output) -> dict[str, ListSnapshotItem]:
    return {item["list"]: item for item in output if isinstance(item, ListSnapshotItem)}


@pytest.mark.parametrize("style", STYLES)
def test_states_in_site_order_with_the_chair_note(style):
    items = lists_of(spider().parse_home(home(replace(SEED, style=style))))["participating_states"]["items"]
    names = [i["name"] for i in items]
    assert names == [s.split(" \u2013 ")[0] for s in SEED.states]
    assert names.index("Belgium") < names.index("Belarus") and len(names) == 57
    assert items[names.index("Finland")] == {"name": "Finland", "note": "OSCE Chairpersonship 2025"}
    assert [i for i in items if i["note"]] == [{"name": "Finland", "note": "OSCE Chairpersonship 2025"}]


@pytest.mark.parametrize("style", STYLES)
def test_field_operations_without_navigation_links(style):
    output = list(spider().parse_home(home(replace(SEED, style=style))))
    operations = lists_of(output)["field_operations"]["items"]
    assert [o["name"] for o in operations] == SEED.field_operations
    closed = [r for r in output if isinstance(r, Request)]
    assert [r.url for r in closed] == [f"{BASE}/countries/closed-field-activities"]


@pytest.mark.parametrize("style", STYLES)
def test_a_home_page_block_headed_like_a_section_is_not_the_section(style):
    page = osce.build_site([], replace(SEED, style=style))["/"].body
    stories = "".join(f'<li><a href="/stories/{n}">Field story number {n} from a mission</a></li>' for n in range(20))
    page = page.replace('<main id="main-content" role="main">',
                        f'<main id="main-content" role="main"><h2>Field operations</h2><ul>{stories}</ul>', 1)
    assert "Field story number 19" in page
    operations = lists_of(spider().parse_home(response(page)))["field_operations"]["items"]
    assert [o["name"] for o in operations] == SEED.field_operations


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("partners", [True, False])
def test_partner_lists_only_when_the_site_shows_them(style, partners):
    lists = lists_of(spider().parse_home(home(replace(SEED, style=style, show_partners=partners))))
    if partners:
        assert [i["name"] for i in lists["asian_partners"]["items"]] == SEED.asian_partners
        assert [i["name"] for i in lists["mediterranean_partners"]["items"]] == SEED.mediterranean_partners
    else:
        assert set(lists) == {"participating_states", "field_operations"}
    assert all(item["healthy"] for item in lists.values())


@pytest.mark.parametrize("style", STYLES)
def test_closed_operations_are_the_page_list_not_the_menu(style):
    page = osce.build_site([], replace(SEED, style=style))["/countries/closed-field-activities"].body
    (item,) = spider().parse_closed(response(page, "/countries/closed-field-activities"))
    assert [i["name"] for i in item["items"]] == SEED.closed_operations and item["healthy"]


@pytest.mark.parametrize("dash", ["-", "\u2013", "\u2014"])
def test_a_note_after_any_spaced_dash(dash):
    html = f"""<html><body><div class="menu"><h2>Participating States</h2>
      <ul><li><a href="/a">Albania</a></li><li><a href="/b">Bosnia-Herzegovina</a></li>
      <li><a href="/f">Finland {dash} OSCE Chairpersonship 2025</a></li></ul></div></body></html>"""
    section = menu_section(parse_html(html), "Participating States")
    assert section.items == [{"name": "Albania", "note": None}, {"name": "Bosnia-Herzegovina", "note": None},
                             {"name": "Finland", "note": "OSCE Chairpersonship 2025"}]


def test_headings_as_summary_with_intro_and_region_groups():
    html = """<html><body><details><summary>Participating <b>States</b></summary>
      <div class="panel"><p>Our members.</p><h4>West</h4><ul><li>Andorra</li><li>Austria</li></ul>
      <h4>East</h4><ul><li>Armenia <span class="sr-only">(current page)</span></li></ul></div></details>
      <details><summary>Field operations</summary><ul><li>Presence in Albania</li></ul></details>
      </body></html>"""
    root = parse_html(html)
    assert [i["name"] for i in menu_section(root, "Participating States").items] == ["Andorra", "Austria", "Armenia"]
    assert [i["name"] for i in menu_section(root, "Field operations").items] == ["Presence in Albania"]


def test_the_fields_of_work_link_is_not_the_section():
    root = parse_html(home(SEED).body)
    section = menu_section(root, *MENU_LISTS["field_operations"])
    assert section.items[0]["name"] == "Presence in Albania" and len(section.items) == 12
    only_link = parse_html("<ul><li><a href='/x'>Arms control</a></li><li><a href='/fo'>Field operations</a></li>"
                           "<li><a href='/y'>Gender equality</a><ul><li>Sub</li></ul></li></ul>")
    assert menu_section(only_link, "Field operations") is None


def test_a_page_without_the_menu_gives_unhealthy_lists_not_empty_ones():
    s = spider()
    output = list(s.parse_home(response("<html><body><h1>Down for maintenance</h1></body></html>")))
    lists = lists_of(output)
    assert set(lists) == {"participating_states", "field_operations"}
    assert lists["participating_states"]["healthy"] is False
    assert lists["participating_states"]["reason"] == "menu section 'Participating States' not found"
    assert not [r for r in output if isinstance(r, Request)]
    problems = s.crawler.stats.get_value("releasewatch/problems")
    assert problems[0]["error"] == "no 'Closed field activities' link in the menu"


CLOSED = SEED.closed_operations
INTRO = "".join(f"<p>Paragraph {n} about the field activities that the OSCE closed over the years.</p>" for n in range(3))
CLOSED_LAYOUTS = {
    "intro-paragraphs": INTRO + "<ul>" + "".join(f'<li><a href="/c/{n}">{o}</a></li>' for n, o in enumerate(CLOSED)) + "</ul>",
    "grouped-by-region": "".join(f'<h2>Region {n}</h2><ul><li><a href="/c/{n}">{o}</a></li></ul>' for n, o in enumerate(CLOSED)),
    "views-rows": '<div class="view-content">' + "".join(
        f'<div class="views-row"><h3><a href="/c/{n}">{o}</a></h3><p>Closed.</p></div>' for n, o in enumerate(CLOSED)) + "</div>",
}


@pytest.mark.parametrize("layout", CLOSED_LAYOUTS)
def test_closed_operations_in_other_page_layouts(layout):
    page = osce.page_html(SEED, "Closed field activities",
                          f"<h1>Closed field activities</h1>{CLOSED_LAYOUTS[layout]}")
    (item,) = spider().parse_closed(response(page, "/countries/closed-field-activities"))
    assert [i["name"] for i in item["items"]] == CLOSED and item["healthy"]
