"""The list differ and ``record_list_snapshot``: unit tests and properties."""

from __future__ import annotations

import json
from collections.abc import Iterable

import pytest
from freezegun import freeze_time
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.localsite import osce
from storage import open_db
from storage.lists import (
    diff_items,
    items_hash,
    key,
    list_changes,
    normalize_items,
    record_list_snapshot,
    similar_names,
)
from storage.normalize import split_note

STATES = [dict(zip(("name", "note"), split_note(s), strict=True)) for s in osce.seed_menu().states]


def entries(*names: str) -> list[dict]:
    return [dict(zip(("name", "note"), split_note(n), strict=True)) for n in names]


def replaced(items: list[dict], old: str, new: str) -> list[dict]:
    return [{"name": new, "note": i["note"]} if i["name"] == old else i for i in items]


@pytest.fixture
def db(tmp_path):
    database = open_db(tmp_path / "lists.db")
    yield database
    database.close()


# --- the differ -----------------------------------------------------------------------
def test_addition_removal_and_note_change():
    old = entries("Albania", "Finland – OSCE Chairpersonship 2025", "Malta", "Switzerland")
    new = entries("Albania", "Finland", "Mongolia", "Switzerland — OSCE Chairpersonship 2026")
    assert diff_items(old, new) == [
        {"change": "removed", "item": "Malta", "before": None, "after": None},
        {"change": "note_changed", "item": "Finland", "before": "OSCE Chairpersonship 2025", "after": None},
        {"change": "added", "item": "Mongolia", "before": None, "after": None},
        {"change": "note_changed", "item": "Switzerland", "before": None, "after": "OSCE Chairpersonship 2026"},
    ]


@pytest.mark.parametrize(("old", "new"), [
    ("Czech Republic", "Czechia"), ("Turkey", "T\u00fcrkiye"), ("Moldova", "Republic of Moldova"),
    ("Project Co-ordinator in Ukraine", "Project Coordinator in Ukraine"),
])
def test_known_renames_in_place_are_renames(old, new):
    if new in [s["name"] for s in STATES]:
        before = replaced(STATES, new, old)
    else:
        before = [*STATES[:3], *entries(old), *STATES[3:]]
    after = replaced(before, old, new)
    assert diff_items(before, after) == [{"change": "renamed", "item": new, "before": old, "after": new}]


@pytest.mark.parametrize(("old", "new"), [
    ("Albania", "Andorra"), ("Slovakia", "Slovenia"), ("Mission to Serbia", "Mission to Skopje"),
    ("Programme Office in Bishkek", "Programme Office in Dushanbe"), ("Holy See", "Iceland"),
])
def test_unrelated_pairs_in_the_same_place_are_not_renames(old, new):
    assert not similar_names(old, new)
    changes = diff_items(entries("A", old, "B"), entries("A", new, "B"))
    assert [c["change"] for c in changes] == ["removed", "added"]


def test_similar_names_in_different_places_are_not_renames():
    assert similar_names("Austria", "Australia")  # similar spelling: only the position tells
    old = entries("Armenia", "Austria", "Azerbaijan", "Belgium")
    new = entries("Armenia", "Azerbaijan", "Belgium", "Australia")
    assert [c["change"] for c in diff_items(old, new)] == ["removed", "added"]


def test_renamed_entry_whose_note_changed_too():
    old = entries("Sweden", "Turkey – OSCE Chairpersonship 2030", "Ukraine")
    new = entries("Sweden", "T\u00fcrkiye", "Ukraine")
    assert diff_items(old, new) == [
        {"change": "renamed", "item": "T\u00fcrkiye", "before": "Turkey", "after": "T\u00fcrkiye"},
        {"change": "note_changed", "item": "T\u00fcrkiye", "before": "OSCE Chairpersonship 2030", "after": None},
    ]


def test_two_renames_in_one_gap_pair_by_similarity():
    old = entries("Cyprus", "Czech Republic", "Turkey", "Ukraine")
    new = entries("Cyprus", "T\u00fcrkiye", "Czechia", "Ukraine")
    assert sorted((c["before"], c["after"]) for c in diff_items(old, new)) == [
        ("Czech Republic", "Czechia"), ("Turkey", "T\u00fcrkiye")]


def test_typography_case_and_order_are_not_changes():
    old = entries("Finland – OSCE Chairpersonship 2025", "Cote d\u2019Ivoire", "The Netherlands")
    new = entries("the netherlands", "Cote d'Ivoire", "Finland - OSCE  Chairpersonship 2025")
    assert diff_items(old, new) == []
    assert items_hash(old) == items_hash(new)


# --- properties -------------------------------------------------------------------------
NAMES = st.one_of(
    st.sampled_from([*(s["name"] for s in STATES), "Czech Republic", "Turkey", "Mission to Skopje",
                     "Mission to Serbia", "Republic of Moldova", "Australia"]),
    st.text(alphabet="abcéz -", min_size=1, max_size=10),
)
NOTES = st.one_of(st.none(), st.sampled_from(["OSCE Chairpersonship 2025", "OSCE Chairpersonship 2026", "x"]))
LISTS = st.lists(st.fixed_dictionaries({"name": NAMES, "note": NOTES}), max_size=15).map(normalize_items)


def as_set(items: list[dict]) -> set[tuple]:
    return {(key(i["name"]), key(i["note"])) for i in normalize_items(items)}


def apply_changes(items: Iterable[dict], changes: Iterable[dict]) -> list[dict]:
    """``items`` with ``changes`` applied, written independently of ``diff_items``: the
    property below holds only if the diff records every change (and nothing else)."""
    entries = {key(i["name"]): dict(i) for i in normalize_items(items)}
    for change in changes:
        kind, name = change["change"], change["item"]
        if kind == "removed":
            entries.pop(key(name))
        elif kind == "added":
            entries[key(name)] = {"name": name, "note": change["after"]}
        elif kind == "renamed":
            # Rebuild to keep the renamed entry where the old name was.
            entries = {(key(name) if k == key(change["before"]) else k):
                       ({"name": name, "note": v["note"]} if k == key(change["before"]) else v)
                       for k, v in entries.items()}
        elif kind == "note_changed":
            entries[key(name)]["note"] = change["after"]
        else:
            raise ValueError(f"unknown change {kind!r}")
    return list(entries.values())


@given(LISTS, LISTS)
def test_diff_applied_to_a_gives_b(a, b):
    assert as_set(apply_changes(a, diff_items(a, b))) == as_set(b)


@given(LISTS, st.randoms())
def test_reordering_is_no_change(a, rng):
    shuffled = list(a)
    rng.shuffle(shuffled)
    assert diff_items(a, shuffled) == []
    assert items_hash(a) == items_hash(shuffled)


@given(LISTS, LISTS)
def test_every_entry_is_changed_at_most_once_per_kind(a, b):
    changes = diff_items(a, b)
    keys = [(c["change"], c["item"].casefold()) for c in changes]
    assert len(keys) == len(set(keys))
    assert {c["change"] for c in changes} <= {"added", "removed", "renamed", "note_changed"}


@settings(max_examples=30, deadline=None)
@given(LISTS.filter(bool), LISTS.filter(bool))
def test_recorded_rows_are_the_diff(tmp_path_factory, a, b):
    db = open_db(tmp_path_factory.mktemp("prop") / "p.db")
    try:
        record_list_snapshot(db, "l", a)
        result = record_list_snapshot(db, "l", b, max_changes=1000)
        expected = diff_items(a, b)
        assert result.status == ("changed" if items_hash(a) != items_hash(b) else "unchanged")
        rows = list(db.query("SELECT change, item, before, after FROM list_changes ORDER BY id"))
        assert rows == expected
    finally:
        db.close()


# --- recording ---------------------------------------------------------------------------
@freeze_time("2026-01-01 06:00:00")
def test_first_snapshot_is_the_baseline_then_changes_are_rows(db):
    first = record_list_snapshot(db, "participating_states", STATES)
    assert (first.status, first.changes) == ("baseline", [])
    assert db.table("list_snapshots").count == 1 and db.table("list_changes").count == 0
    moved = [{"name": i["name"], "note": "OSCE Chairpersonship 2026" if i["name"] == "Switzerland" else None}
             for i in STATES]
    second = record_list_snapshot(db, "participating_states", moved)
    assert second.status == "changed"
    rows = list(db.query("SELECT list, change, item, before, after, detected_at, snapshot_id FROM list_changes"))
    assert rows == [
        {"list": "participating_states", "change": "note_changed", "item": "Finland",
         "before": "OSCE Chairpersonship 2025", "after": None, "detected_at": "2026-01-01T06:00:00Z",
         "snapshot_id": second.snapshot_id},
        {"list": "participating_states", "change": "note_changed", "item": "Switzerland",
         "before": None, "after": "OSCE Chairpersonship 2026", "detected_at": "2026-01-01T06:00:00Z",
         "snapshot_id": second.snapshot_id},
    ]
    snapshot = db.table("list_snapshots").get(second.snapshot_id)
    assert snapshot["taken_at"] == "2026-01-01T06:00:00Z"
    assert json.loads(snapshot["items"])[49] == {"name": "Switzerland", "note": "OSCE Chairpersonship 2026"}


def test_same_content_in_another_order_adds_no_snapshot(db):
    record_list_snapshot(db, "participating_states", STATES)
    assert record_list_snapshot(db, "participating_states", STATES[::-1]).status == "unchanged"
    assert db.table("list_snapshots").count == 1


@pytest.mark.parametrize(("items", "healthy", "reason"), [
    ([], True, None), ([], False, "menu section 'Participating States' not found"),
    (STATES, False, "page served from a maintenance host"),
])
def test_unhealthy_observations_record_nothing(db, items, healthy, reason):
    record_list_snapshot(db, "participating_states", STATES)
    result = record_list_snapshot(db, "participating_states", items, healthy=healthy, reason=reason)
    assert result.status == "unhealthy"
    assert result.problem == f"list participating_states not compared: {reason or 'no entries'}"
    assert db.table("list_snapshots").count == 1 and db.table("list_changes").count == 0
    assert db.table("list_pending").count == 0


def test_an_outage_never_removes_every_state(db):
    record_list_snapshot(db, "participating_states", STATES)
    for _ in range(3):
        outage = record_list_snapshot(db, "participating_states", [], healthy=False, reason="HTTP 500")
        assert outage.status == "unhealthy" and outage.problem.endswith("HTTP 500")
    assert db.table("list_changes").count == 0
    # The list is still all the states: one leaving after the outage is one change.
    left = record_list_snapshot(db, "participating_states", STATES[1:])
    assert [(c["change"], c["item"]) for c in left.changes] == [("removed", STATES[0]["name"])]


def test_too_many_changes_wait_for_confirmation(db):
    record_list_snapshot(db, "participating_states", STATES, run_id=1)
    renamed = STATES[:40] + [{"name": i["name"] + " (new)", "note": None} for i in STATES[40:]]
    pending = record_list_snapshot(db, "participating_states", renamed, run_id=2)
    assert pending.status == "pending" and "17 entries renamed at once (more than 3)" in pending.problem
    assert db.table("list_changes").count == 0
    assert db.table("list_pending").get("participating_states")["reason"] == "17 entries renamed at once (more than 3)"
    # the same observation within the same run is no confirmation
    assert record_list_snapshot(db, "participating_states", renamed, run_id=2).status == "pending"
    confirmed = record_list_snapshot(db, "participating_states", renamed, run_id=3)
    assert confirmed.status == "changed" and len(confirmed.changes) == 17
    assert db.table("list_pending").count == 0


def test_a_different_second_sighting_does_not_confirm(db):
    record_list_snapshot(db, "field_operations", STATES)
    assert record_list_snapshot(db, "field_operations", STATES[:20]).status == "pending"
    assert record_list_snapshot(db, "field_operations", STATES[:21]).status == "pending"
    assert record_list_snapshot(db, "field_operations", STATES).status == "unchanged"
    assert db.table("list_pending").count == 0 and db.table("list_changes").count == 0


def test_one_step_of_several_kinds_is_recorded_at_once(db):
    """The chair moves (two notes), a State is renamed and one joins, in one crawl."""
    before = [{"name": "Finland", "note": "OSCE Chairpersonship 2025"}, *entries("Switzerland", "Turkey", "Ukraine")]
    record_list_snapshot(db, "participating_states", before)
    after = [*entries("Finland", "Mongolia"), {"name": "Switzerland", "note": "OSCE Chairpersonship 2026"},
             *entries("Türkiye", "Ukraine")]
    result = record_list_snapshot(db, "participating_states", after)
    assert result.status == "changed"
    assert sorted((c["change"], c["item"]) for c in result.changes) == [
        ("added", "Mongolia"), ("note_changed", "Finland"), ("note_changed", "Switzerland"),
        ("renamed", "Türkiye")]


def test_up_to_max_changes_are_recorded_at_once(db):
    record_list_snapshot(db, "closed_field_operations", entries("A", "B", "C", "D", "E"))
    result = record_list_snapshot(db, "closed_field_operations", entries("A", "B", "C", "D", "E", "F", "G", "H"))
    assert result.status == "changed" and [c["item"] for c in result.changes] == ["F", "G", "H"]
    result = record_list_snapshot(db, "closed_field_operations", entries(*"ABCDEFGH", "I", "J", "K", "L"))
    assert result.status == "pending" and result.changes == []
    result = record_list_snapshot(db, "closed_field_operations", entries(*"ABCDEFGH", "I", "J", "K", "L"))
    assert result.status == "changed", "seen twice in a row: confirmed"
    assert [c["item"] for c in result.changes] == ["I", "J", "K", "L"]


def test_list_changes_filters_by_time_and_list(db):
    with freeze_time("2025-01-01"):
        record_list_snapshot(db, "a", entries("X"))
        record_list_snapshot(db, "b", entries("X"))
    with freeze_time("2025-06-01"):
        record_list_snapshot(db, "a", entries("X", "Y"))
    with freeze_time("2026-01-01"):
        record_list_snapshot(db, "b", entries("X", "Z"))
    assert [r["item"] for r in list_changes(db)] == ["Y", "Z"]
    assert [r["item"] for r in list_changes(db, since="2025-12-31")] == ["Z"]
    assert [r["item"] for r in list_changes(db, lists=["a"])] == ["Y"]
