"""States are matched by country identity: the real renames of the OSCE menu, as units and
crawled end to end (``scrapy crawl osce`` before and after each rename, checked with SQL)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from crawler.localsite import osce
from crawler.localsite.server import LocalSite
from storage.countries import country_code
from storage.lists import diff_items
from tests.conftest import scrapy_crawl

FYROM = "the former Yugoslav Republic of Macedonia"
CHAIR_2025, CHAIR_2026 = "Finland \u2013 OSCE Chairpersonship 2025", "Switzerland \u2013 OSCE Chairpersonship 2026"


def states_before() -> list[str]:
    """The seed menu's States as the site printed them before the renames: old names,
    and the old name of North Macedonia under T (the list is alphabetical)."""
    states = [{"Czechia": "Czech Republic", "T\u00fcrkiye": "Turkey"}.get(s, s)
              for s in osce.seed_menu().states if s != "North Macedonia"]
    states.insert(states.index("Tajikistan") + 1, FYROM)
    return states


def renamed(states: list[str], old: str, new: str, *, at: str | None = None) -> list[str]:
    """``states`` with ``old`` called ``new`` (moved after ``at`` when given)."""
    if at is None:
        return [new if s == old else s for s in states]
    out = [s for s in states if s != old]
    out.insert(out.index(at) + 1, new)
    return out


# Each real step of the menu's history: the States after it, and the change rows it makes.
STEP_CZECHIA = renamed(states_before(), "Czech Republic", "Czechia")
STEP_TURKIYE = renamed(STEP_CZECHIA, "Turkey", "T\u00fcrkiye")
STEP_NORTH_MACEDONIA = renamed(STEP_TURKIYE, FYROM, "North Macedonia", at="The Netherlands")
STEP_CHAIR = renamed(renamed(STEP_NORTH_MACEDONIA, CHAIR_2025, "Finland"), "Switzerland", CHAIR_2026)
STEPS = [
    (STEP_CZECHIA, [("renamed", "Czechia", "Czech Republic", "Czechia")]),
    (STEP_TURKIYE, [("renamed", "T\u00fcrkiye", "Turkey", "T\u00fcrkiye")]),
    (STEP_NORTH_MACEDONIA, [("renamed", "North Macedonia", FYROM, "North Macedonia")]),
    (STEP_CHAIR, [("note_changed", "Finland", "OSCE Chairpersonship 2025", None),
                  ("note_changed", "Switzerland", None, "OSCE Chairpersonship 2026")]),
]


def items(states: list[str]) -> list[dict]:
    from storage.normalize import split_note

    return [dict(zip(("name", "note"), split_note(s), strict=True)) for s in states]


@pytest.mark.parametrize(("name", "code"), [
    (FYROM, "MKD"), ("North Macedonia", "MKD"), ("Czech Republic", "CZE"), ("Czechia", "CZE"),
    ("Turkey", "TUR"), ("T\u00fcrkiye", "TUR"), ("The Netherlands", "NLD"), ("Holy See", "VAT"),
    ("Moldova", "MDA"), ("Republic of Moldova", "MDA"), ("Austria", "AUT"), ("Australia", "AUS"),
    ("Presence in Albania", None), ("All", None), ("", None),
])
def test_country_code(name, code):
    assert country_code(name) == code


def test_every_seed_state_is_a_country():
    assert [s for s in osce.seed_menu().states if country_code(s.split(" \u2013 ")[0]) is None] == []


@pytest.mark.parametrize(("before", "after", "expected"), [
    (prev, step, rows) for prev, (step, rows) in zip([states_before()] + [s for s, _ in STEPS[:-1]], STEPS, strict=True)
])
def test_each_real_rename_is_one_renamed_row(before, after, expected):
    changes = diff_items(items(before), items(after), country_code)
    assert [(c["change"], c["item"], c["before"], c["after"]) for c in changes] == expected


def test_a_moved_rename_is_two_rows_without_identity():
    """Field operations keep the position rule: a renamed entry that moved is removed + added."""
    kinds = [c["change"] for c in diff_items(items(STEP_TURKIYE), items(STEP_NORTH_MACEDONIA))]
    assert kinds == ["removed", "added"]


def test_two_different_countries_are_never_a_rename():
    before, after = items(["Albania", "Austria", "Belgium"]), items(["Albania", "Australia", "Belgium"])
    assert [c["change"] for c in diff_items(before, after, country_code)] == ["removed", "added"]


@pytest.mark.slow
def test_crawling_the_menu_through_the_real_renames(tmp_path):
    """One ``renamed`` row per real rename saying both names, no removal or addition; the
    chairpersonship moving is two note changes."""
    db_path = tmp_path / "releasewatch.db"
    menu = replace(osce.seed_menu(), states=states_before())
    site = LocalSite(osce.build_site(osce.seed_releases(), menu))
    with site:
        first = scrapy_crawl("osce", db_path, {"OSCE_BASE_URL": site.url})
        assert first.returncode == 0, first.output
        seen = 0
        for states, expected in STEPS:
            site.pages = osce.build_site(osce.seed_releases(), replace(menu, states=states))
            result = scrapy_crawl("osce", db_path, {"OSCE_BASE_URL": site.url})
            assert result.returncode == 0, result.output
            rows = result.rows("SELECT id, change, item, before, after FROM list_changes "
                               "WHERE list = 'participating_states' AND id > ? ORDER BY id", [seen])
            assert [(r["change"], r["item"], r["before"], r["after"]) for r in rows] == expected
            seen = max([seen] + [r["id"] for r in rows])
        assert first.scalar("SELECT count(*) FROM list_changes WHERE change IN ('added', 'removed')") == 0
