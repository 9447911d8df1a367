"""Screenshots of the dashboard and of a release diff, for the README (``make screenshots``).

``python -m crawler.web.screenshots [OUT_DIR]`` builds the offline demo database
(``crawler.localsite.demo.run_demo``) in a temporary directory, serves it with ``releasewatch serve``
on a free local port and photographs ``/-/dashboards/releasewatch`` and the diff page of
the most recently edited release with headless Chromium (Playwright driving the system
``/usr/bin/chromium``; no browser download). Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from crawler.web.serve import database_name
from storage import open_db

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ROOT = Path(__file__).resolve().parents[2]
OUT_DIR = ROOT / "docs" / "screenshots"
DASHBOARD = "-/dashboards/releasewatch"
CHART = ".dashboard-card-chart"
VIEWPORT = {"width": 1400, "height": 1000}


@dataclass
class Shots:
    """What the browser saw: files written, charts drawn, tables filled, console errors
    and dialogs (scraped text run as script would open one)."""

    files: list[Path] = field(default_factory=list)
    charts: int = 0
    tables: int = 0
    errors: list[str] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running(command: list[str], url: str, log: Path, timeout: float = 120) -> Iterator[subprocess.Popen]:
    """Run ``command`` until ``url`` answers; stop it with Ctrl-C (SIGINT) afterwards.

    Raises ``RuntimeError`` with the command's log when it exits or never answers.
    """
    with log.open("w") as out:
        proc = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{command} exited with {proc.returncode}:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(url + "-/versions.json", timeout=5):
                    break
            except (urllib.error.URLError, ConnectionError) as error:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{url} did not answer within {timeout}s:\n{log.read_text()}") from error
                time.sleep(0.3)
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextmanager
def serving(db_path: Path, port: int, log: Path, timeout: float = 120) -> Iterator[str]:
    """``releasewatch serve`` on ``db_path`` until the block ends; yields its base URL."""
    url = f"http://127.0.0.1:{port}/"
    command = [sys.executable, "-m", "crawler.cli.main", "serve", "--db", str(db_path), "--port", str(port)]
    with running(command, url, log, timeout):
        yield url


def last_edited_release(db_path: Path) -> int | None:
    """The release whose latest version is the newest edit (None if no release was edited)."""
    db = open_db(db_path)
    try:
        row = db.execute(
            "SELECT release_id FROM release_versions GROUP BY release_id HAVING count(*) > 1 "
            "ORDER BY max(seen_at) DESC, release_id DESC LIMIT 1").fetchone()
    finally:
        db.close()
    return row[0] if row else None


def shoot(url: str, db_path: Path, out_dir: Path, timeout_ms: int = 30_000) -> Shots:
    """Photograph the dashboard (once every chart is drawn) and the last edited release's diff."""
    from playwright.sync_api import sync_playwright

    out_dir.mkdir(parents=True, exist_ok=True)
    shots = Shots()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.on("console", lambda msg: msg.type == "error" and shots.errors.append(msg.text))
            page.on("pageerror", lambda error: shots.errors.append(str(error)))
            page.on("dialog", lambda dialog: (shots.errors.append(f"dialog: {dialog.message}"),
                                              dialog.dismiss()))
            page.goto(url + DASHBOARD)
            cards = page.locator(CHART).count()
            page.wait_for_function(
                f"[...document.querySelectorAll('{CHART}')].every(c => c.querySelector('canvas, svg, table'))",
                timeout=timeout_ms)
            page.wait_for_load_state("networkidle")
            shots.charts = page.locator(f"{CHART} canvas, {CHART} svg.marks").count()
            shots.tables = page.locator(f"{CHART} table").count()
            if shots.charts + shots.tables != cards:
                shots.errors.append(f"{cards} cards but {shots.charts} charts and {shots.tables} tables")
            shots.files.append(out_dir / "dashboard.png")
            page.screenshot(path=str(shots.files[-1]), full_page=True)
            release_id = last_edited_release(db_path)
            if release_id is not None:
                page.goto(f"{url}-/release-diff/{release_id}?database={database_name(db_path)}")
                page.wait_for_selector(".release-diff")
                shots.files.append(out_dir / "release-diff.png")
                page.screenshot(path=str(shots.files[-1]), full_page=True)
        finally:
            browser.close()
    return shots


def main(argv: list[str] | None = None) -> int:
    from crawler.localsite.demo import run_demo

    out_dir = Path((argv or sys.argv[1:] or [OUT_DIR])[0])
    with tempfile.TemporaryDirectory(prefix="releasewatch-screenshots-") as tmp:
        db_path = Path(tmp) / "demo.db"
        run_demo(str(db_path))
        with serving(db_path, free_port(), Path(tmp) / "serve.log") as url:
            shots = shoot(url, db_path, out_dir)
    for path in shots.files:
        print(f"wrote {path}")
    if shots.errors:
        print("browser console errors:\n" + "\n".join(shots.errors), file=sys.stderr)
        return 1
    return 0 if len(shots.files) == 2 else 1


if __name__ == "__main__":
    sys.exit(main())
