"""The tracked lists through a scripted history of the OSCE menu, crawled for real.

Each step changes the local site's menu, runs ``scrapy crawl osce`` and checks exactly
which ``list_changes`` rows the crawl added (and that nothing else was recorded).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from crawler.localsite import osce
from crawler.localsite.server import LocalSite, Page
from storage import utcnow
from tests.conftest import scrapy_crawl

pytestmark = pytest.mark.slow

CHAIR_2025 = "Finland \u2013 OSCE Chairpersonship 2025"
CHAIR_2026 = "Switzerland \u2013 OSCE Chairpersonship 2026"


class History:
    """A local OSCE site and a database, advanced one crawl at a time."""

    def __init__(self, site: LocalSite, db_path, menu: osce.Menu):
        self.site, self.db_path, self.menu = site, db_path, menu
        self.releases = osce.seed_releases()
        self.last_change_id = 0
        self.publish(menu)

    def publish(self, menu: osce.Menu) -> None:
        self.menu = menu
        self.site.pages = osce.build_site(self.releases, menu)

    def crawl(self):
        """Crawl; return (result, the list_changes rows it added, its crawl_runs row)."""
        started = utcnow()
        result = scrapy_crawl("osce", self.db_path, {"OSCE_BASE_URL": self.site.url})
        finished = utcnow()
        rows = result.rows("SELECT c.*, s.taken_at FROM list_changes c "
                           "LEFT JOIN list_snapshots s ON s.id = c.snapshot_id WHERE c.id > ? ORDER BY c.id",
                           [self.last_change_id])
        for row in rows:
            assert started <= row["detected_at"] <= finished
            assert row["detected_at"] == row.pop("taken_at"), "a change points at its snapshot"
        if rows:
            self.last_change_id = rows[-1]["id"]
        run = result.rows("SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1")[0]
        return result, [(r["list"], r["change"], r["item"], r["before"], r["after"]) for r in rows], run


def states_with(menu: osce.Menu, **renames: str) -> osce.Menu:
    """``menu`` with State entries replaced: ``states_with(menu, Turkey="Türkiye")``."""
    renames = {old.replace("_", " "): new for old, new in renames.items()}
    return replace(menu, states=[renames.get(s, s) for s in menu.states])


def test_scripted_menu_history_records_exactly_the_real_changes(db_path):
    seed = osce.seed_menu()
    start = replace(seed, states=[("Czech Republic" if s == "Czechia" else s)
                                  for s in seed.states if s != "Mongolia"])
    assert len(start.states) == 56
    with LocalSite() as site:
        history = History(site, db_path, start)

        # 0. the first crawl is the baseline of every list: snapshots, no changes
        result, changes, run = history.crawl()
        assert run["status"] == "ok", result.output
        assert changes == []
        snapshots = result.rows("SELECT list, json_array_length(items) AS n FROM list_snapshots ORDER BY list")
        assert snapshots == [
            {"list": "asian_partners", "n": 5}, {"list": "closed_field_operations", "n": 5},
            {"list": "field_operations", "n": 12}, {"list": "mediterranean_partners", "n": 6},
            {"list": "participating_states", "n": 56}]

        # 1. Mongolia joins
        at = start.states.index("Montenegro")
        history.publish(replace(start, states=[*start.states[:at], "Mongolia", *start.states[at:]]))
        assert history.menu.states[33:36] == ["Monaco", "Mongolia", "Montenegro"]
        result, changes, run = history.crawl()
        assert changes == [("participating_states", "added", "Mongolia", None, None)]
        assert run["status"] == "ok"

        # 2. the chairpersonship passes from Finland to Switzerland
        history.publish(states_with(history.menu, **{CHAIR_2025: "Finland", "Switzerland": CHAIR_2026}))
        result, changes, run = history.crawl()
        assert changes == [
            ("participating_states", "note_changed", "Finland", "OSCE Chairpersonship 2025", None),
            ("participating_states", "note_changed", "Switzerland", None, "OSCE Chairpersonship 2026")]

        # 3. an operation closes: it leaves one list and joins the other
        menu = history.menu
        history.publish(replace(menu, field_operations=[o for o in menu.field_operations if o != "Mission to Skopje"],
                                closed_operations=[*menu.closed_operations, "Mission to Skopje"]))
        result, changes, run = history.crawl()
        assert sorted(changes) == [
            ("closed_field_operations", "added", "Mission to Skopje", None, None),
            ("field_operations", "removed", "Mission to Skopje", None, None)]

        # 4. Czech Republic becomes Czechia
        history.publish(states_with(history.menu, Czech_Republic="Czechia"))
        result, changes, run = history.crawl()
        assert changes == [("participating_states", "renamed", "Czechia", "Czech Republic", "Czechia")]

        # 5. two operations swap places: no change, no new snapshot
        snapshots_before = result.scalar("SELECT count(*) FROM list_snapshots")
        ops = list(history.menu.field_operations)
        ops[1], ops[2] = ops[2], ops[1]
        history.publish(replace(history.menu, field_operations=ops))
        result, changes, run = history.crawl()
        assert changes == [] and run["status"] == "ok"
        assert result.scalar("SELECT count(*) FROM list_snapshots") == snapshots_before

        # 6. the home page fails: the run fails loudly, no list is compared
        good = history.menu
        site.pages["/"] = Page("<html><body><h1>Internal error</h1></body></html>", status=500)
        result, changes, run = history.crawl()
        assert changes == []
        assert run["status"] == "failed"
        assert result.rows("SELECT url, error FROM crawl_errors WHERE run_id = ?", [run["id"]])[0] == {
            "url": f"{site.url}/", "error": "could not fetch: HTTP 500"}

        # 7. the menu comes back with half its entries: degraded, kept aside, not recorded
        history.publish(replace(good, states=good.states[: len(good.states) // 2],
                                field_operations=good.field_operations[: len(good.field_operations) // 2]))
        result, changes, run = history.crawl()
        assert changes == []
        assert run["status"] == "degraded"
        errors = [r["error"] for r in result.rows("SELECT error FROM crawl_errors WHERE run_id = ?", [run["id"]])]
        assert errors == [
            "list participating_states not compared: 28 entries, against 57 in the last snapshot; "
            "recorded only if the next crawl sees the same",
            "list field_operations not compared: 5 entries, against 11 in the last snapshot; "
            "recorded only if the next crawl sees the same"]
        assert result.rows("SELECT list, reason FROM list_pending ORDER BY list") == [
            {"list": "field_operations", "reason": "5 entries, against 11 in the last snapshot"},
            {"list": "participating_states", "reason": "28 entries, against 57 in the last snapshot"}]
        assert result.scalar("SELECT count(*) FROM list_snapshots") == snapshots_before

        # 8. the full menu is back: nothing happened, the doubt is cleared
        history.publish(good)
        result, changes, run = history.crawl()
        assert changes == [] and run["status"] == "ok"
        assert result.scalar("SELECT count(*) FROM list_pending") == 0

    # The whole history, as the database tells it.
    assert result.rows("SELECT list, change, item FROM list_changes ORDER BY id") == [
        {"list": "participating_states", "change": "added", "item": "Mongolia"},
        {"list": "participating_states", "change": "note_changed", "item": "Finland"},
        {"list": "participating_states", "change": "note_changed", "item": "Switzerland"},
        {"list": "field_operations", "change": "removed", "item": "Mission to Skopje"},
        {"list": "closed_field_operations", "change": "added", "item": "Mission to Skopje"},
        {"list": "participating_states", "change": "renamed", "item": "Czechia"}]


def test_a_confirmed_large_change_is_recorded_on_the_second_sighting(db_path):
    seed = osce.seed_menu()
    with LocalSite() as site:
        history = History(site, db_path, seed)
        history.crawl()
        regrouped = replace(seed, field_operations=seed.field_operations[:6])
        history.publish(regrouped)
        _, changes, run = history.crawl()
        assert changes == [] and run["status"] == "degraded"
        _, changes, run = history.crawl()
        assert run["status"] == "ok"
        assert changes == [("field_operations", "removed", name, None, None)
                           for name in seed.field_operations[6:]]


def test_a_menu_redesign_is_not_a_change(db_path):
    """Other markup (no <nav>, h3 or button headings, em-dash notes in a span, two
    columns) gives the same lists; partner lists that disappear are not compared."""
    seed = osce.seed_menu()
    with LocalSite() as site:
        history = History(site, db_path, seed)
        history.crawl()
        for style in ("plain", "buttons"):
            history.publish(replace(seed, style=style))
            result, changes, run = history.crawl()
            assert (changes, run["status"]) == ([], "ok"), (style, result.output)
        history.publish(replace(seed, style="plain", show_partners=False))
        result, changes, run = history.crawl()
        assert (changes, run["status"]) == ([], "ok")
        assert result.scalar("SELECT count(*) FROM list_snapshots") == 5


def test_a_failed_closed_page_skips_only_that_list(db_path):
    seed = osce.seed_menu()
    with LocalSite() as site:
        history = History(site, db_path, replace(seed, states=[s for s in seed.states if s != "Mongolia"]))
        history.crawl()
        history.publish(replace(seed, field_operations=seed.field_operations[1:],
                                closed_operations=[*seed.closed_operations, seed.field_operations[0]]))
        site.pages["/countries/closed-field-activities"] = Page("<h1>Service unavailable</h1>", status=503)
        result, changes, run = history.crawl()
        assert changes == [("participating_states", "added", "Mongolia", None, None),
                           ("field_operations", "removed", "Presence in Albania", None, None)]
        assert run["status"] == "degraded"
        assert "closed-field-activities: could not fetch: HTTP 503" in run["reason"]
        history.publish(history.menu)
        result, changes, run = history.crawl()
        assert changes == [("closed_field_operations", "added", "Presence in Albania", None, None)]
        assert run["status"] == "ok"
