"""Watches as scheduler jobs: each watch saved by ``releasewatch watch add`` runs like a
built-in spider (``scrapy crawl watch -a name=NAME``). No Scrapy here (the daemon
imports this). A bare ``scrapy crawl watch -a name=NAME`` reads its watch in the crawl
(``crawler.crawl.watches``); the jobs pass ``-a name= -a url= -a rows=`` themselves."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from crawler.scheduler.config import ConfigError, JobConfig, ScheduleConfig, parse_duration
from storage import open_db
from storage.sources import WATCH
from storage.watches import list_watches

SPIDER = WATCH  # storage/sources.py
DEFAULT_EVERY = 3600.0  # a watch's interval unless `watch add --every` says otherwise


def with_watch_jobs(config: ScheduleConfig, db_path: str) -> ScheduleConfig:
    """``config`` plus one job per watch in the database at ``db_path``.

    A job of the configuration file with the same name wins (it can set the watch's
    timeout, settings or cron line: ``[jobs.NAME] spider = "watch"``).
    """
    if not Path(db_path).exists():
        return config
    db = open_db(db_path)
    try:
        watches = list_watches(db)
    finally:
        db.close()
    jobs = {job.name: job for job in config.jobs}
    for watch in watches:
        args = {"name": watch.name, "url": watch.url, **({"rows": watch.rows} if watch.rows else {})}
        job = jobs.get(watch.name)
        if job is not None:
            if job.spider == SPIDER:
                jobs[watch.name] = replace(job, args={**args, **job.args})
            continue
        try:
            every = parse_duration(watch.every, f"watch {watch.name} every")
        except ConfigError:
            every = DEFAULT_EVERY
        jobs[watch.name] = JobConfig(name=watch.name, spider=SPIDER, every=every, timeout=config.timeout,
                                     args=args, settings=dict(config.settings))
    return replace(config, jobs=tuple(jobs.values()))
