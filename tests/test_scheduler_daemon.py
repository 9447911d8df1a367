"""``releasewatch schedule`` end to end: real daemon processes on second-scale schedules
against local OSCE sites, checked through ``crawl_runs``, ``schedule_jobs``, the exit
code and the log."""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli.main import main
from crawler.localsite import osce
from crawler.localsite.server import LocalSite
from storage import open_db
from tests.conftest import FAST

pytestmark = pytest.mark.slow
RELEASE_PATHS = [r.path for r in osce.seed_releases()]
WAIT_S = 60  # an upper bound for waiting on the daemon, never a speed assertion


def _toml(value) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return json.dumps(str(value))


def write_config(tmp_path: Path, jobs: dict[str, dict], *, notify: dict | None = None, **scheduler) -> Path:
    """A releasewatch.toml with fast local settings and second-scale jobs (no jitter)."""
    scheduler = {"db": str(tmp_path / "rw.db"), "grace": "30s", "close_timeout": "2s", **scheduler}
    text = ["[scheduler]", *(f"{k} = {_toml(v)}" for k, v in scheduler.items()),
            "[settings]", *(f"{k} = {_toml(v)}" for k, v in FAST.items())]
    for name, job in jobs.items():
        text += [f"[jobs.{name}]", *(f"{k} = {_toml(v)}" for k, v in {"jitter": 0, **job}.items())]
    if notify:
        text += ["[notify]", *(f"{k} = {_toml(v)}" for k, v in notify.items())]
    path = tmp_path / "releasewatch.toml"
    path.write_text("\n".join(text) + "\n")
    return path


def releasewatch(*args: str, cwd: Path, timeout: float = WAIT_S) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from crawler.cli.main import main; main()", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=timeout)


class Daemon:
    """``releasewatch schedule`` in the background, logging to a file."""

    def __init__(self, tmp_path: Path, config: Path, *args: str, name: str = "daemon"):
        self.db = tmp_path / "rw.db"
        self.log_path = tmp_path / f"{name}.log"
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", "from crawler.cli.main import main; main()", "schedule", "--config", str(config), *args],
                cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)

    def log(self) -> str:
        return self.log_path.read_text()

    def rows(self, sql: str, params=()) -> list[dict]:
        if not self.db.exists():
            return []
        db = open_db(self.db, create=False)  # the daemon creates and migrates it
        try:
            return list(db.query(sql, params))
        finally:
            db.close()

    def runs(self, job: str) -> list[dict]:
        return self.rows("SELECT * FROM crawl_runs WHERE trigger = ? ORDER BY id", [f"schedule:{job}"])

    def wait_for(self, what: str, condition) -> None:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            try:
                if condition():
                    return
            except sqlite3.OperationalError:  # the daemon is still creating the database
                pass
            if self.process.poll() is not None:
                pytest.fail(f"daemon exited ({self.process.returncode}) before {what}:\n{self.log()}")
            time.sleep(0.2)
        pytest.fail(f"timed out waiting for {what}:\n{self.log()}")

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=WAIT_S)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def daemons():
    started: list[Daemon] = []

    def start(*args, **kwargs) -> Daemon:
        started.append(Daemon(*args, **kwargs))
        return started[-1]

    yield start
    for daemon in started:
        daemon.kill()


def slow_site(delay: float, paths) -> LocalSite:
    """The seed OSCE site whose pages at ``paths`` take ``delay`` seconds to answer."""
    pages = osce.build_site(osce.seed_releases())
    for path in paths:
        pages[path].delay = delay
    return LocalSite(pages)


def test_daemon_runs_every_job_and_survives_crashing_and_hanging_crawls(tmp_path, osce_site, daemons):
    with slow_site(120, ["/press-releases", "/press-releases?page=0"]) as hanging:
        config = write_config(tmp_path, {
            "osce": {"every": "2s", "settings": {"OSCE_BASE_URL": osce_site.url}},
            # a crawl that crashes (unknown spiders are refused when the config loads)
            "broken": {"spider": "osce", "every": "2s", "settings": {"CONCURRENT_REQUESTS": "not-a-number"}},
            "hung": {"spider": "osce", "every": "2s", "timeout": "4s",
                     "settings": {"OSCE_BASE_URL": hanging.url, "DOWNLOAD_TIMEOUT": 300}},
        }, log_max_bytes=3000, log_backups=2, grace="1s", close_timeout="1s")
        daemon = daemons(tmp_path, config, "--log-file", str(tmp_path / "rw.log"))

        def done(job, status):
            return [r for r in daemon.runs(job) if r["status"] == status]

        daemon.wait_for("two ok osce runs, two crashes, a timeout and the hung job's next run", lambda: (
            len(done("osce", "ok")) >= 2 and len(done("broken", "failed")) >= 2
            and any("timed out" in (r["reason"] or "") for r in done("hung", "failed"))
            and len(daemon.runs("hung")) >= 2))
        assert daemon.stop() == 0
    log = daemon.log()
    osce_runs = done("osce", "ok")
    assert (osce_runs[0]["items_new"], osce_runs[1]["items_new"], osce_runs[1]["items_unchanged"]) == (3, 0, 3)
    crash = done("broken", "failed")[0]
    assert crash["exit_code"] != 0 and "not-a-number" in crash["log_tail"]
    assert crash["reason"] == f"crawl process exited with code {crash['exit_code']}"
    hung = daemon.runs("hung")[0]
    assert (hung["status"], hung["reason"]) == ("failed", "timed out after 4s and was terminated")
    assert hung["exit_code"] in (-signal.SIGTERM, -signal.SIGKILL)  # SIGKILL if it did not close within 1s
    assert daemon.rows("SELECT count(*) AS n FROM crawl_runs WHERE status = 'running'") == [{"n": 0}]
    assert daemon.rows("SELECT count(*) AS n FROM releases") == [{"n": 3}]
    assert f"job osce: run {osce_runs[0]['id']} osce: OK pages=" in log and "new=3" in log
    assert f"job broken: run {crash['id']} osce: FAILED pages=0" in log and "scheduler stopped" in log
    assert {r["job"]: r["next_run"] for r in daemon.rows("SELECT * FROM schedule_jobs")} == {
        "osce": None, "broken": None, "hung": None}  # stopped: nothing scheduled
    rotated = sorted(p.name for p in tmp_path.glob("rw.log*"))
    assert rotated[:2] == ["rw.log", "rw.log.1"] and len(rotated) <= 3
    assert "scheduler started" in (tmp_path / rotated[-1]).read_text()


def test_a_slow_crawl_never_overlaps_and_sigterm_lets_it_finish(tmp_path, daemons):
    with slow_site(1.5, RELEASE_PATHS) as site:
        config = write_config(tmp_path, {"slow": {"spider": "osce", "every": "1s",
                                                  "settings": {"OSCE_BASE_URL": site.url}}})
        daemon = daemons(tmp_path, config)
        daemon.wait_for("a finished run and a second one running", lambda: (
            [r["status"] for r in daemon.runs("slow")] == ["ok", "running"]))
        time.sleep(0.5)
        assert daemon.stop() == 0
    runs = daemon.runs("slow")
    assert [r["status"] for r in runs] == ["ok", "ok"]  # the second finished: not killed
    for before, after in zip(runs, runs[1:], strict=False):
        assert after["started_at"] >= before["finished_at"]
    log = daemon.log()
    assert "maximum number of running instances reached" in log  # fires came while it ran
    assert "SIGTERM received" in log and "waiting up to 30s for slow" in log


def test_sigterm_stops_a_crawl_that_outlives_the_grace_period(tmp_path, daemons):
    with slow_site(120, ["/press-releases", "/press-releases?page=0"]) as hanging:
        config = write_config(tmp_path, {"hung": {"spider": "osce", "every": "1h", "timeout": "5m", "settings": {
            "OSCE_BASE_URL": hanging.url, "DOWNLOAD_TIMEOUT": 300}}}, grace="1s", close_timeout="1s")
        daemon = daemons(tmp_path, config)
        # (the site logs a request once answered: robots.txt comes right before the listing)
        daemon.wait_for("the crawl to request the listing", lambda: hanging.hits("/robots.txt"))
        time.sleep(1)
        assert daemon.stop() == 0
    run = daemon.runs("hung")[0]
    assert (run["status"], run["reason"]) == ("failed", "still running 1s after shutdown began; terminated")


def test_a_second_daemon_is_refused_and_a_restart_keeps_the_schedule(tmp_path, osce_site, daemons):
    config = write_config(tmp_path, {"osce": {"every": "1h", "settings": {"OSCE_BASE_URL": osce_site.url}}})
    first = daemons(tmp_path, config)
    first.wait_for("the first run", lambda: [r["status"] for r in first.runs("osce")] == ["ok"])
    second = releasewatch("schedule", "--config", str(config), "--once", cwd=tmp_path)
    assert second.returncode == 3
    assert f"another releasewatch scheduler (pid {first.process.pid}) is already running on {tmp_path / 'rw.db'}" \
        in second.stderr
    status = json.loads(CliRunner().invoke(main, ["status", "--db", str(first.db), "--json"]).output)
    assert status["scheduler"] == {"running": True, "pid": first.process.pid}
    (job,) = status["jobs"]
    started = datetime.fromisoformat(job["last_run"]["started_at"].replace("Z", "+00:00"))
    assert (job["job"], job["schedule"], job["last_run"]["status"]) == ("osce", "every 1h", "ok")
    # (started_at is when the crawl process opened the spider, a few seconds after the fire)
    assert abs(datetime.fromisoformat(job["next_run"].replace("Z", "+00:00")) - started - timedelta(hours=1)) \
        < timedelta(seconds=30)
    assert first.stop() == 0

    restarted = daemons(tmp_path, config, name="restarted")
    restarted.wait_for("the restarted daemon's schedule", lambda: "scheduler started" in restarted.log())
    next_run = restarted.rows("SELECT next_run FROM schedule_jobs")[0]["next_run"]
    assert abs(datetime.fromisoformat(next_run.replace("Z", "+00:00")) - started - timedelta(hours=1)) \
        < timedelta(seconds=2)  # not at once: an hour after the last run
    assert restarted.stop() == 0
    assert len(restarted.runs("osce")) == 1


class Receiver:
    """A webhook that records the JSON bodies POSTed to it."""

    def __init__(self):
        self.posts: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                receiver.posts.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"json://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_once_runs_every_job_notifies_and_exits_with_the_worst_status(tmp_path, osce_site):
    receiver = Receiver()
    try:
        jobs = {"osce": {"every": "1h", "settings": {"OSCE_BASE_URL": osce_site.url}},
                "broken": {"spider": "osce", "every": "1h", "settings": {"CONCURRENT_REQUESTS": "not-a-number"}}}
        # The first URL refuses connections: a failing notifier must not stop anything.
        config = write_config(tmp_path, jobs, notify={"urls": ["json://127.0.0.1:9/", receiver.url]})
        first = releasewatch("schedule", "--config", str(config), "--once", cwd=tmp_path)
        assert first.returncode == 2, first.stderr
        posts = sorted(receiver.posts, key=lambda p: p["title"])  # the jobs ran in parallel
        assert re.fullmatch(r"releasewatch broken: run \d FAILED", posts[0]["title"])
        assert re.fullmatch(r"releasewatch osce: run \d ok - 3 new release\(s\)", posts[1]["title"])
        assert posts[0]["type"] == "failure" and "crawl process exited with code" in posts[0]["message"]
        assert "OSCE plays indispensable role in Kosovo" in posts[1]["message"]
        assert "notification for run" in first.stderr  # the refused URL was logged
    finally:
        receiver.close()
    db = open_db(tmp_path / "rw.db")
    try:
        runs = sorted((r["trigger"], r["status"]) for r in db.query("SELECT * FROM crawl_runs"))
        next_runs = [r["next_run"] for r in db.query("SELECT next_run FROM schedule_jobs")]
    finally:
        db.close()
    assert runs == [("schedule:broken", "failed"), ("schedule:osce", "ok")] and next_runs == [None, None]
