"""``releasewatch schedule`` (the daemon) and ``releasewatch status`` (its jobs and runs)."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from contextlib import ExitStack
from dataclasses import replace

import click

from crawler.cli.args import check_writable_db, database, db_option, open_reading_db, parse_pairs
from crawler.scheduler.config import (
    DEFAULT_CONFIG,
    ConfigError,
    JobConfig,
    ScheduleConfig,
    load_config,
    with_overrides,
)
from crawler.scheduler.watches import SPIDER as WATCH_SPIDER
from crawler.scheduler.watches import with_watch_jobs
from storage.schedule import jobs_status

EXIT_ALREADY_RUNNING = 3


def _local_sites(stack: ExitStack, config):
    """Serve the bundled local copies of the sites and point the jobs at them; jobs
    whose site has no local copy are left out."""
    from crawler.localsite.demo import LOCAL_SETTINGS, LOCAL_SITES, local_site

    jobs = []
    for job in config.jobs:
        if job.spider == WATCH_SPIDER:  # a watch crawls the URL it was added with
            jobs.append(job)
            continue
        if job.spider not in LOCAL_SITES:
            click.echo(f"--local-site: no local copy of {job.spider}; job {job.name} left out", err=True)
            continue
        setting, site = local_site(job.spider)
        site = stack.enter_context(site)
        click.echo(f"--local-site: {job.spider} served at {site.url}", err=True)
        jobs.append(replace(job, settings={**job.settings, **LOCAL_SETTINGS, setting: site.url}))
    if not jobs:
        raise click.UsageError("--local-site: no configured job has a local site")
    return replace(config, jobs=tuple(jobs))


#: ``-c/--config``, for every command that reads the scheduler's configuration.
config_option = click.option(
    "-c", "--config", "config_path", type=click.Path(dir_okay=False),
    default=lambda: os.environ.get("RELEASEWATCH_CONFIG"),
    help=f"TOML configuration (env RELEASEWATCH_CONFIG; default ./{DEFAULT_CONFIG} if present).")


@click.command("schedule")
@config_option
@db_option(configured=True)
@click.option("--every", multiple=True, metavar="JOB=DURATION", help="Run JOB at this interval, e.g. osce=10m.")
@click.option("--cron", multiple=True, metavar='JOB="CRONTAB"', help='Run JOB on a crontab line, e.g. un_news="*/5 * * * *".')
@click.option("-s", "settings", multiple=True, metavar="NAME=VALUE", help="Scrapy setting for every job.")
@click.option("--notify", "notify_urls", multiple=True, metavar="URL", help="Apprise URL to notify (adds to the configuration).")
@click.option("--log-file", default=None, help="Also log to this file, rotated by size.")
@click.option("--once", is_flag=True, help="Run every job once and exit: 0 all ok, 1 degraded, 2 failed.")
@click.option("--local-site", is_flag=True, help="Crawl the bundled local copies of the sites (no internet).")
def schedule_command(config_path, db_path, every, cron, settings, notify_urls, log_file, once, local_site) -> None:
    """Run the crawls on their schedules, in the foreground, until SIGTERM or Ctrl-C.

    Each job (default: osce every 30m, un_news every 15m, un_press every 30m) crawls in
    its own process with a timeout; a job still running skips its next turn. On SIGTERM
    a running crawl may finish within the grace period, then the daemon exits 0. One
    daemon per database: a second one exits 3.

    \b
    Examples:
        releasewatch schedule
        releasewatch schedule --every osce=10m --cron un_news="*/5 * * * *" --log-file rw.log
        releasewatch schedule --local-site --every osce=1m --db demo.db
        releasewatch schedule --once          # for cron: every job once, then exit
    """
    from crawler.scheduler.daemon import AlreadyRunning, DaemonLock, Scheduler, configure_logging
    from crawler.scheduler.notify import Notifier

    try:
        config = load_config(config_path)
        db_path = db_path or database(config.db)  # the one --db rule: the watches are in it
        check_writable_db(db_path)  # a mistyped --db creates no directory tree
        file_config = config

        def configured(config: ScheduleConfig) -> ScheduleConfig:
            return with_overrides(
                with_watch_jobs(config, db_path), db=db_path,
                every=parse_pairs(every, "--every"), cron=parse_pairs(cron, "--cron"),
                settings=parse_pairs(settings, "-s"), notify_urls=notify_urls, log_file=log_file)

        def watch_jobs() -> list[JobConfig]:  # read again while the daemon runs
            return [job for job in configured(file_config).jobs if job.spider == WATCH_SPIDER]

        config = configured(config)
        notifier = Notifier(config.notify.urls, config.notify.on)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    with ExitStack() as stack:
        try:
            configure_logging(config.log_file, max_bytes=config.log_max_bytes, backups=config.log_backups)
            with DaemonLock(config.db):  # refuse early; run_* hold the lock for good
                pass
            if local_site:
                config = _local_sites(stack, config)
            if not config.jobs:
                raise click.UsageError("no jobs to run: the configuration disables every job")
            daemon = Scheduler(config, notifier, watch_jobs=None if once else watch_jobs)
            code = daemon.run_once() if once else daemon.run_forever()
        except AlreadyRunning as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(EXIT_ALREADY_RUNNING)
        except (OSError, sqlite3.Error) as exc:
            raise click.ClickException(f"cannot start on {config.db}: {exc}") from None
    sys.exit(code)


STATUS_COLUMNS = ("job", "schedule", "last run", "started", "result", "new", "changed",
                  "duration", "next run")


def _status_rows(jobs: list[dict], running: bool) -> list[tuple[str, ...]]:
    rows = []
    for job in jobs:
        run = job["last_run"] or {}
        result = run.get("status") or "never run"
        if run.get("reason") and result not in ("ok", "running"):
            result += f": {run['reason'][:60]}"
        duration = f"{run['duration_s']:.0f}s" if run.get("duration_s") is not None else ""
        rows.append((
            job["job"], job["schedule"], f"#{run['id']}" if run else "", run.get("started_at") or "",
            result, str(run.get("items_new") or 0) if run else "", str(run.get("items_changed") or 0) if run else "",
            duration, (job["next_run"] or "") if running else "(stopped)",
        ))
    return rows


def _runs_summary(db) -> str:
    """``3 crawl runs recorded, the last #3 osce ok at 2026-...`` (or none)."""
    if "crawl_runs" not in db.table_names():
        return "no crawl runs recorded"
    count = db.execute("SELECT count(*) FROM crawl_runs").fetchone()[0]
    last = db.execute("SELECT id, spider, status, started_at FROM crawl_runs "
                      "ORDER BY started_at DESC, id DESC LIMIT 1").fetchone()
    if not last:
        return "no crawl runs recorded"
    return f"{count} crawl run(s) recorded, the last #{last[0]} {last[1]} {last[2]} at {last[3]}"


@click.command("status")
@db_option(configured=True)
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status_command(db_path, as_json) -> None:
    """Each scheduled job: its last run, result, and next run time.

    \b
    Example:
        releasewatch status
        releasewatch status --json | jq '.jobs[] | select(.last_run.status != "ok")'
    """
    from crawler.scheduler.daemon import lock_holder

    if db_path is None:
        try:
            db_path = database(load_config(os.environ.get("RELEASEWATCH_CONFIG")).db)
        except ConfigError as exc:
            raise click.UsageError(f"{exc} (or give --db)") from None
    db = open_reading_db(db_path)
    try:
        jobs = jobs_status(db) if "schedule_jobs" in db.table_names() else []
        runs = _runs_summary(db) if not jobs else None
    finally:
        db.close()
    pid = lock_holder(db_path)
    if as_json:
        click.echo(json.dumps({"database": db_path, "scheduler": {"running": pid is not None, "pid": pid},
                               "jobs": jobs}, indent=2))
        return
    click.echo(f"scheduler: {f'running (pid {pid})' if pid is not None else 'not running'}, database {db_path}")
    if not jobs:
        click.echo(f"no scheduled jobs yet ({runs}): start the scheduler with `releasewatch schedule`")
        return
    rows = _status_rows(jobs, pid is not None)
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        table = Table()
        for column in STATUS_COLUMNS:  # the result (with its reason) is the column that wraps
            table.add_column(column, no_wrap=column != "result", justify="right" if column in ("new", "changed", "duration") else "left")
        for row in rows:
            table.add_row(*row, style={"failed": "red", "degraded": "yellow"}.get(row[4].split(":")[0]))
        Console().print(table)
        return
    widths = [max(len(str(cell)) for cell in column) for column in zip(STATUS_COLUMNS, *rows, strict=False)]
    for row in (tuple(c.upper() for c in STATUS_COLUMNS), *rows):
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
