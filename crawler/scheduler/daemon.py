"""The scheduler daemon: every configured job crawls on its schedule, unattended.

``releasewatch schedule`` runs an APScheduler 3 ``BackgroundScheduler`` and waits in the
main thread for SIGTERM/SIGINT. Each job runs its crawl with
:func:`crawler.runner.run_crawl`, i.e. in its own ``scrapy crawl`` process with a
timeout, so this process never imports Scrapy or Twisted and outlives any crawl that
crashes or hangs. Every run is a ``crawl_runs`` row (trigger ``schedule:<job>``).

- No overlap, no pile-up: ``max_instances=1`` (a job still running skips its next
  fire), ``coalesce=True`` (missed fires run once), a ``misfire_grace_time``.
- One daemon per database: an exclusive ``flock`` on ``<db>.lock``.
- Clean stop: on SIGTERM/SIGINT no new crawl starts, a running crawl may finish within
  the grace period (then it is stopped and recorded), and the daemon exits 0.
- Restarts keep the schedule. Jobs are rebuilt from the configuration under
  deterministic ids (the job names), and each job's first run is computed from its
  last ``crawl_runs`` row: an interval job runs when its last run is ``every`` old
  (at once if never run), a cron job runs at once when it missed a fire while the
  daemon was down, else at its next fire. A persistent APScheduler job store would
  need SQLAlchemy and would also keep stale jobs and schedules after the
  configuration changed; the run history is already in the database, so the
  configuration stays the single source of truth.
- ``releasewatch status`` reads the next run times the daemon writes to
  ``schedule_jobs`` and checks the lock to tell whether the daemon is alive.
- Watches follow the database: every ``WATCH_SYNC_S`` a running daemon reads the
  ``watches`` table again; a watch added (``releasewatch watch add``) gets its job, a
  changed one is rescheduled, a removed one loses its job (a crawl running then finishes).
"""

from __future__ import annotations

import fcntl
import logging
import logging.handlers
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor as Pool
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from crawler.runner import CrawlOutcome, run_crawl
from crawler.scheduler.config import JobConfig, ScheduleConfig, cron_trigger
from crawler.scheduler.notify import Notifier
from crawler.verdict import summary_line
from storage import open_db, utcnow
from storage.normalize import parse_timestamp, timestamp
from storage.runs import live_run, mark_abandoned_runs
from storage.schedule import job_trigger, last_run, run_news, save_jobs, set_next_runs
from storage.sources import WATCH

log = logging.getLogger("releasewatch.scheduler")
SYNC_S = 1.0  # how often the main loop publishes next run times (when they changed)
WATCH_SYNC_S = 10.0  # how often a running daemon reads the watches again
SPARE_WORKERS = 8  # threads for jobs of watches added while the daemon runs
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class AlreadyRunning(RuntimeError):
    """Another scheduler holds the database's lock."""


def lock_path(db: str | os.PathLike) -> Path:
    return Path(f"{Path(db).resolve()}.lock")


class DaemonLock:
    """An exclusive ``flock`` on ``<db>.lock`` holding the owner's pid; released when the
    process ends, however it ends. (The file itself stays: removing a lock file races.)"""

    def __init__(self, db: str | os.PathLike):
        self.path = lock_path(db)
        self.file = None

    def __enter__(self) -> DaemonLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        file = open(self.path, "a+")  # noqa: SIM115 - held for the daemon's lifetime
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.seek(0)
            holder = file.read().strip() or "unknown"
            file.close()
            raise AlreadyRunning(
                f"another releasewatch scheduler (pid {holder}) is already running on "
                f"{self.path.with_suffix('')} (lock {self.path})") from None
        file.seek(0)
        file.truncate()
        file.write(f"{os.getpid()}\n")
        file.flush()
        self.file = file
        return self

    def __exit__(self, *exc) -> None:
        if self.file is not None:
            fcntl.flock(self.file, fcntl.LOCK_UN)
            self.file.close()
            self.file = None


def lock_holder(db: str | os.PathLike) -> int | None:
    """The pid of the scheduler running on ``db``, or ``None`` if none is."""
    path = lock_path(db)
    if not path.exists():
        return None
    with open(path) as file:
        try:
            fcntl.flock(file, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = file.read().strip()
            return int(text) if text.isdigit() else 0
        fcntl.flock(file, fcntl.LOCK_UN)
    return None


def make_trigger(job: JobConfig, *, timezone: str, start: datetime | None = None) -> BaseTrigger:
    """The APScheduler trigger of a job: an interval (from ``start``) or a crontab line."""
    if job.cron:
        return cron_trigger(job.cron, timezone=timezone, jitter=job.jitter_s or None)
    return IntervalTrigger(seconds=job.every, start_date=start, timezone=timezone,
                           jitter=job.jitter_s or None)


def first_run(job: JobConfig, last_started: datetime | None, now: datetime, *,
              timezone: str = "UTC") -> datetime:
    """When a job runs first after a (re)start, from when its last run started.

    A last start in the future (recorded while the clock was fast) counts as now: it
    must not postpone the job by as much as the clock was off.
    """
    if last_started is not None:
        last_started = min(last_started, now)
    if job.cron:
        trigger = make_trigger(job, timezone=timezone)
        if last_started is not None:
            missed = trigger.get_next_fire_time(None, last_started + timedelta(seconds=1))
            if missed is not None and missed <= now:
                return now  # a fire passed while the daemon was down: catch up once
        return trigger.get_next_fire_time(None, now)
    if last_started is None:
        return now
    return max(now, last_started + timedelta(seconds=job.every))


def iso(moment: datetime | None) -> str | None:
    """A datetime as the schema's time text (``storage.normalize.timestamp``), or None."""
    return timestamp(moment) if moment is not None else None


def parse_iso(text: str | None) -> datetime | None:
    return parse_timestamp(text) if text else None


def configure_logging(log_file: str | None = None, *, max_bytes: int = 10_000_000,
                      backups: int = 5, level: int = logging.INFO) -> None:
    """Log to stderr and, with ``log_file``, to a size-rotated file."""
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    if log_file:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.handlers.RotatingFileHandler(
            log_file, maxBytes=max_bytes, backupCount=backups, encoding="utf-8"))
    logging.basicConfig(level=level, format=LOG_FORMAT, handlers=handlers, force=True)
    # APScheduler's own INFO lines ("Running job ...") would double ours; keep its warnings
    # (a skipped fire because the job is still running, a missed fire).
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


class Scheduler:
    """Runs the configured jobs, forever (:meth:`run_forever`) or once (:meth:`run_once`)."""

    def __init__(self, config: ScheduleConfig, notifier: Notifier | None = None,
                 watch_jobs: Callable[[], Iterable[JobConfig]] | None = None):
        """``watch_jobs``: the jobs of the watches now in the database (the command builds
        them as at start); without it the jobs stay those of ``config``."""
        self.config = config
        self.jobs = {job.name: job for job in config.jobs}
        self.watch_jobs = watch_jobs
        self.db = str(Path(config.db).resolve())
        self.notifier = notifier or Notifier(config.notify.urls, config.notify.on)
        self.stopping = threading.Event()
        self.running: set[str] = set()  # jobs whose crawl is running now

    # --- one run ------------------------------------------------------------------
    def run_job(self, job: JobConfig) -> CrawlOutcome | None:
        """Run one crawl of ``job``, log it, notify about it; ``None`` if shutting down.

        Never raises: a failure of the daemon's own (database, notifier) is logged and
        returned as a failed outcome, and the job runs again at its next time.
        """
        if self.stopping.is_set():
            return None
        self.running.add(job.name)
        try:
            return self._run(job)
        finally:
            self.running.discard(job.name)

    def _run(self, job: JobConfig) -> CrawlOutcome | None:
        redis_url = job.settings.get("REDIS_URL") or os.environ.get("REDIS_URL")
        if redis_url:
            return self._seed(job, redis_url)
        db = open_db(self.db)
        try:
            orphan = live_run(db, job_trigger(job.name))
        finally:
            db.close()
        if orphan:  # started by a daemon that was killed, and still crawling: no overlap
            log.warning("job %s: run %s (pid %s) of an earlier daemon is still running: skipped",
                        job.name, *orphan)
            return None
        since, clock = utcnow(), time.monotonic()

        def started(run_id: int, pid: int) -> None:
            log.info("job %s: run %s started (spider %s, pid %s)", job.name, run_id, job.spider, pid)

        try:
            outcome = run_crawl(
                job.spider, db=self.db, settings=job.settings, args=job.args, timeout=job.timeout,
                trigger=job_trigger(job.name), stop_event=self.stopping, grace=self.config.grace,
                on_start=started, close_timeout=self.config.close_timeout,
            )
            db = open_db(self.db)
            try:
                news = run_news(db, outcome.run_id, since)
            finally:
                db.close()
        except Exception as exc:
            log.exception("job %s: the run could not be completed", job.name)
            return CrawlOutcome(0, "failed", None, f"{type(exc).__name__}: {exc}")
        run = news.run
        level = {"ok": logging.INFO, "degraded": logging.WARNING}.get(outcome.status, logging.ERROR)
        line = summary_line(outcome.run_id, job.spider, {**run, "status": outcome.status, "reason": outcome.reason})
        log.log(level, "job %s: %s (%.1fs, exit %s)", job.name, line, time.monotonic() - clock, outcome.cli_exit_code)
        self.notifier.run_finished(job.name, news)
        return outcome

    def _seed(self, job: JobConfig, redis_url: str) -> CrawlOutcome:
        """Distributed mode: seed the run into Redis for the workers; the ingester
        (``releasewatch ingest``) writes its ``crawl_runs`` row from every worker's counts."""
        from crawler.distributed.handoff import seed_run

        try:
            run = seed_run(redis_url, job.spider, args=job.args, trigger=job_trigger(job.name))
        except Exception as exc:  # Redis down: this run is failed, the job runs again later
            log.error("job %s: could not seed a distributed run into Redis: %s", job.name, exc)
            return CrawlOutcome(0, "failed", None, f"could not seed into Redis: {exc}")
        log.info("job %s: seeded distributed run %s (workers crawl it, the ingester records it)",
                 job.name, run)
        return CrawlOutcome(0, "ok", None, f"seeded {run}")

    # --- the daemon -----------------------------------------------------------------
    def run_forever(self) -> int:
        """Run the jobs on their schedules until SIGTERM/SIGINT; return the exit code (0).

        Raises :class:`AlreadyRunning` if another scheduler runs on the same database.
        """
        with DaemonLock(self.db):
            now = datetime.now(UTC)
            first = self._prepare(now)
            scheduler = BackgroundScheduler(
                timezone=self.config.timezone,
                executors={"default": ThreadPoolExecutor(max_workers=len(self.jobs) + SPARE_WORKERS)},
                job_defaults={"coalesce": True, "max_instances": 1,
                              "misfire_grace_time": int(self.config.misfire_grace_time) or None},
            )
            for job in self.jobs.values():
                self._schedule(scheduler, job, first[job.name])
            self._handle_signals()
            scheduler.start()
            log.info("scheduler started (pid %s) on %s: %s", os.getpid(), self.db, "; ".join(
                f"{job.name} {job.schedule} next {iso(first[job.name])}" for job in self.jobs.values()))
            published: dict[str, str | None] = {}
            next_sync = time.monotonic() + WATCH_SYNC_S
            while not self.stopping.wait(SYNC_S):
                if self.watch_jobs is not None and time.monotonic() >= next_sync:
                    self._sync_watches(scheduler)
                    next_sync = time.monotonic() + WATCH_SYNC_S
                published = self._publish(scheduler, published)
            running = sorted(self.running)
            log.info("stopping: no new crawls; %s", f"waiting up to {self.config.grace:g}s for "
                     + ", ".join(running) if running else "no crawl running")
            scheduler.shutdown(wait=True)
            self._update_next_runs(dict.fromkeys(self.jobs))
            log.info("scheduler stopped")
        return 0

    def _schedule(self, scheduler: BackgroundScheduler, job: JobConfig, first: datetime) -> None:
        scheduler.add_job(
            self.run_job, make_trigger(job, timezone=self.config.timezone, start=first),
            args=[job], id=job.name, name=job.name, next_run_time=first,
        )

    def _sync_watches(self, scheduler: BackgroundScheduler) -> None:
        """Give new watches a job, reschedule changed ones, drop removed ones."""
        try:
            fresh = {job.name: job for job in self.watch_jobs()}
        except Exception as exc:  # a locked database or a bad override: try again later
            log.warning("could not read the watches: %s", exc)
            return
        current = {name: job for name, job in self.jobs.items() if job.spider == WATCH}
        removed = sorted(set(current) - set(fresh))
        changed = {name: job for name, job in fresh.items()
                   if current.get(name) != job and self.jobs.get(name, job).spider == WATCH}
        if not removed and not changed:
            return
        for name in removed + [name for name in changed if name in current]:
            scheduler.remove_job(name)
            del self.jobs[name]
        self.jobs.update(changed)
        first = self._prepare(datetime.now(UTC), jobs=changed.values())
        for job in changed.values():
            self._schedule(scheduler, job, first[job.name])
        log.info("watches changed: %s", "; ".join(
            [f"{name} removed" for name in removed]
            + [f"{job.name} {'rescheduled' if job.name in current else 'added'}, {job.schedule}, "
               f"next {iso(first[job.name])}" for job in changed.values()]))

    def run_once(self) -> int:
        """Run every job once, in parallel, and return the exit code: 0 all ok,
        1 a run was degraded, 2 a run failed (as ``releasewatch crawl``)."""
        with DaemonLock(self.db):
            self._prepare(datetime.now(UTC), once=True)
            self._handle_signals()
            with Pool(max_workers=max(1, len(self.jobs))) as pool:
                outcomes = list(pool.map(self.run_job, self.jobs.values()))
        return max((o.cli_exit_code for o in outcomes if o is not None), default=0)

    def stop(self, signum: int | None = None, frame=None) -> None:
        """Begin a clean stop (the SIGTERM/SIGINT handler)."""
        name = signal.Signals(signum).name if signum else "stop"
        if self.stopping.is_set():
            log.warning("%s: already stopping (running crawls have %.0fs to finish)", name, self.config.grace)
        else:
            log.info("%s received", name)
        self.stopping.set()

    # --- helpers ------------------------------------------------------------------
    def _prepare(self, now: datetime, *, once: bool = False,
                 jobs: Iterable[JobConfig] | None = None) -> dict[str, datetime]:
        """Close runs a dead process left ``running`` (at start: ``jobs`` None), record the
        jobs, and work out the first run of each of ``jobs`` (default: all) from its history."""
        db = open_db(self.db)
        try:
            abandoned = mark_abandoned_runs(db) if jobs is None else 0
            if abandoned:
                log.warning("marked %s run(s) left running by a stopped process as failed", abandoned)
            first = {}
            for job in self.jobs.values() if jobs is None else jobs:
                last = last_run(db, job.name)
                first[job.name] = first_run(job, parse_iso(last and last["started_at"]), now,
                                            timezone=self.config.timezone)
            save_jobs(db, [{"job": job.name, "spider": job.spider, "schedule": job.schedule,
                            "next_run": None if once or job.name not in first else iso(first[job.name])}
                           for job in self.jobs.values()])
        finally:
            db.close()
        return first

    def _handle_signals(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)

    def _publish(self, scheduler: BackgroundScheduler, published: dict) -> dict:
        """Write the jobs' next run times to ``schedule_jobs`` when they changed."""
        current = {job.id: iso(job.next_run_time) for job in scheduler.get_jobs()}
        if current != published:
            try:
                self._update_next_runs(current)
            except Exception:  # a locked or full database must not stop the schedule
                log.exception("could not record the next run times")
                return published
        return current

    def _update_next_runs(self, next_runs: dict[str, str | None]) -> None:
        db = open_db(self.db)
        try:
            set_next_runs(db, next_runs)
        finally:
            db.close()
