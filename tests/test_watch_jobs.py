"""Watches become scheduler jobs (crawler/scheduler/watches.py) next to the configured ones."""

from __future__ import annotations

from datetime import UTC, datetime

from crawler.crawl.watches import load_watch
from crawler.scheduler.config import parse_config, with_overrides
from crawler.scheduler.watches import with_watch_jobs
from storage import open_db
from storage.watches import Watch, add_watch


def saved(tmp_path, *watches: Watch) -> str:
    path = str(tmp_path / "rw.db")
    db = open_db(path)
    for watch in watches:
        add_watch(db, watch)
    db.close()
    return path


def test_each_watch_is_a_job_with_the_configured_settings_and_timeout(tmp_path):
    db = saved(tmp_path, Watch("nato", "https://www.nato.int/news.htm", "30m", rows="div.grid > div.card"))
    config = parse_config({"scheduler": {"timeout": "2h"}, "settings": {"LOG_LEVEL": "WARNING"},
                           "jobs": {"osce": {"every": "1h", "settings": {"OSCE_BASE_URL": "http://x"}}}})
    jobs = {job.name: job for job in with_watch_jobs(config, db).jobs}
    assert set(jobs) == {"osce", "nato"}
    nato = jobs["nato"]
    assert (nato.spider, nato.every, nato.timeout) == ("watch", 1800.0, 7200.0)
    assert nato.args == {"name": "nato", "url": "https://www.nato.int/news.htm", "rows": "div.grid > div.card"}
    assert nato.settings == {"LOG_LEVEL": "WARNING"}  # not osce's base URL


def test_command_line_overrides_reach_watches_and_a_configured_job_wins(tmp_path):
    db = saved(tmp_path, Watch("nato", "https://www.nato.int/news.htm", "30m"),
               Watch("coe", "https://www.coe.int/newsroom", "1h"))
    config = parse_config({"jobs": {"coe": {"spider": "watch", "cron": "0 6 * * *", "timeout": "10m"}}})
    config = with_overrides(with_watch_jobs(config, db), every={"nato": "5m"}, settings={"DOWNLOAD_DELAY": "3"})
    jobs = {job.name: job for job in config.jobs}
    assert jobs["nato"].every == 300.0 and jobs["nato"].settings["DOWNLOAD_DELAY"] == "3"
    assert jobs["coe"].cron == "0 6 * * *" and jobs["coe"].timeout == 600.0
    assert jobs["coe"].args == {"name": "coe", "url": "https://www.coe.int/newsroom"}


def test_no_database_no_watches(tmp_path):
    config = parse_config({})
    assert with_watch_jobs(config, str(tmp_path / "missing.db")) == config
    assert not (tmp_path / "missing.db").exists()
    assert load_watch(str(tmp_path / "missing.db"), "nato") is None


def test_a_running_daemon_follows_watches_added_changed_and_removed(tmp_path):
    from dataclasses import replace

    from apscheduler.schedulers.background import BackgroundScheduler

    from crawler.scheduler.daemon import Scheduler
    from storage.watches import remove_watch

    db_path = saved(tmp_path, Watch("nato", "https://www.nato.int/news.htm", "30m"))
    file_config = replace(parse_config({"jobs": {"osce": {"every": "1h"}}}), db=db_path)

    def watch_jobs():
        return [job for job in with_watch_jobs(file_config, db_path).jobs if job.spider == "watch"]

    daemon = Scheduler(with_watch_jobs(file_config, db_path), watch_jobs=watch_jobs)
    scheduler = BackgroundScheduler(timezone="UTC")  # not started: jobs are only scheduled
    first = daemon._prepare(datetime.now(UTC))
    for job in daemon.jobs.values():
        daemon._schedule(scheduler, job, first[job.name])

    def scheduled():
        return {job.id: str(job.trigger) for job in scheduler.get_jobs()}

    def recorded():
        db = open_db(db_path)
        try:
            return {row["job"]: row["schedule"] for row in db.query("SELECT job, schedule FROM schedule_jobs")}
        finally:
            db.close()

    daemon._sync_watches(scheduler)  # nothing changed
    assert set(scheduled()) == {"osce", "nato"}

    db = open_db(db_path)
    add_watch(db, Watch("coe", "https://www.coe.int/newsroom", "15m"))
    remove_watch(db, "nato")
    add_watch(db, Watch("nato", "https://www.nato.int/news.htm", "2h"))  # the same name, another interval
    db.close()
    daemon._sync_watches(scheduler)
    assert set(scheduled()) == {"osce", "nato", "coe"}
    assert "0:15:00" in scheduled()["coe"] and "2:00:00" in scheduled()["nato"]
    assert recorded() == {"osce": "every 1h", "nato": "every 2h", "coe": "every 15m"}

    db = open_db(db_path)
    remove_watch(db, "coe")
    db.close()
    daemon._sync_watches(scheduler)
    assert set(scheduled()) == {"osce", "nato"} and set(recorded()) == {"osce", "nato"}
