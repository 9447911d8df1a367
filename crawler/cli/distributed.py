"""``releasewatch ingest`` (the one writer of distributed mode) and ``releasewatch seed``."""

from __future__ import annotations

import logging
import os
import signal
import threading

import click
import redis

from crawler.cli.args import db_option, parse_pairs
from crawler.distributed import handoff
from crawler.distributed.ingest import Ingester
from storage.sources import names


def redis_option(func):
    return click.option("--redis", "redis_url", envvar="REDIS_URL", required=True, metavar="URL",
                        help="Redis of the distributed crawl (env REDIS_URL), e.g. redis://localhost:6379/0.")(func)


@click.command("ingest")
@db_option
@redis_option
@click.option("--batch", "batch_size", default=200, show_default=True, help="Messages per transaction.")
@click.option("--exit-when-idle", type=float, default=0.0, metavar="SECONDS",
              help="Exit after SECONDS without messages (default: run until stopped).")
def ingest_command(db_path, redis_url, batch_size, exit_when_idle) -> None:
    """Write what distributed workers crawled into the database (the one writer).

    \b
    Example:
        releasewatch ingest --redis redis://localhost:6379/0 --db releasewatch.db
    """
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"), format="%(asctime)s [%(name)s] %(levelname)s: %(message)s")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        ingester = Ingester(db_path, redis_url, batch_size=batch_size, echo=click.echo)
    except redis.RedisError as exc:
        raise click.ClickException(f"cannot reach Redis at {redis_url}: {exc}") from exc
    click.echo(f"ingesting {ingester.items_key} from {redis_url} into {db_path}", err=True)
    try:
        stats = ingester.run(stop=stop, exit_when_idle=exit_when_idle)
    finally:
        ingester.close()
    click.echo(f"ingested {stats.messages} message(s) ({stats.replayed} replayed after a stop, "
               f"{stats.skipped} already committed): releases {dict(stats.releases)}, "
               f"lists {dict(stats.lists)}, runs finished {len(stats.runs_finished)}", err=True)


@click.command("seed")
@click.argument("spider", type=click.Choice(names()))
@redis_option
@click.option("--full", is_flag=True, help="Revisit every listing page (back-fill).")
@click.option("-a", "arguments", multiple=True, metavar="NAME=VALUE", help="Spider argument.")
@click.option("--trigger", default="manual", show_default=True, help="Recorded in crawl_runs.trigger.")
def seed_command(spider, redis_url, full, arguments, trigger) -> None:
    """Start a distributed crawl: the first idle worker of SPIDER picks it up.

    \b
    Example:
        releasewatch seed osce --redis redis://localhost:6379/0
    """
    args = parse_pairs(arguments, "-a")
    if full:
        args["full"] = "1"
    try:
        run = handoff.seed_run(redis_url, spider, args=args, trigger=trigger)
    except redis.RedisError as exc:
        raise click.ClickException(f"cannot reach Redis at {redis_url}: {exc}") from exc
    click.echo(f"seeded {run}: workers of '{spider}' start it when idle; "
               "`releasewatch ingest` records it in crawl_runs")

