"""``releasewatch changes``: the timeline of list changes, through the CLI."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from freezegun import freeze_time

from crawler.cli import changes as changes_cli
from crawler.cli.main import main
from storage import open_db
from storage.lists import record_list_snapshot


def entries(*names: str, **notes: str) -> list[dict]:
    return [{"name": n, "note": notes.get(n)} for n in names]


@pytest.fixture
def history_db(tmp_path):
    path = tmp_path / "history.db"
    db = open_db(path)
    states = entries("Cyprus", "Czech Republic", "Finland", "Switzerland", Finland="OSCE Chairpersonship 2025")
    operations = entries("Mission to Serbia", "Mission to Skopje")
    with freeze_time("2024-06-01 08:00:00"):
        record_list_snapshot(db, "participating_states", states)
        record_list_snapshot(db, "field_operations", operations)
        record_list_snapshot(db, "closed_field_operations", entries("Office in Yerevan"))
    with freeze_time("2024-06-08 08:00:00"):
        states = entries("Cyprus", "Czechia", "Finland", "Switzerland", Finland="OSCE Chairpersonship 2025")
        record_list_snapshot(db, "participating_states", states)
    with freeze_time("2026-01-01 08:00:00"):
        states = entries("Cyprus", "Czechia", "Finland", "Mongolia", "Switzerland",
                         Switzerland="OSCE Chairpersonship 2026")
        record_list_snapshot(db, "participating_states", states)
        record_list_snapshot(db, "field_operations", operations[:1])
        record_list_snapshot(db, "closed_field_operations", entries("Office in Yerevan", "Mission to Skopje"))
    db.close()
    return path


def run(*args: str):
    return CliRunner().invoke(main, ["changes", *args])


def test_plain_timeline_oldest_first(history_db):
    result = run("--db", str(history_db))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "2024-06-08  participating_states  renamed  Czech Republic \u2192 Czechia",
        "2026-01-01  participating_states  note_changed  Finland: OSCE Chairpersonship 2025 \u2192 \u2014",
        "2026-01-01  participating_states  added  Mongolia",
        "2026-01-01  participating_states  note_changed  Switzerland: \u2014 \u2192 OSCE Chairpersonship 2026",
        "2026-01-01  field_operations  removed  Mission to Skopje",
        "2026-01-01  closed_field_operations  added  Mission to Skopje",
    ]


def test_since_and_list_select(history_db, monkeypatch):
    monkeypatch.setenv("RELEASEWATCH_DB", str(history_db))
    assert run("--since", "2025-01-01", "--list", "field_operations", "--list", "closed_field_operations"
               ).output.splitlines() == [
        "2026-01-01  field_operations  removed  Mission to Skopje",
        "2026-01-01  closed_field_operations  added  Mission to Skopje"]
    assert len(run("--since", "2024-06-08T08:00:00").output.splitlines()) == 6
    assert len(run("--since", "2024-06-08T08:00:01").output.splitlines()) == 5
    result = run("--since", "last tuesday")
    assert result.exit_code == 2 and "--since" in result.output


def test_json_has_the_public_columns(history_db):
    result = run("--db", str(history_db), "--json", "--list", "participating_states", "--since", "2026-01-01")
    rows = json.loads(result.output)
    assert [(r["change"], r["item"], r["before"], r["after"]) for r in rows] == [
        ("note_changed", "Finland", "OSCE Chairpersonship 2025", None),
        ("added", "Mongolia", None, None),
        ("note_changed", "Switzerland", None, "OSCE Chairpersonship 2026")]
    assert set(rows[0]) == {"id", "list", "change", "item", "before", "after", "detected_at", "snapshot_id"}
    assert rows[0]["detected_at"] == "2026-01-01T08:00:00Z"


def test_rich_table_on_a_terminal_never_interprets_names(history_db, monkeypatch):
    db = open_db(history_db)
    with freeze_time("2026-02-01"):
        record_list_snapshot(db, "closed_field_operations",
                             entries("Office in Yerevan", "Mission to Skopje", "[bold red]Office[/] in Baku"))
    db.close()
    monkeypatch.setattr(changes_cli, "stdout_is_terminal", lambda: True)
    monkeypatch.setenv("COLUMNS", "160")
    result = run("--db", str(history_db))
    assert result.exit_code == 0, result.output
    assert "Tracked list changes" in result.output
    assert "Czech Republic \u2192 Czechia" in result.output
    assert "[bold red]Office[/] in Baku" in result.output


def test_empty_history_and_missing_database(tmp_path):
    db = open_db(tmp_path / "empty.db")
    db.close()
    result = CliRunner().invoke(main, ["changes", "--db", str(tmp_path / "empty.db")])
    assert result.exit_code == 0 and result.stdout == ""
    assert "no list changes recorded yet" in result.stderr
    assert json.loads(run("--db", str(tmp_path / "empty.db"), "--json").stdout) == []
    missing = run("--db", str(tmp_path / "nope.db"))
    assert missing.exit_code == 1 and "does not exist" in missing.output
    assert not (tmp_path / "nope.db").exists()
