"""The scheduler's parts, fast: configuration, first runs after a restart, the lock,
run news and notifications, ``releasewatch status``. The daemon end to end is in
test_scheduler_daemon.py."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from freezegun import freeze_time

from crawler.cli.main import main
from crawler.scheduler.config import (
    ConfigError,
    JobConfig,
    cron_trigger,
    load_config,
    parse_config,
    parse_duration,
    with_overrides,
)
from crawler.scheduler.daemon import AlreadyRunning, DaemonLock, first_run, lock_holder
from crawler.scheduler.notify import Notifier, events, message
from storage import open_db
from storage.schedule import job_trigger, run_news, save_jobs, set_next_runs
from tests.conftest import ROOT

NOW = datetime(2025, 6, 4, 12, 0, tzinfo=UTC)  # a Wednesday


def test_daemon_modules_never_import_scrapy_or_twisted():
    code = ("import sys, crawler.cli.main, crawler.scheduler.daemon, crawler.cli.schedule, crawler.scheduler.notify; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('scrapy', 'twisted')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- configuration ---------------------------------------------------------------------
def test_default_jobs():
    config = parse_config({})
    assert [(j.name, j.spider, j.every, j.cron) for j in config.jobs] == [
        ("osce", "osce", 1800, None), ("un_news", "un_news", 900, None), ("un_press", "un_press", 1800, None)]
    assert all(j.jitter_s == 60 for j in config.jobs)
    assert config.notify.urls == ()


def test_jitter_is_never_more_than_a_quarter_of_the_interval():
    assert JobConfig("osce", "osce", every=60, jitter=60).jitter_s == 15
    assert JobConfig("osce", "osce", every=1800, jitter=60).jitter_s == 60
    assert JobConfig("osce", "osce", cron="*/5 * * * *", jitter=30).jitter_s == 30


def test_shipped_example_config_matches_the_defaults():
    shipped, defaults = load_config(ROOT / "releasewatch.toml"), parse_config({})
    assert [(j.name, j.every, j.jitter_s, j.timeout) for j in shipped.jobs] == \
        [(j.name, j.every, j.jitter_s, j.timeout) for j in defaults.jobs]
    assert (shipped.db, shipped.grace, shipped.timezone) == (defaults.db, defaults.grace, defaults.timezone)


def test_config_file_with_jobs_args_settings_and_notify(tmp_path):
    path = tmp_path / "rw.toml"
    path.write_text("""
[scheduler]
db = "x.db"
timeout = "20m"
[settings]
DOWNLOAD_DELAY = 0
[jobs.osce]
every = "1h30m"
jitter = "30s"
settings = { OSCE_BASE_URL = "http://127.0.0.1:8123" }
[jobs.osce_full]
spider = "osce"
cron = "30 3 * * *"
args = { full = 1 }
timeout = "3h"
[jobs.un_news]
enabled = false
[notify]
urls = ["json://127.0.0.1:9/"]
on = ["failed"]
""")
    config = load_config(path)
    osce, full = config.jobs
    assert (osce.every, osce.jitter_s, osce.timeout) == (5400, 30, 1200)
    assert osce.settings == {"DOWNLOAD_DELAY": "0", "OSCE_BASE_URL": "http://127.0.0.1:8123"}
    assert (full.spider, full.cron, full.every, full.args, full.timeout) == ("osce", "30 3 * * *", None, {"full": "1"}, 10800)
    assert full.settings == {"DOWNLOAD_DELAY": "0"}
    assert full.schedule == "cron 30 3 * * *" and osce.schedule == "every 90m"
    assert config.db == "x.db" and config.notify.urls == ("json://127.0.0.1:9/",) and config.notify.on == ("failed",)


def test_command_line_overrides():
    config = with_overrides(parse_config({}), db="y.db", every={"osce": "10m"}, cron={"un_news": "*/5 * * * *"},
                            settings={"LOG_LEVEL": "WARNING"}, notify_urls=("json://h/",))
    jobs = {j.name: j for j in config.jobs}
    assert (jobs["osce"].every, jobs["osce"].cron) == (600, None)
    assert (jobs["un_news"].every, jobs["un_news"].cron) == (None, "*/5 * * * *")
    assert all(j.settings == {"LOG_LEVEL": "WARNING"} for j in config.jobs)
    assert config.db == "y.db" and config.notify.urls == ("json://h/",)


@pytest.mark.parametrize("raw, error", [
    ({"jobs": {"osce": {"evry": "10m"}}}, "[jobs.osce]: unknown key(s) evry"),
    ({"jobs": {"osce": {"every": "ten minutes"}}}, "[jobs.osce] every: 'ten minutes' is not a duration"),
    ({"jobs": {"osce": {"cron": "*/5 * * *"}}}, "[jobs.osce] cron: '*/5 * * *' is not a crontab expression"),
    ({"jobs": {"osce": {"cron": "61 * * * *"}}}, "is not a crontab expression"),
    ({"jobs": {"osce": {"every": "1m", "cron": "* * * * *"}}}, "either every or cron"),
    ({"jobs": {"mirror": {"spider": "article"}}}, "[jobs.mirror]: set every"),
    ({"jobs": {"osce": {"every": 0}}}, "must be more than 0"),
    ({"notify": {"on": ["everything"]}}, "[notify] on: unknown event"),
    ({"scheduler": {"timezone": "Mars/Olympus"}}, "unknown time zone"),
    ({"schedule": {}}, "configuration: unknown key(s) schedule"),
])
def test_bad_configuration_is_a_clear_error(raw, error):
    with pytest.raises(ConfigError) as info:
        parse_config(raw)
    assert error in str(info.value)


def test_bad_overrides_and_files_are_clear_errors(tmp_path):
    with pytest.raises(ConfigError, match="no job 'ocse' in the configuration"):
        with_overrides(parse_config({}), every={"ocse": "10m"})
    with pytest.raises(ConfigError, match="--cron un_news"):
        with_overrides(parse_config({}), cron={"un_news": "every five minutes"})
    bad = tmp_path / "bad.toml"
    bad.write_text("[jobs.osce\nevery = 1")
    with pytest.raises(ConfigError, match="bad.toml: not valid TOML"):
        load_config(bad)
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.toml")


@pytest.mark.parametrize("text, seconds", [
    (90, 90), ("90", 90), ("90s", 90), ("15m", 900), ("1h30m", 5400), ("1d", 86400), ("0.5s", 0.5), ("2h 5m", 7500)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


def test_schedule_command_rejects_bad_options_before_running(tmp_path):
    result = CliRunner().invoke(main, ["schedule", "--once", "--db", str(tmp_path / "x.db"), "--every", "osce=soon"])
    assert result.exit_code == 2 and "--every osce: 'soon' is not a duration" in result.output
    assert not (tmp_path / "x.db").exists()


# --- schedules ----------------------------------------------------------------------
@pytest.mark.parametrize("expr, fires_on", [
    ("0 3 * * 0", "Sunday"), ("0 3 * * 7", "Sunday"), ("0 3 * * 1", "Monday"), ("0 3 * * sat", "Saturday")])
def test_crontab_weekdays_count_from_sunday(expr, fires_on):
    fire = cron_trigger(expr).get_next_fire_time(None, NOW)
    assert fire.strftime("%A %H:%M") == f"{fires_on} 03:00"


def test_crontab_weekday_ranges_and_steps():
    fires, moment = [], NOW
    for _ in range(5):
        moment = cron_trigger("0 9 * * 1-5").get_next_fire_time(None, moment + timedelta(seconds=1))
        fires.append(moment.strftime("%a"))
    assert fires == ["Thu", "Fri", "Mon", "Tue", "Wed"]
    every_other = cron_trigger("0 9 * * */2").get_next_fire_time(None, NOW)  # Sun, Tue, Thu, Sat
    assert every_other.strftime("%a") == "Thu"


def test_first_run_of_an_interval_job_follows_its_last_run():
    job = JobConfig("osce", "osce", every=1800)
    assert first_run(job, None, NOW) == NOW  # never run: at once
    assert first_run(job, NOW - timedelta(minutes=10), NOW) == NOW + timedelta(minutes=20)
    assert first_run(job, NOW - timedelta(hours=5), NOW) == NOW  # overdue: at once, once


def test_first_run_of_a_cron_job_catches_up_one_missed_fire():
    job = JobConfig("nightly", "osce", cron="30 3 * * *")
    tomorrow = datetime(2025, 6, 5, 3, 30, tzinfo=UTC)
    assert first_run(job, None, NOW) == tomorrow
    assert first_run(job, datetime(2025, 6, 4, 3, 30, 2, tzinfo=UTC), NOW) == tomorrow  # ran today
    assert first_run(job, datetime(2025, 6, 2, 3, 30, 2, tzinfo=UTC), NOW) == NOW  # missed: catch up


# --- the lock -------------------------------------------------------------------------
def test_a_second_daemon_on_the_same_database_is_refused(tmp_path):
    db = tmp_path / "rw.db"
    assert lock_holder(db) is None
    with DaemonLock(db):
        assert lock_holder(db) > 0
        with pytest.raises(AlreadyRunning, match=r"already running on .*rw\.db \(lock .*rw\.db\.lock\)"), \
                DaemonLock(db):
            pass
        with DaemonLock(tmp_path / "other.db"):  # another database is fine
            pass
    assert lock_holder(db) is None
    with DaemonLock(db):  # released: can be taken again
        pass


# --- run news and notifications ---------------------------------------------------------------
@pytest.fixture
def db(tmp_path):
    db = open_db(tmp_path / "rw.db")
    yield db
    db.close()


def _run(db, run_id, **row):
    db.table("crawl_runs").insert({
        "id": run_id, "spider": "osce", "started_at": "2025-06-04T12:00:00Z", "finished_at": "2025-06-04T12:01:00Z",
        "status": "ok", "reason": "ok", "pages": 5, "items_new": 0, "items_changed": 0, "items_unchanged": 0,
        "errors": 0, "duration_s": 60.0, "trigger": job_trigger("osce"), **row})


def _release(db, title, first_seen, source="osce"):
    db.table("releases").insert({
        "source": source, "url": f"https://www.osce.org/pc/{len(title)}", "title": title, "published": "2025-06-03",
        "content_hash": title, "first_seen": first_seen, "last_seen": first_seen})


def test_a_claimed_run_keeps_its_start_time_and_takes_the_crawl_pid(db):
    from storage.runs import start_run

    with freeze_time("2025-06-04 12:00:00"):
        run_id = start_run(db, "osce", trigger=job_trigger("osce"), pid=1)
    with freeze_time("2025-06-04 12:00:07"):  # the crawl process opens its spider
        assert start_run(db, "osce", run_id=run_id, trigger="manual", pid=4242) == run_id
    row = db.table("crawl_runs").get(run_id)
    assert (row["started_at"], row["trigger"], row["pid"]) == ("2025-06-04T12:00:00Z", job_trigger("osce"), 4242)


def test_a_crawl_left_running_by_a_killed_daemon_is_not_overlapped(tmp_path):
    """The daemon was killed with kill -9; its crawl (here: a sleeping process) lives on."""
    from crawler.scheduler.daemon import Scheduler
    from storage.runs import start_run

    config = with_overrides(parse_config({}), db=str(tmp_path / "rw.db"),
                            settings={"OSCE_BASE_URL": "http://127.0.0.1:9"})  # never the internet
    job = next(j for j in config.jobs if j.name == "osce")
    orphan = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        db = open_db(config.db)
        start_run(db, "osce", trigger=job_trigger("osce"), pid=orphan.pid)
        db.close()
        assert Scheduler(config).run_job(job) is None
        db = open_db(config.db)
        assert db.execute("SELECT count(*) FROM crawl_runs").fetchone()[0] == 1  # no second run
        db.close()
    finally:
        orphan.kill()
        orphan.wait()


def test_run_news_finds_this_runs_releases_and_list_changes(db):
    _run(db, 1, items_new=2)
    _run(db, 2, spider="un_news", trigger=job_trigger("un_news"))
    _release(db, "Old release", "2025-06-01T00:00:00Z")
    _release(db, "OSCE Chair visits Skopje", "2025-06-04T12:00:30Z")
    _release(db, "Mission to Skopje closes", "2025-06-04T12:00:40Z")
    _release(db, "A UN News story", "2025-06-04T12:00:35Z", source="un_news")
    db.table("list_snapshots").insert_all([
        {"id": 1, "list": "participating_states", "taken_at": "2025-06-04T12:00:50Z", "content_hash": "a", "items": "[]", "run_id": 1},
        {"id": 2, "list": "field_operations", "taken_at": "2025-06-04T12:00:50Z", "content_hash": "b", "items": "[]", "run_id": 7}])
    db.table("list_changes").insert_all([
        {"list": "participating_states", "change": "renamed", "item": "Czechia", "before": "Czech Republic",
         "after": "Czechia", "detected_at": "2025-06-04T12:00:50Z", "snapshot_id": 1},
        {"list": "field_operations", "change": "removed", "item": "Mission to Skopje",
         "detected_at": "2025-06-04T12:00:50Z", "snapshot_id": 2},  # another run's snapshot
        {"list": "field_operations", "change": "added", "item": "Office in Nowhere",
         "detected_at": "2025-06-04T11:00:00Z", "snapshot_id": None}])  # before the run
    news = run_news(db, 1, since="2025-06-04T12:00:00Z")
    assert [r["title"] for r in news.new_releases] == ["Mission to Skopje closes", "OSCE Chair visits Skopje"]
    assert [(c["list"], c["change"], c["item"]) for c in news.list_changes] == [
        ("participating_states", "renamed", "Czechia")]
    assert events(news) == ["new_releases", "list_changes"]
    title, body = message("osce", news)
    assert title == "releasewatch osce: run 1 ok - 2 new release(s), 1 list change(s)"
    assert "- Mission to Skopje closes (2025-06-03) https://www.osce.org/pc/" in body
    assert "- participating_states: renamed Czech Republic -> Czechia" in body
    quiet = run_news(db, 2, since="2025-06-04T12:00:00Z")
    assert quiet.new_releases == [] and events(quiet) == []


def test_failed_run_message_says_why(db):
    _run(db, 3, status="failed", reason="timed out after 60s and was terminated", pages=0)
    news = run_news(db, 3, since="2025-06-04T12:00:00Z")
    assert events(news) == ["failed"]
    title, body = message("osce", news)
    assert title == "releasewatch osce: run 3 FAILED"
    assert body.splitlines()[0] == "failed: timed out after 60s and was terminated"


def test_notifier_is_off_without_urls_and_filters_events(db):
    _run(db, 4, status="degraded", reason="1 problem(s)")
    news = run_news(db, 4, since="2025-06-04T12:00:00Z")
    assert Notifier([]).run_finished("osce", news) is None
    assert Notifier(["json://127.0.0.1:9/"], on=["failed"]).run_finished("osce", news) is None


def test_a_failing_notifier_returns_false_and_never_raises(db):
    _run(db, 5, status="failed", reason="boom")
    news = run_news(db, 5, since="2025-06-04T12:00:00Z")
    assert Notifier(["json://127.0.0.1:9/"]).run_finished("osce", news) is False  # nothing listens on port 9


def test_an_unknown_notification_url_is_a_config_error_without_its_secrets():
    with pytest.raises(ConfigError, match=r"URL #2 \(nosuchscheme://...\)") as info:
        Notifier(["json://127.0.0.1:9/", "nosuchscheme://user:secret@host"])
    assert "secret" not in str(info.value)


# --- releasewatch status ------------------------------------------------------------------------
@freeze_time("2025-06-04T12:05:00Z")
def test_status_shows_each_jobs_last_run_and_next_run(db, tmp_path):
    save_jobs(db, [{"job": "osce", "spider": "osce", "schedule": "every 30m", "next_run": None},
                   {"job": "un_news", "spider": "un_news", "schedule": "every 15m", "next_run": None}])
    set_next_runs(db, {"osce": "2025-06-04T12:30:00Z", "un_news": "2025-06-04T12:15:00Z"})
    _run(db, 1, items_new=3)
    _run(db, 2, status="failed", reason="crawl process exited with code 1", started_at="2025-06-04T12:02:00Z",
         trigger=job_trigger("un_news"), spider="un_news", duration_s=1.0)
    db_path = str(tmp_path / "rw.db")
    plain = CliRunner().invoke(main, ["status", "--db", db_path])
    assert plain.exit_code == 0, plain.output
    lines = plain.output.splitlines()
    assert lines[0] == f"scheduler: not running, database {db_path}"
    assert lines[1].split() == ["JOB", "SCHEDULE", "LAST", "RUN", "STARTED", "RESULT", "NEW", "CHANGED",
                                "DURATION", "NEXT", "RUN"]
    assert lines[2].split() == ["osce", "every", "30m", "#1", "2025-06-04T12:00:00Z", "ok", "3", "0", "60s", "(stopped)"]
    assert lines[3].startswith("un_news") and "failed: crawl process exited with code 1" in lines[3]
    with DaemonLock(db_path):
        data = json.loads(CliRunner().invoke(main, ["status", "--db", db_path, "--json"]).output)
        running = CliRunner().invoke(main, ["status", "--db", db_path]).output
    assert data["scheduler"]["running"] is True and data["scheduler"]["pid"] > 0
    jobs = {j["job"]: j for j in data["jobs"]}
    assert jobs["osce"]["next_run"] == "2025-06-04T12:30:00Z"
    assert jobs["osce"]["last_run"]["items_new"] == 3 and jobs["un_news"]["last_run"]["status"] == "failed"
    assert "2025-06-04T12:30:00Z" in running and "running (pid" in running


def test_status_of_a_missing_database_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(main, ["status", "--db", str(tmp_path / "nope.db")])
    assert result.exit_code == 1 and "does not exist" in result.output
    assert not (tmp_path / "nope.db").exists()
