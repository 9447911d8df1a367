"""A newcomer's mistakes (issue 19): each gets one clear line and the right exit code,
never a traceback; every command does what it says."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli.main import main
from crawler.web.screenshots import free_port
from storage.sources import names
from tests.cli_data import build_cli_db
from tests.conftest import FAST, ROOT

RELEASEWATCH = str(Path(sys.executable).with_name("releasewatch"))


def releasewatch(*args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([RELEASEWATCH, *args], cwd=cwd or ROOT, capture_output=True, text=True,
                          timeout=timeout)


def one_line(text: str, expected: str) -> None:
    """``text`` (stderr) is exactly one line, and it says ``expected``."""
    lines = text.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], text
    assert "Traceback" not in text


def one_usage_error(text: str, expected: str) -> None:
    """A usage error (exit 2): click's usage hint, then one ``Error:`` line saying ``expected``."""
    errors = [line for line in text.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and expected in errors[0], text
    assert "Traceback" not in text


# --- 1. read-only locations ----------------------------------------------------------

@pytest.fixture
def read_only_dir(tmp_path):
    """A directory on a tmpfs remounted read-only, holding a database with releases and runs
    (root can write through chmod, not through a read-only mount)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "none", str(folder)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN): {mounted.stderr.strip()}")
    try:
        build_cli_db(folder / "rw.db")
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def test_reading_commands_work_in_a_read_only_directory(read_only_dir):
    db = str(read_only_dir / "rw.db")
    assert not Path(db + "-shm").exists()  # SQLite cannot create it there: opened immutable
    for args in (["changes"], ["status"], ["search", "monitoring"], ["show", "1"], ["diff", "1"],
                 ["prune", "--dry-run", "--keep-versions", "1"]):
        proc = releasewatch(*args, "--db", db)
        assert proc.returncode == 0, (args, proc.stderr)
        assert "Traceback" not in proc.stderr
    assert "Monitoring mission" in releasewatch("search", "monitoring", "--db", db).stdout
    assert "2 crawl run(s) recorded" in releasewatch("status", "--db", db).stdout


def test_writing_commands_refuse_a_read_only_directory_in_one_line(read_only_dir):
    db = str(read_only_dir / "rw.db")
    for args, code in ((["demo", "--no-serve"], 1), (["crawl", "osce"], 2), (["prune"], 1)):
        proc = releasewatch(*args, "--db", db)
        assert proc.returncode == code, (args, proc.stderr)  # crawl: 2, a failed crawl
        one_line(proc.stderr, f"Error: cannot write to the database {db}: Read-only file system in {read_only_dir}")
    fresh = releasewatch("demo", "--no-serve", "--db", str(read_only_dir / "new.db"))
    one_line(fresh.stderr, "Read-only file system")


def test_scrapy_crawl_refuses_a_read_only_database_in_one_line(read_only_dir):
    """Not three tracebacks and a run failed for a reason it does not say."""
    db = read_only_dir / "rw.db"
    proc = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "osce", "-s", f"RELEASEWATCH_DB={db}",
                           "-s", "OSCE_BASE_URL=http://127.0.0.1:9"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2
    one_line(proc.stderr, f"Error: cannot write to the database {db}: Read-only file system in {read_only_dir}")


# --- 2. local copies of the sites -----------------------------------------------------

def _first_lines(command: list[str], count: int) -> list[str]:
    """The first ``count`` lines ``command`` prints, then stop it."""
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        return [proc.stdout.readline().rstrip("\n") for _ in range(count)]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize("command", [[RELEASEWATCH, "localsite", "osce", "--port"],
                                     [sys.executable, "-m", "crawler.localsite.osce"]])
def test_localsite_serves_the_osce_copy_and_prints_the_setting(command):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    lines = _first_lines([*command, str(port)], 3)
    assert lines == [f"osce: {url}", f"  releasewatch crawl osce -s OSCE_BASE_URL={url} -s DOWNLOAD_DELAY=0",
                     "serving until Ctrl-C"]


def test_localsite_all_serves_every_site_and_a_busy_port_is_one_line():
    port = free_port()
    with socket.create_server(("127.0.0.1", port)):
        proc = releasewatch("localsite", "un_press", "--port", str(port))
    assert proc.returncode == 1
    one_line(proc.stderr, f"Error: cannot serve un_press on 127.0.0.1:{port}: Address already in use")
    proc = subprocess.Popen([RELEASEWATCH, "localsite", "--port", "0"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        lines = [proc.stdout.readline() for _ in range(6)]
        urls = {line.split(": ")[0]: line.split(": ")[1].strip() for line in lines if not line.startswith(" ")}
        assert set(urls) == {"osce", "un_news", "un_press"}
        with urllib.request.urlopen(urls["un_press"] + "/en/rss.xml", timeout=10) as answer:
            assert answer.status == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.slow
def test_crawl_local_site_summary_on_stdout_and_json_exit_code(tmp_path):
    db = str(tmp_path / "rw.db")
    proc = releasewatch("crawl", "un_press", "--local-site", "--db", db)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["un_press: ok pages=8 new=3 changed=0 unchanged=0 errors=0",
                                        "run 1 un_press: ok"]
    assert "--local-site: un_press served at http://127.0.0.1:" in proc.stderr
    again = releasewatch("crawl", "un_press", "--local-site", "--db", db, "--json")
    assert json.loads(again.stdout)["exit_code"] == again.returncode == 0
    article = releasewatch("crawl", "article", "--local-site", "--db", db)
    assert article.returncode == 2
    one_usage_error(article.stderr, "--local-site: there is no local copy of article")


# --- 3. unknown spider in the configuration --------------------------------------------

def test_unknown_spider_in_the_config_is_refused_when_loaded(tmp_path):
    config = tmp_path / "rw.toml"
    config.write_text('[scheduler]\ndb = "rw.db"\n[jobs.osce]\nspider = "osec"\nevery = "1m"\n')
    for command in ("schedule", "check"):
        proc = releasewatch(command, "--config", str(config), cwd=tmp_path, timeout=30)
        assert proc.returncode == 2, proc.stderr
        one_usage_error(proc.stderr, f"Error: {config}: [jobs.osce] spider: unknown spider 'osec' "
                        "(spiders: osce, un_news, un_press, article, watch)")
    assert not (tmp_path / "rw.db").exists()


def test_spider_names_match_scrapys_spider_loader():
    proc = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert sorted(proc.stdout.split()) == sorted(names())


# --- 4. exit codes ---------------------------------------------------------------------

@pytest.mark.slow
def test_a_failed_crawl_says_failed_everywhere_with_the_same_exit_code(tmp_path):
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens: the crawl fails
    settings = [x for k, v in {**FAST, "OSCE_BASE_URL": dead}.items() for x in ("-s", f"{k}={v}")]
    proc = releasewatch("crawl", "osce", "--db", str(tmp_path / "rw.db"), "--json", *settings)
    outcome = json.loads(proc.stdout)
    assert outcome["status"] == "failed" and outcome["exit_code"] == proc.returncode == 2, proc.stdout
    assert outcome["run_id"] == 1 and outcome["process_exit_code"] is not None
    config = tmp_path / "rw.toml"
    config.write_text(f'[scheduler]\ndb = "rw.db"\n[jobs.osce]\nevery = "1h"\n'
                      f'settings = {{ OSCE_BASE_URL = "{dead}", RETRY_TIMES = "0", LOG_LEVEL = "INFO" }}\n')
    once = releasewatch("schedule", "--config", str(config), "--once", cwd=tmp_path)
    assert once.returncode == 2, once.stderr
    # the one summary line (crawler.verdict.summary_line), with the command's exit code
    assert re.search(r"job osce: run 2 osce: FAILED pages=0 .* \([\d.]+s, exit 2\)", once.stderr), once.stderr
    assert "run None" not in once.stderr


def test_crawl_into_an_unwritable_database_is_not_run_none(tmp_path):
    from crawler.runner import CrawlOutcome

    outcome = CrawlOutcome(None, "failed", None, "cannot write to the database")
    assert outcome.label == "run not recorded"
    assert outcome.as_json() == {"run_id": None, "status": "failed", "exit_code": 2,
                                 "process_exit_code": None, "reason": "cannot write to the database"}


# --- 5. demo port ----------------------------------------------------------------------

def test_demo_checks_its_port_before_crawling(tmp_path):
    port = free_port()
    started = time.monotonic()
    with socket.create_server(("127.0.0.1", port)):
        proc = releasewatch("demo", "--db", str(tmp_path / "demo.db"), "--port", str(port))
    assert proc.returncode == 1
    one_line(proc.stderr, f"Error: cannot listen on 127.0.0.1:{port}: Address already in use")
    assert proc.stdout == "" and not (tmp_path / "demo.db").exists()
    assert time.monotonic() - started < 20  # no crawl ran (the demo's crawls take longer)
    assert "--host TEXT" in releasewatch("demo", "--help").stdout


# --- 6. silent mismatches --------------------------------------------------------------

def test_changes_list_typo_names_the_lists(tmp_path):
    db = str(build_cli_db(tmp_path / "rw.db"))
    result = CliRunner().invoke(main, ["changes", "--list", "participating_state", "--db", db])
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        "Error: Invalid value for --list: no list 'participating_state' (lists: participating_states)")


def test_mistyped_db_path_creates_no_directories(tmp_path):
    for args, code in ((["crawl", "osce"], 2), (["demo", "--no-serve"], 1), (["schedule", "--once"], 1)):
        proc = releasewatch(*args, "--db", str(tmp_path / "dta" / "rw.db"), cwd=tmp_path)
        assert proc.returncode == code
        one_line(proc.stderr, f"Error: directory {tmp_path / 'dta'} does not exist (check --db ")
    assert list(tmp_path.iterdir()) == []


# --- 8. scrapy crawl with an unknown spider --------------------------------------------

def test_scrapy_crawl_unknown_spider_is_one_line():
    proc = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "osec"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == "Error: unknown spider 'osec' (spiders: article, osce, un_news, un_press, watch)\n"


# --- 9. packaging ----------------------------------------------------------------------

def test_pyproject_license_is_an_spdx_string_setuptools_accepts():
    import warnings

    from setuptools.config.pyprojecttoml import apply_configuration
    from setuptools.dist import Distribution

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "setuptools>=77" in project["build-system"]["requires"]  # SPDX strings need 77
    with warnings.catch_warnings(record=True) as caught:  # the build's "deprecated" box is a warning
        warnings.simplefilter("always")
        dist = apply_configuration(Distribution(), ROOT / "pyproject.toml")
    assert dist.metadata.license_expression == "Apache-2.0"
    assert not [w for w in caught if "license" in str(w.message).lower()]
