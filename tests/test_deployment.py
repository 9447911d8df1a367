"""compose.yaml, the Dockerfile and the scrapyd packaging, checked without Docker: every
service runs a command this project has, with settings it knows."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tomllib

import pytest
import yaml
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings

from crawler import settings as project_settings
from crawler.cli.main import main
from tests.conftest import FAST, ROOT

COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]
OURS = sorted(name for name, service in SERVICES.items() if service.get("build"))


def command_of(service: dict) -> list[str]:
    command = service["command"]
    if command[:2] == ["sh", "-c"]:  # wait-then-exec wrappers: check what they exec
        command = shlex.split(command[2].split("exec ", 1)[1])
    return command


def test_compose_has_redis_workers_one_ingester_scheduler_and_datasette():
    assert set(SERVICES) == {"redis", "worker", "ingester", "scheduler", "datasette"}
    assert SERVICES["worker"]["deploy"]["replicas"] >= 2
    assert "replicas" not in SERVICES["ingester"].get("deploy", {})  # the one writer
    assert "--appendonly" in SERVICES["redis"]["command"]
    for name in OURS:
        assert SERVICES[name]["environment"]["REDIS_URL"] == "redis://redis:6379/0"
        assert SERVICES[name]["depends_on"]["redis"]["condition"] == "service_healthy"
    # Only processes that own the database mount it; workers never see it.
    assert "data:/data" not in SERVICES["worker"].get("volumes", [])



def test_compose_serves_datasette_with_the_projects_configuration():
    """The published port gets the project's metadata, plugins and templates (escaping,
    hidden internal tables): the service runs `releasewatch serve`, not bare `datasette`."""
    command = command_of(SERVICES["datasette"])
    assert command[:2] == ["releasewatch", "serve"], command
    assert "datasette" not in command[0]

@pytest.mark.parametrize("name", OURS)
def test_each_service_runs_a_command_that_exists(name):
    command = command_of(SERVICES[name])
    if command[0] == "releasewatch":
        assert main.get_command(None, command[1]) is not None, command  # loads the command's module
    elif command[0] == "scrapy":
        assert command[1] == "crawl"
        assert command[2] in SpiderLoader.from_settings(get_project_settings()).list()
        for name_value in command[command.index("-s") + 1::2] if "-s" in command else []:
            assert name_value.split("=")[0] in get_project_settings()
    else:
        from datasette.cli import cli

        assert command[:2] == ["datasette", "serve"] and "serve" in cli.commands


@pytest.mark.parametrize("name", OURS)
def test_environment_names_are_project_settings(name):
    for variable in SERVICES[name]["environment"]:
        assert hasattr(project_settings, variable), variable


def test_dockerfile_copies_what_the_package_needs():
    dockerfile = (ROOT / "Dockerfile").read_text()
    for source in re.findall(r"^COPY (.+) \S+$", dockerfile, re.MULTILINE):
        for path in source.split():
            assert (ROOT / path).exists(), path
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    for package in packages["include"]:
        assert f"COPY {package.rstrip('*')} " in dockerfile


def test_scrapyd_deploy_finds_the_settings():
    """scrapyd-deploy builds an egg with setup.py; Scrapyd finds settings by entry point."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["entry-points"]["scrapy"]["settings"] == "crawler.settings"
    assert (ROOT / "setup.py").exists()
    scrapy_cfg = (ROOT / "scrapy.cfg").read_text()
    assert "default = crawler.settings" in scrapy_cfg and "[deploy]" in scrapy_cfg


@pytest.mark.slow
def test_conditional_get_works_without_scrapy_cfg(tmp_path, osce_site):
    """Under Scrapyd a crawl has its settings module but no scrapy.cfg nearby: run
    ``scrapy crawl`` from an empty folder twice; the second run revalidates every release
    (304 to a conditional request) with the cache next to the database."""
    db_path = tmp_path / "rw.db"
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", "scrapy", "crawl", "osce", "-s", f"RELEASEWATCH_DB={db_path}",
               "-s", f"OSCE_BASE_URL={osce_site.url}", *[a for k, v in FAST.items() for a in ("-s", f"{k}={v}")]]
    workdir = tmp_path / "egg"
    workdir.mkdir()
    for _ in range(2):
        osce_site.log.clear()
        proc = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not (workdir / "scrapy.cfg").exists() and (tmp_path / "rw.db.httpcache").is_dir()
    releases = [h for h in osce_site.log if h.path.startswith(("/pc/", "/chairpersonship/", "/secretariat/"))]
    assert releases and all(h.status == 304 and h.conditional for h in releases)
