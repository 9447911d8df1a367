"""The offline demo shows list changes (``releasewatch demo --no-serve``)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from crawler.cli.main import main
from storage import open_db

pytestmark = pytest.mark.slow


def test_demo_records_and_prints_list_changes(tmp_path):
    db_path = tmp_path / "demo.db"
    result = CliRunner().invoke(main, ["demo", "--no-serve", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    db = open_db(db_path)
    try:
        rows = [(r["list"], r["change"], r["item"]) for r in db.query(
            "SELECT list, change, item FROM list_changes ORDER BY id")]
        titles = [r["title"] for r in db.query("SELECT title FROM releases")]
    finally:
        db.close()
    assert rows == [
        ("participating_states", "note_changed", "Finland"),
        ("participating_states", "note_changed", "Switzerland"),
        ("field_operations", "removed", "Mission to Skopje"),
        ("closed_field_operations", "added", "Mission to Skopje")]
    assert "4 list_changes" in result.output
    # Built from the seed captures only: no generated "OSCE statement 600009: ..." releases.
    assert len(titles) == 8 and not any("statement 6000" in t or "Meeting 3" in t for t in titles)
    assert "OSCE plays indispensable role in Kosovo, says UN's Kosovo administrator" in " ".join(titles)
    assert "participating_states  note_changed  Switzerland: \u2014 \u2192 OSCE Chairpersonship 2026" in result.output


def test_demo_refuses_a_database_with_real_crawls_in_plain_words(tmp_path):
    from storage.runs import start_run

    db_path = tmp_path / "releasewatch.db"
    db = open_db(db_path)
    start_run(db, "osce", trigger="schedule:osce")
    db.close()
    result = CliRunner().invoke(main, ["demo", "--no-serve", "--db", str(db_path)])
    assert result.exit_code == 1 and "Error: " in result.output and "--db demo.db" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)  # no traceback
