"""Run one crawl as a subprocess (``python -m scrapy crawl``) and read back its verdict.

Twisted's reactor cannot restart, and a crashed or hung crawl must not take its caller
down, so the CLI and the scheduler daemon never run Scrapy in their own process. This
module imports no Scrapy.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from crawler.verdict import run_label
from storage import open_db
from storage.runs import close_run, start_run

PROJECT_ROOT = Path(__file__).resolve().parent.parent
EXIT_CODES = {"ok": 0, "degraded": 1, "failed": 2}
LOG_TAIL_LINES = 40
CLOSE_S = 10.0  # how long a crawl asked to stop (SIGINT/SIGTERM) may take to close


@dataclass
class CrawlOutcome:
    """How a crawl ended: its ``crawl_runs`` row id and status, and the process exit code.

    ``run_id`` is None when the database could not even record the run (read-only, full).
    """

    run_id: int | None
    status: str
    exit_code: int | None
    reason: str | None = None

    @property
    def cli_exit_code(self) -> int:
        """0 ok, 1 degraded, 2 failed: what ``releasewatch crawl`` exits with."""
        return EXIT_CODES.get(self.status, 2)

    @property
    def label(self) -> str:
        """``run 12``, or what to say when the database could not record the run."""
        return run_label(self.run_id)

    def as_json(self) -> dict:
        """The outcome as ``crawl --json`` prints it: ``exit_code`` is the command's own
        (0/1/2, as the process exits); the crawl subprocess's is ``process_exit_code``."""
        return {"run_id": self.run_id, "status": self.status, "exit_code": self.cli_exit_code,
                "process_exit_code": self.exit_code, "reason": self.reason}


def crawl_command(spider: str, *, db: str, settings: Mapping[str, object] | None = None,
                  args: Mapping[str, object] | None = None) -> list[str]:
    """The ``python -m scrapy crawl`` command line for a spider."""
    command = [sys.executable, "-m", "scrapy", "crawl", spider, "-s", f"RELEASEWATCH_DB={db}"]
    for key, value in (settings or {}).items():
        command += ["-s", f"{key}={value}"]
    for key, value in (args or {}).items():
        command += ["-a", f"{key}={value}"]
    return command


def run_crawl(
    spider: str, *, db: str, settings: Mapping[str, object] | None = None,
    args: Mapping[str, object] | None = None, timeout: float | None = None,
    trigger: str = "manual", stop_event=None, grace: float = 30.0,
    progress: Callable[[dict], None] | None = None,
    on_start: Callable[[int, int], None] | None = None, close_timeout: float = CLOSE_S,
) -> CrawlOutcome:
    """Run a crawl to the end (or its timeout) and return its recorded outcome.

    The ``crawl_runs`` row is created here first, so a crawl that never starts, crashes
    or hangs is still recorded (as ``failed``, with the log tail and exit code).
    ``stop_event`` (a ``threading.Event``) says the caller is shutting down: the crawl
    may finish within ``grace`` seconds, then it is asked to stop (SIGINT, so Scrapy
    closes and records the run) and killed if it has not within ``close_timeout`` more
    (as is a crawl past its ``timeout``, with SIGTERM).
    ``on_start(run_id, pid)`` is called once the crawl process runs. ``progress`` is called with the
    crawl's counters (``crawler.progress.COUNTERS``) about once a second.
    """
    db = str(Path(db).resolve())
    try:
        conn = open_db(db)
        try:
            run_id = start_run(conn, spider, trigger=trigger, pid=os.getpid())
        finally:
            conn.close()
    except sqlite3.Error as error:  # read-only, disk full: nothing to crawl into
        return CrawlOutcome(None, "failed", None, f"cannot write to the database {db}: {error}")
    env = {**os.environ, "RELEASEWATCH_RUN_ID": str(run_id), "RELEASEWATCH_TRIGGER": trigger,
           "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    command = crawl_command(spider, db=db, settings=settings, args=args)
    with tempfile.TemporaryFile(mode="w+b") as log, tempfile.TemporaryDirectory() as scratch:
        tick = None
        if progress is not None:
            env["RELEASEWATCH_PROGRESS_FILE"] = str(Path(scratch, "progress.jsonl"))
            tick = _progress_poller(env["RELEASEWATCH_PROGRESS_FILE"], progress)
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL,
            stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if on_start is not None:
            on_start(run_id, process.pid)
        exit_code, why = _wait(process, timeout, stop_event, grace, close_timeout, tick)
        if tick:
            tick()
        log.seek(0)
        tail = b"".join(log.readlines()[-LOG_TAIL_LINES:]).decode("utf-8", "replace")
    return _finish(db, run_id, exit_code, why, tail)


def _progress_poller(path: str, progress: Callable[[dict], None]) -> Callable[[], None]:
    from crawler.progress import read_new_lines

    offset = 0

    def tick() -> None:
        nonlocal offset
        lines, offset = read_new_lines(path, offset)
        for line in lines:
            progress(line)

    return tick


def _wait(process: subprocess.Popen, timeout: float | None, stop_event, grace: float,
          close_timeout: float, tick: Callable[[], None] | None = None) -> tuple[int | None, str | None]:
    deadline = time.monotonic() + timeout if timeout else None
    while True:
        try:
            return process.wait(timeout=0.5), None
        except subprocess.TimeoutExpired:
            if tick:
                tick()
        if deadline and time.monotonic() > deadline:
            _terminate(process, grace=close_timeout)
            return process.returncode, f"timed out after {timeout:g}s and was terminated"
        if stop_event is not None and stop_event.is_set():
            try:
                return process.wait(timeout=grace), None
            except subprocess.TimeoutExpired:
                _terminate(process, grace=close_timeout, sig=signal.SIGINT)
                return process.returncode, f"still running {grace:g}s after shutdown began; terminated"


def _terminate(process: subprocess.Popen, grace: float, sig: int = signal.SIGTERM) -> None:
    """Ask the crawl's process group to stop (Scrapy closes the spider), then kill it."""
    try:
        os.killpg(process.pid, sig)
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def _finish(db: str, run_id: int, exit_code: int | None, why: str | None, tail: str) -> CrawlOutcome:
    try:
        return _record_finish(db, run_id, exit_code, why, tail)
    except sqlite3.Error as error:  # the crawl's log tail says more; the run is failed regardless
        return CrawlOutcome(run_id, "failed", exit_code, f"cannot write to the database {db}: {error}")


def _record_finish(db: str, run_id: int, exit_code: int | None, why: str | None, tail: str) -> CrawlOutcome:
    conn = open_db(db)
    try:
        row = conn.execute("SELECT status, reason, finished_at FROM crawl_runs WHERE id = ?",
                           [run_id]).fetchone()
        status, reason, finished = row if row else ("running", None, None)
        # A crawl that closed its run as ok and was only slow to exit keeps its verdict.
        closed_ok = bool(finished) and status == "ok" and why is not None
        if not closed_ok and (why or status == "running" or exit_code not in (0, None)):
            # Terminated, crashed, or exited with an error: record why, with its last words.
            if status in ("running", "ok"):
                status, reason = "failed", None
            reason = why or reason or f"crawl process exited with code {exit_code}"
            if finished:  # the crawl closed its run (counts, problems): keep them
                conn.table("crawl_runs").update(run_id, {
                    "status": status, "reason": reason, "exit_code": exit_code, "log_tail": tail})
            else:
                close_run(conn, run_id, status=status, reason=reason,
                          finish_reason=why or "process exited", exit_code=exit_code, log_tail=tail)
        else:
            update = {"exit_code": exit_code}
            if status != "ok" or closed_ok:
                update["log_tail"] = tail
            conn.table("crawl_runs").update(run_id, update)
    finally:
        conn.close()
    return CrawlOutcome(run_id, status, exit_code, reason)
