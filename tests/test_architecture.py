"""The architecture's rules (docs/architecture.md): what loads Scrapy, and one list of sources."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings

from crawler.cli.main import COMMANDS, main
from crawler.scheduler.config import parse_config
from storage import sources
from tests.conftest import ROOT

SCRAPY_FREE = ["crawler.scheduler.daemon", "crawler.distributed.ingest", "crawler.distributed.handoff",
               "crawler.runner", "crawler.localsite.demo", "crawler.web.serve", "storage",
               "crawler.cli.watch_preview", "crawler.scheduler.watches", "crawler.localsite.pressrooms.score"]
LOADED = "sorted({m.split('.')[0] for m in sys.modules} & {'scrapy', 'twisted', 'scrapy_redis'})"


def modules_loaded_by(code: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", f"import sys\n{code}\nprint({LOADED})"], cwd=ROOT,
                         capture_output=True, text=True, check=True, timeout=60)
    return json.loads(out.stdout.strip().splitlines()[-1].replace("'", '"'))


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_no_command_loads_scrapy_or_twisted(command):
    """Each command, resolved and asked for --help, in a fresh interpreter (crawl runs
    Scrapy in a child process, so even its own process stays free of it)."""
    code = ("from crawler.cli.main import main\n"
            f"try:\n    main([{command!r}, '--help'], standalone_mode=False)\nexcept SystemExit:\n    pass")
    assert modules_loaded_by(code) == []


@pytest.mark.parametrize("module", SCRAPY_FREE)
def test_daemons_and_ingester_load_no_scrapy_or_twisted(module):
    assert modules_loaded_by(f"import {module}") == []


def test_the_check_can_fail():
    assert modules_loaded_by("import crawler.crawl.health") == ["scrapy", "twisted"]


def test_every_command_is_registered_once_and_listed():
    result = CliRunner().invoke(main, ["--help"])
    listed = [line.split()[0] for line in result.output.split("Commands:")[1].splitlines() if line.strip()]
    assert listed == sorted(COMMANDS)


def test_spiders_are_the_registered_sources():
    spiders = SpiderLoader.from_settings(get_project_settings()).list()
    assert sorted(spiders) == sorted(sources.names())


def test_the_registry_feeds_the_cli_the_schedule_and_storage():
    crawl = main.get_command(None, "crawl")
    assert list(crawl.params[0].type.choices) == list(sources.names())
    assert [job.spider for job in parse_config({}).jobs] == [s.name for s in sources.SOURCES if s.every]
    from storage.releases import PRIMARY_SOURCES

    assert PRIMARY_SOURCES == {"osce", "un_news", "un_press"} == sources.primary_sources()


@pytest.mark.slow
def test_lint_imports_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")  # import-linter, a test dependency
    out = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
