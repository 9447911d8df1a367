"""``releasewatch check``, ``notify --test`` and ``prune`` as a user runs them."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from freezegun import freeze_time

from crawler.cli.main import main
from crawler.web.screenshots import free_port
from storage import open_db
from tests.cli_data import build_cli_db
from tests.test_scheduler_daemon import Receiver


def run(*args: str, **kwargs):
    return CliRunner().invoke(main, list(args), **kwargs)


def error_line(result) -> str:
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return errors[0]


def test_check_prints_the_plan_and_changes_nothing(tmp_path):
    config = tmp_path / "rw.toml"
    config.write_text(f'[scheduler]\ndb = "{tmp_path / "rw.db"}"\ntimeout = "20m"\n'
                      '[jobs.osce]\nevery = "30m"\njitter = "1m"\nsettings = { DOWNLOAD_DELAY = "2" }\n'
                      '[jobs.weekly]\nspider = "article"\ncron = "0 6 * * 1"\nargs = { url = "https://example.org/a" }\n'
                      '[notify]\nurls = ["mailto://user:secret@example.org"]\n')
    result = run("check", "--config", str(config))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"configuration: {config}",
        f"database: {tmp_path / 'rw.db'} (will be created)",
        "job osce: spider osce, every 30m, jitter 1m, timeout 20m, -s DOWNLOAD_DELAY=2",
        "job weekly: spider article, cron 0 6 * * 1, timeout 20m, -a url=https://example.org/a",
        "notify: 1 URL(s) (mailto://...) on new_releases, list_changes, degraded, failed",
        "ready: nothing was crawled or sent (dry run)",
    ]
    assert "secret" not in result.output and list(tmp_path.iterdir()) == [config]


def test_check_refuses_a_bad_notification_url_and_a_missing_directory(tmp_path):
    config = tmp_path / "rw.toml"
    config.write_text('[notify]\nurls = ["nosuchscheme://x"]\n')
    result = run("check", "--config", str(config))
    assert result.exit_code == 2
    assert "[notify] urls: Apprise does not understand URL #1 (nosuchscheme://...)" in error_line(result)
    result = run("check", "--db", str(tmp_path / "typo" / "rw.db"))
    assert result.exit_code == 1
    assert error_line(result) == f"Error: directory {tmp_path / 'typo'} does not exist (check --db {tmp_path / 'typo' / 'rw.db'})"


def test_notify_test_sends_a_message_and_a_failure_is_exit_1(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no releasewatch.toml here
    monkeypatch.delenv("RELEASEWATCH_CONFIG", raising=False)
    receiver = Receiver()
    try:
        result = run("notify", "--test", "--url", receiver.url)
        assert result.exit_code == 0, result.output
        assert result.output == "notify: test message sent to 1 URL(s)\n"
        assert [p["title"] for p in receiver.posts] == ["releasewatch: test notification"]
    finally:
        receiver.close()
    refused = run("notify", "--test", "--url", f"json://127.0.0.1:{free_port()}/")
    assert refused.exit_code == 1
    assert error_line(refused) == "Error: notify: the test message failed for at least one of 1 URL(s)"
    nothing = run("notify", "--test")
    assert nothing.exit_code == 2 and "no notification URLs" in error_line(nothing)


NOW = datetime(2026, 1, 20, 8, tzinfo=UTC)  # the prune test's frozen "now"


@pytest.fixture
def pruned_db(tmp_path):
    """The CLI test database plus an HTTP cache with two old entries and one fresh one."""
    path = build_cli_db(tmp_path / "rw.db")
    cache = tmp_path / "rw.db.httpcache"
    cache.mkdir()
    conn = sqlite3.connect(cache / "osce.sqlite")
    conn.execute("CREATE TABLE responses (fingerprint TEXT PRIMARY KEY, url TEXT, status INTEGER, "
                 "headers BLOB, body BLOB, compressed INTEGER, stored_at REAL)")
    now = NOW.timestamp()
    for key, age_days in (("a", 40), ("b", 31), ("c", 1)):
        conn.execute("INSERT INTO responses VALUES (?, '', 200, x'', x'', 0, ?)", [key, now - age_days * 86400])
    conn.commit()
    conn.close()
    return path


def counts(path) -> tuple[int, int, int, int]:
    db = open_db(path)
    try:
        cache = sqlite3.connect(f"{path}.httpcache/osce.sqlite")
        cached = cache.execute("SELECT count(*) FROM responses").fetchone()[0]
        cache.close()
        return (cached, db.table("release_versions").count, db.table("crawl_runs").count,
                db.table("releases").count)
    finally:
        db.close()


def test_prune_dry_run_changes_nothing_then_prunes(pruned_db):
    args = ["prune", "--db", str(pruned_db), "--keep-versions", "2", "--runs-older-than", "10d"]
    with freeze_time(NOW):  # run 1 started 19 days before, run 2 17 days before
        dry = run(*args, "--dry-run")
        assert dry.exit_code == 0, dry.output
        assert dry.output.splitlines() == [
            "http cache osce.sqlite: would delete 2 of 3 entries older than 30d",
            "versions: would delete 1 beyond the newest 2 per release",
            "runs: would delete 2 finished runs older than 10d",
        ]
        assert counts(pruned_db) == (3, 5, 2, 3)
        done = run(*args)
    assert done.exit_code == 0, done.output
    assert done.output.splitlines()[0] == "http cache osce.sqlite: deleted 2 of 3 entries older than 30d"
    assert counts(pruned_db) == (1, 4, 0, 3)  # releases are never pruned
    db = open_db(pruned_db)
    try:  # the oldest version of release 1 went; its newest two stay
        assert [r["seen_at"][:10] for r in db.query(
            "SELECT seen_at FROM release_versions WHERE release_id = 1 ORDER BY seen_at")] == ["2026-01-02", "2026-01-03"]
    finally:
        db.close()


def test_prune_bad_duration_is_one_usage_line(pruned_db):
    result = run("prune", "--db", str(pruned_db), "--cache-older-than", "a month")
    assert result.exit_code == 2
    assert "--cache-older-than" in error_line(result) and "is not a duration" in error_line(result)
