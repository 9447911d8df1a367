"""Field-by-field parsing of the saved OSCE pages, in all three markups (City Scrapers style).

Each seed page is parsed once at import; a failing field names itself.
"""

import re

import pytest
from scrapy.http import HtmlResponse

from spiders.extract import parse_html
from spiders.menus import menu_section
from spiders.osce import MENU_LISTS, extract_release
from tests.conftest import FILES, fixture_response

EXPECTED = {
    "2007": {
        "url": "https://www.osce.org/pc/49473",
        "title": "OSCE plays indispensable role in Kosovo, says UN's Kosovo administrator",
        "published": "2007-11-15", "place": "VIENNA", "issuers": ["Permanent Council"],
        "fields_of_work": ["Conflict prevention and resolution"],
        "first": "VIENNA, 15 November 2007 - Clarity on Kosovo's future",
        "last": "to make appropriate decisions.",
    },
    "2020": {
        "url": "https://www.osce.org/chairpersonship/446341",
        "title": ("OSCE Chairperson-in-Office Edi Rama meets Russia\u2019s Foreign Minister Sergey "
                  "Lavrov in Moscow to discuss how to address challenges to Europe\u2019s security"),
        "published": "2020-02-26", "place": "MOSCOW", "issuers": ["OSCE Chairpersonship"],
        "fields_of_work": ["Conflict prevention and resolution"],
        "first": "MOSCOW, 26 February 2020 \u2013 OSCE Chairperson-in-Office",
        "last": "that we must all embrace.\u201d",
    },
    "2024": {
        "url": "https://www.osce.org/secretariat/568421",
        "title": ("OSCE and Council of Europe leadership stress the importance of strengthened "
                  "co-operation to protect the principles and values of the Organizations"),
        "published": "2024-05-17", "place": "STRASBOURG",
        "issuers": ["OSCE Chairpersonship", "OSCE Secretariat"], "fields_of_work": [],
        "first": "STRASBOURG, 17 May 2024 - The leadership of the Council of Europe",
        "last": "safeguard the European multilateral system.",
    },
}
VARIANTS = ("current", "legacy", "redesign")
PARSED = {
    (year, variant): extract_release(fixture_response(f"osce/release-{year}-{variant}.html", e["url"]))
    for year, e in EXPECTED.items() for variant in VARIANTS
}
CASES = [(y, v) for y in EXPECTED for v in VARIANTS]
MENU_WORDS = ("Participating States", "Arms control", "Presence in Albania", "Join the mailing list",
              "Share", "Skip to main content", "Related content", "Press release\n")


@pytest.mark.parametrize("year, variant", CASES)
def test_title(year, variant):
    assert PARSED[year, variant]["title"] == EXPECTED[year]["title"]


@pytest.mark.parametrize("year, variant", CASES)
def test_published(year, variant):
    assert PARSED[year, variant]["published"] == EXPECTED[year]["published"]


@pytest.mark.parametrize("year, variant", CASES)
def test_place(year, variant):
    assert PARSED[year, variant]["place"] == EXPECTED[year]["place"]


@pytest.mark.parametrize("year, variant", CASES)
def test_issuers(year, variant):
    assert PARSED[year, variant]["issuers"] == EXPECTED[year]["issuers"]


@pytest.mark.parametrize("year, variant", CASES)
def test_fields_of_work(year, variant):
    assert PARSED[year, variant].get("fields_of_work", []) == EXPECTED[year]["fields_of_work"]


@pytest.mark.parametrize("year, variant", CASES)
def test_body_starts_with_dateline_and_ends_with_last_paragraph(year, variant):
    body = PARSED[year, variant]["body"]
    assert body.startswith(EXPECTED[year]["first"])
    assert body.endswith(EXPECTED[year]["last"])
    assert "\n\n" in body


@pytest.mark.parametrize("year, variant", CASES)
def test_body_has_no_site_chrome(year, variant):
    body = PARSED[year, variant]["body"]
    for word in MENU_WORDS:
        assert word not in body


def test_source_is_osce():
    assert {item["source"] for item in PARSED.values()} == {"osce"}


def test_maintenance_page_is_not_a_release():
    from scrapy.http import HtmlResponse
    page = (b"<html><body><nav><ul><li>Participating States</li></ul></nav><main><h1>Site under "
            b"maintenance</h1><p>We will be back shortly.</p></main></body></html>")
    assert extract_release(HtmlResponse("https://www.osce.org/pc/1", body=page)) is None


def test_truncated_html_still_parses():
    whole = (fixture_response("osce/release-2007-current.html", EXPECTED["2007"]["url"]).body)
    cut = whole[: whole.index(b"He added")]
    from scrapy.http import HtmlResponse
    item = extract_release(HtmlResponse(EXPECTED["2007"]["url"], body=cut, encoding="utf-8"))
    assert item["title"] == EXPECTED["2007"]["title"]
    assert item["published"] == "2007-11-15"


HOME = parse_html(fixture_response("osce/home.html", "https://www.osce.org/").body)


def test_participating_states_in_site_order_with_note():
    states = menu_section(HOME, *MENU_LISTS["participating_states"]).items
    names = [s["name"] for s in states]
    assert len(states) == 57
    assert names.index("Belgium") < names.index("Belarus")
    assert {"Czechia", "The Netherlands", "T\u00fcrkiye"} <= set(names)
    assert {"name": "Finland", "note": "OSCE Chairpersonship 2025"} in states
    assert not {"All", "Asian Partners for Co-operation", "Mediterranean Partners for Co-operation"} & set(names)


def test_field_operations_from_the_heading_not_the_link():
    operations = [o["name"] for o in menu_section(HOME, *MENU_LISTS["field_operations"]).items]
    assert operations[0] == "Presence in Albania"
    assert operations[-1] == "Project Co-ordinator in Uzbekistan"
    assert len(operations) == 12 and "Closed field activities" not in operations


def test_paragraphs_separated_by_double_line_breaks_stay_paragraphs():
    page = (FILES / "osce/release-2007-redesign.html").read_text()
    joined = re.sub(r"</p>\s*<p>", "<br><br>\n", page)
    assert joined.count("<br><br>") >= 4
    response = HtmlResponse(EXPECTED["2007"]["url"], body=joined.encode(), encoding="utf-8")
    original = extract_release(fixture_response("osce/release-2007-redesign.html", EXPECTED["2007"]["url"]))
    assert extract_release(response)["body"] == original["body"]
