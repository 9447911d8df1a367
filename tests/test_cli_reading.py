"""``releasewatch search``, ``show``, ``diff`` and ``status`` as a user runs them, and that
the reading commands never load Scrapy or Twisted."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from crawler.cli.main import main
from tests.cli_data import build_cli_db
from tests.conftest import ROOT


@pytest.fixture
def cli_db(tmp_path):
    return str(build_cli_db(tmp_path / "rw.db"))


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def one_error_line(result, exit_code: int, text: str) -> None:
    """The command failed with ``exit_code`` and said ``text`` on one ``Error:`` line."""
    assert result.exit_code == exit_code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and text in errors[0], result.output
    assert "Traceback" not in result.output


def test_search_prints_snippets_newest_first(cli_db):
    result = run("search", "monitoring", "--db", cli_db)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "#1  2024-03-01  osce  Monitoring mission reports on elections"
    assert "\u00abmonitors\u00bb" in lines[1]  # stemmed: "monitoring" finds "monitors"
    assert lines[2] == "    https://www.osce.org/pc/1"
    assert lines[3].startswith("#2  2020-02-26  osce  Chairperson meets Lavrov")  # older, after
    assert len(lines) == 6  # the Council briefing does not match


def test_search_json_limit_and_no_match(cli_db):
    rows = json.loads(run("search", "monitoring", "--db", cli_db, "--json", "--limit", "1").output)
    assert [(r["id"], r["published"]) for r in rows] == [(1, "2024-03-01")]
    assert "\u00abmonitors\u00bb" in rows[0]["snippet"]
    empty = run("search", 'nothing"here AND (', "--db", cli_db)  # FTS syntax is taken literally
    assert empty.exit_code == 0 and empty.stdout == ""
    assert "no release matches" in empty.stderr


def test_show_prints_fields_urls_versions_and_text(cli_db):
    result = run("show", "1", "--db", cli_db)
    assert result.exit_code == 0, result.output
    assert "title:          Monitoring mission reports on elections" in result.output
    assert "versions:       3 (see `releasewatch diff 1`)" in result.output
    assert result.output.rstrip().endswith("A second round follows in May.")
    data = json.loads(run("show", "1", "--db", cli_db, "--json").output)
    assert len(data["versions"]) == 3 and data["urls"][0]["url"] == "https://www.osce.org/pc/1"
    one_error_line(run("show", "99", "--db", cli_db), 1, "no release 99 in")


def test_diff_shows_each_edit_as_a_word_diff(cli_db):
    result = run("diff", "1", "--db", cli_db)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "version 1 (2026-01-01T08:00:00Z) -> version 2 (2026-01-02T08:00:00Z)"
    assert lines[1].startswith("body: \u2026 ") and lines[1].endswith("{+A second round follows in April.+}")
    assert lines[2] == "version 2 (2026-01-02T08:00:00Z) -> version 3 (2026-01-03T08:00:00Z)"
    assert lines[3].endswith("[-April.-] {+May.+}")
    assert run("diff", "2", "--db", cli_db).output == "release 2 has 1 version(s): nothing to compare\n"


def test_diff_output_is_bounded(cli_db):
    result = run("diff", "1", "--db", cli_db, "--max-chars", "30")
    assert result.exit_code == 0
    shown = result.output.splitlines()
    assert shown[-1] == "(diff cut at 30 characters; --max-chars 0 shows all)"
    assert sum(len(line) for line in shown[:-1]) <= 30 + 5  # the cut mark and separators


def test_diff_of_texts_too_large_says_so(cli_db, monkeypatch):
    from crawler.web.datasette.plugins import word_diff

    monkeypatch.setattr(word_diff, "MAX_WORDS", 5)  # the diff page's bound, made small
    result = run("diff", "1", "--db", cli_db)
    assert result.exit_code == 0, result.output
    assert "body: too large to diff (more than 5 words)" in result.output.splitlines()


def test_status_on_runs_without_a_schedule_says_so(cli_db):
    result = run("status", "--db", cli_db)
    assert result.exit_code == 0, result.output
    assert ("no scheduled jobs yet (2 crawl run(s) recorded, the last #2 osce degraded at "
            "2026-01-03T08:00:00Z)") in result.output


def test_reading_commands_on_a_missing_database_create_nothing(tmp_path):
    for command in ("search x", "show 1", "diff 1", "changes", "status"):
        result = run(*command.split(), "--db", str(tmp_path / "typo" / "rw.db"))
        one_error_line(result, 1, "does not exist")
    assert list(tmp_path.iterdir()) == []


NO_SCRAPY = """
import sys
from click.testing import CliRunner
from crawler.cli.main import main
for args in (["search", "monitoring"], ["show", "1"], ["diff", "1"], ["status"], ["changes"]):
    result = CliRunner().invoke(main, [*args, "--db", sys.argv[1]], catch_exceptions=False)
    assert result.exit_code == 0, (args, result.output)
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("scrapy", "twisted"))
print("loaded:", loaded)
"""


def test_reading_commands_never_load_scrapy_or_twisted(cli_db):
    proc = subprocess.run([sys.executable, "-c", NO_SCRAPY, cli_db], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "loaded: []"


def test_search_shows_the_newest_matches_of_many_an_undated_one_by_the_day_first_seen(tmp_path):
    from freezegun import freeze_time

    from storage import open_db, store_release

    def release(key: str, published: str | None) -> dict:
        return {"source": "osce", "url": f"https://www.osce.org/pc/{key}", "title": f"Statement {key}",
                "body": f"The Permanent Council met ({key}).", "published": published}

    db = open_db(tmp_path / "many.db")
    for n in range(40):  # older matches the search must pass over
        store_release(db, release(f"old{n}", f"2010-01-{1 + n % 28:02d}"))
    store_release(db, release("A", "2024-01-10"))
    store_release(db, release("B", "2023-05-01"))
    with freeze_time("2023-12-01 08:00:00"):
        store_release(db, release("C", None))
    store_release(db, release("D", "2022-01-01"))
    store_release(db, release("E", "2024-01-10"))
    db.close()
    rows = json.loads(run("search", "council", "--db", str(tmp_path / "many.db"), "--json", "--limit", "4").output)
    # E and A share a date (E stored last); C was first seen on 2023-12-01
    assert [row["title"] for row in rows] == ["Statement E", "Statement A", "Statement C", "Statement B"]
    assert all("\u00abcouncil\u00bb" in row["snippet"].lower() for row in rows)
