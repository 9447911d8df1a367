"""Adding a source the documented way (docs/adding-a-source.md): one spider file plus one
entry in storage/sources.py, in a copy of the project, and nothing else."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.localsite.server import LocalSite, Page
from tests.conftest import FAST, ROOT

pytestmark = pytest.mark.slow

TOY_SPIDER = '''
import scrapy

from crawler.crawl.items import ReleaseItem


class ToySpider(scrapy.Spider):
    name = "toy"

    def __init__(self, url=None, **kwargs):
        super().__init__(**kwargs)
        self.url = url

    async def start(self):
        yield scrapy.Request(self.url)

    def parse(self, response):
        yield ReleaseItem(source="toy", url=response.url, title=response.css("h1::text").get(),
                          body="\\n\\n".join(response.css("p::text").getall()), published="2026-01-02")
'''
ENTRY = '    Source("toy", "A toy source for the tests", every=3600.0),\n'
PAGE = "<html><body><h1>Toy statement</h1><p>The toy council met.</p><p>It agreed.</p></body></html>"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project with the toy source added as docs/adding-a-source.md says."""
    copy = tmp_path / "project"
    for package in ("crawler", "spiders", "storage"):
        shutil.copytree(ROOT / package, copy / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "scrapy.cfg", copy / "scrapy.cfg")
    (copy / "spiders" / "toy.py").write_text(TOY_SPIDER)
    registry = copy / "storage" / "sources.py"
    text = registry.read_text()
    anchor = text.index("\n)\n", text.index("SOURCES: tuple"))  # the end of the SOURCES tuple
    registry.write_text(text[:anchor + 1] + ENTRY + text[anchor + 1:])
    return copy


def run(project: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(project), "RELEASEWATCH_DB": str(project / "toy.db")}
    return subprocess.run([sys.executable, *args], cwd=project, env=env, capture_output=True, text=True,
                          timeout=180)


def test_a_toy_source_added_the_documented_way_is_crawled_scheduled_and_stored(project):
    facts = run(project, "-c", (
        "import json\n"
        "from crawler.scheduler.config import parse_config\n"
        "from storage.releases import PRIMARY_SOURCES\n"
        "from crawler.cli.main import main\n"
        "print(json.dumps({'jobs': [j.spider for j in parse_config({}).jobs],"
        " 'primary': sorted(PRIMARY_SOURCES),"
        " 'choices': list(main.get_command(None, 'crawl').params[0].type.choices)}))"))
    assert facts.returncode == 0, facts.stderr
    assert json.loads(facts.stdout) == {
        "jobs": ["osce", "un_news", "un_press", "toy"], "primary": ["osce", "toy", "un_news", "un_press"],
        "choices": ["osce", "un_news", "un_press", "article", "watch", "toy"]}
    assert "toy" in run(project, "-m", "scrapy", "list").stdout.split()

    with LocalSite({"/statement": Page(PAGE)}) as site:
        settings = [arg for name, value in FAST.items() for arg in ("-s", f"{name}={value}")]
        crawl = run(project, "-m", "crawler.cli", "crawl", "toy", "-a", f"url={site.url}/statement", *settings)
    assert crawl.returncode == 0, crawl.stdout + crawl.stderr
    db = sqlite3.connect(project / "toy.db")
    assert db.execute("SELECT source, title, body FROM releases").fetchall() == [
        ("toy", "Toy statement", "The toy council met.\n\nIt agreed.")]
    assert db.execute("SELECT spider, status FROM crawl_runs").fetchall() == [("toy", "ok")]
