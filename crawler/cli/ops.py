"""Operating commands: ``releasewatch check`` (the plan, a dry run), ``notify --test``
and ``prune`` (old HTTP-cache entries; optionally old versions and runs)."""

from __future__ import annotations

import os
import sqlite3
import time
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from crawler.cli.args import check_writable_db, db_option, open_reading_db
from crawler.cli.schedule import config_option
from crawler.scheduler.config import ConfigError, format_duration, load_config, parse_duration, with_overrides
from storage.normalize import timestamp


def _load(config_path: str | None, db_path: str | None, notify_urls: tuple[str, ...] = ()):
    """The checked configuration and its notifier; a problem is one usage line (exit 2)."""
    from crawler.scheduler.notify import Notifier

    try:
        config = with_overrides(load_config(config_path), db=db_path or os.environ.get("RELEASEWATCH_DB"),
                                notify_urls=notify_urls)
        return config, Notifier(config.notify.urls, config.notify.on)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None


def _scheme(url: str) -> str:
    return url.partition("://")[0] + "://..."  # Apprise URLs may hold secrets


@click.command("check")
@config_option
@db_option(configured=True)
def check_command(config_path, db_path) -> None:
    """Load the configuration, resolve every spider and notification URL, and print the
    plan. A dry run: nothing is crawled or sent. Exit 0 ready, 1 a problem, 2 bad config.

    \b
    Example:
        releasewatch check -c releasewatch.toml
        configuration: releasewatch.toml
        database: releasewatch.db (exists)
        job osce: spider osce, every 30m, jitter 1m, timeout 1h
        notify: 1 URL (mailto://...) on new_releases, list_changes, degraded, failed
        ready: nothing was crawled or sent (dry run)
    """
    config, notifier = _load(config_path, db_path)
    shown = config_path or ("releasewatch.toml" if Path("releasewatch.toml").exists() else "(defaults)")
    click.echo(f"configuration: {shown}")
    problem = None
    try:
        check_writable_db(config.db)
    except click.ClickException as exc:
        problem = exc.message
    click.echo(f"database: {config.db} ({'exists' if Path(config.db).exists() else 'will be created'})"
               + (f" - {problem}" if problem else ""))
    if not config.jobs:
        problem = problem or "the configuration disables every job"
    for job in config.jobs:
        parts = [f"spider {job.spider}", job.schedule]
        if job.jitter_s:
            parts.append(f"jitter {format_duration(job.jitter_s)}")
        parts.append(f"timeout {format_duration(job.timeout)}")
        parts += [f"-a {k}={v}" for k, v in job.args.items()]
        parts += [f"-s {k}={v}" for k, v in job.settings.items()]
        click.echo(f"job {job.name}: " + ", ".join(parts))
    urls = config.notify.urls
    click.echo(f"notify: {len(urls)} URL(s) ({', '.join(map(_scheme, urls))}) on {', '.join(config.notify.on)}"
               if notifier.enabled else "notify: off (no [notify] urls)")
    if problem:
        raise click.ClickException(problem)
    click.echo("ready: nothing was crawled or sent (dry run)")


@click.command("notify")
@config_option
@click.option("--test", "test", is_flag=True, required=True, help="Send a test message to every notification URL.")
@click.option("--url", "urls", multiple=True, metavar="URL", help="Apprise URL (adds to the configuration's).")
def notify_command(config_path, test, urls) -> None:
    """Send a test notification to the configured Apprise URLs; exit 1 if one fails.

    \b
    Example:
        releasewatch notify --test --url json://127.0.0.1:8080/hook
        notify: test message sent to 1 URL(s)
    """
    config, notifier = _load(config_path, None, urls)
    if not notifier.enabled:
        raise click.UsageError("no notification URLs: set [notify] urls in the configuration or give --url")
    count = len(config.notify.urls)
    if not notifier.send_test():
        raise click.ClickException(f"notify: the test message failed for at least one of {count} URL(s)")
    click.echo(f"notify: test message sent to {count} URL(s)")


def _duration(value: str | None, option: str) -> float | None:
    try:
        return parse_duration(value, option) if value is not None else None
    except ConfigError as exc:
        raise click.BadParameter(str(exc).split(": ", 1)[-1], param_hint=option) from None


@click.command("prune")
@db_option
@click.option("--cache-older-than", default="30d", show_default=True, metavar="DURATION",
              help="Delete HTTP-cache entries stored longer ago (they only save a download).")
@click.option("--keep-versions", type=click.IntRange(1), default=None, metavar="N",
              help="Also keep only the newest N versions of each release.")
@click.option("--runs-older-than", default=None, metavar="DURATION",
              help="Also delete finished crawl runs (and their errors) started longer ago.")
@click.option("--dry-run", is_flag=True, help="Say what would be deleted; change nothing.")
def prune_command(db_path, cache_older_than, keep_versions, runs_older_than, dry_run) -> None:
    """Delete old HTTP-cache entries and, if asked, old release versions and crawl runs.

    \b
    Example:
        releasewatch prune --dry-run --keep-versions 5 --runs-older-than 90d
        http cache osce.sqlite: would delete 120 of 310 entries older than 30d
        versions: would delete 4 beyond the newest 5 per release
        runs: would delete 210 finished runs older than 90d
    """
    cache_age = _duration(cache_older_than, "--cache-older-than")
    runs_age = _duration(runs_older_than, "--runs-older-than")
    if not Path(db_path).is_file():
        raise click.ClickException(f"database {db_path} does not exist (check --db or RELEASEWATCH_DB)")
    if not dry_run:
        check_writable_db(db_path)
    verb = "would delete" if dry_run else "deleted"
    cache_dir = Path(f"{Path(db_path).resolve()}.httpcache")
    for file in sorted(cache_dir.glob("*.sqlite")):
        old, total = _prune_cache(file, time.time() - cache_age, dry_run)
        click.echo(f"http cache {file.name}: {verb} {old} of {total} entries older than {cache_older_than}")
    if keep_versions is None and runs_age is None:
        return
    from storage import open_db

    db = open_reading_db(db_path) if dry_run else open_db(db_path)  # a dry run never writes
    try:
        with db.atomic() if not dry_run else nullcontext():
            if keep_versions is not None:
                count = _prune_versions(db, keep_versions, dry_run)
                click.echo(f"versions: {verb} {count} beyond the newest {keep_versions} per release")
            if runs_age is not None:
                cutoff = timestamp(datetime.now(UTC) - timedelta(seconds=runs_age))
                count = _prune_runs(db, cutoff, dry_run)
                click.echo(f"runs: {verb} {count} finished runs older than {runs_older_than}")
    finally:
        db.close()


def _prune_cache(file: Path, cutoff: float, dry_run: bool) -> tuple[int, int]:
    conn = sqlite3.connect(file, timeout=30, isolation_level=None)
    try:
        total = conn.execute("SELECT count(*) FROM responses").fetchone()[0]
        old = conn.execute("SELECT count(*) FROM responses WHERE stored_at < ?", [cutoff]).fetchone()[0]
        if old and not dry_run:
            conn.execute("DELETE FROM responses WHERE stored_at < ?", [cutoff])
        return old, total
    except sqlite3.Error as exc:
        raise click.ClickException(f"cannot prune {file}: {exc}") from None
    finally:
        conn.close()


OLD_VERSIONS = """
SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY release_id ORDER BY seen_at DESC, id DESC) AS n
                FROM release_versions) WHERE n > ?
"""


def _prune_versions(db, keep: int, dry_run: bool) -> int:
    ids = [row["id"] for row in db.query(OLD_VERSIONS, [keep])]
    if ids and not dry_run:
        db.execute(f"DELETE FROM release_versions WHERE id IN ({OLD_VERSIONS})", [keep])
    return len(ids)


def _prune_runs(db, cutoff: str, dry_run: bool) -> int:
    where = "started_at < ? AND finished_at IS NOT NULL AND coalesce(status, '') != 'running'"
    count = db.execute(f"SELECT count(*) FROM crawl_runs WHERE {where}", [cutoff]).fetchone()[0]
    if count and not dry_run:
        db.execute(f"DELETE FROM crawl_errors WHERE run_id IN (SELECT id FROM crawl_runs WHERE {where})", [cutoff])
        db.execute(f"DELETE FROM crawl_runs WHERE {where}", [cutoff])
    return count
