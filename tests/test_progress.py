"""Progress output: plain lines off a terminal, counters from the crawl, an ETA from the pager."""

import io
import subprocess
import sys

import pytest

from crawler.localsite import osce
from crawler.localsite.server import LocalSite
from crawler.progress import ProgressView, read_new_lines, snapshot
from tests.conftest import FAST, ROOT


def counters(**kw):
    return {"pages": 0, "new": 0, "changed": 0, "unchanged": 0, "errors": 0, "expected": 0, **kw}


def test_plain_mode_prints_one_line_per_change_and_a_summary():
    out = io.StringIO()
    view = ProgressView("osce", stream=out, rich=False)
    with view:
        view.update(counters(pages=2, new=1, expected=10))
        view.update(counters(pages=2, new=1, expected=10))  # unchanged: no line
        view.update(counters(pages=10, new=8, errors=1, expected=10))
    view.summary("degraded")
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("osce: pages 2/10, new 1 · changed 0 · unchanged 0 · errors 0, eta ")
    assert lines[1] == "osce: pages 10/10, new 8 · changed 0 · unchanged 0 · errors 1"
    assert lines[2] == "osce: degraded pages=10 new=8 changed=0 unchanged=0 errors=1"
    assert len(lines) == 3


def rich_render(**kw) -> list[str]:
    out = io.StringIO()
    view = ProgressView("osce", stream=out, rich=True)
    with view:
        view.update(counters(**kw))
    view.summary("ok")
    return out.getvalue().splitlines()


def test_rich_mode_renders_a_bar_and_a_table():
    half = rich_render(pages=5, new=3, changed=1, expected=10)
    bar = half[0]
    assert bar.startswith("osce ━") and "5 pages" in bar and "new 3 · changed 1 · unchanged 0 · errors 0" in bar
    full = rich_render(pages=10, new=3, changed=1, expected=10)[0]
    assert full.count("━") > bar.count("━") > 0  # the bar follows pages/expected
    assert "osce: ok" in half[1]
    assert any(row.split("│")[1:6] == ["     5 ", "   3 ", "       1 ", "         0 ", "      0 "] for row in half)


def test_snapshot_and_partial_lines(tmp_path):
    assert snapshot({"response_received_count": 4, "releasewatch/items_new": 2})["new"] == 2
    path = tmp_path / "p.jsonl"
    path.write_text('{"pages": 1}\n{"pages": 2')
    lines, offset = read_new_lines(str(path), 0)
    assert lines == [{"pages": 1}]
    path.write_text('{"pages": 1}\n{"pages": 2}\n')
    assert read_new_lines(str(path), offset)[0] == [{"pages": 2}]


@pytest.mark.slow
def test_releasewatch_crawl_full_shows_progress_with_expected_pages(tmp_path):
    with LocalSite(osce.build_site(osce.generated_releases(30), per_page=10)) as site:
        settings = [x for k, v in {**FAST, "OSCE_BASE_URL": site.url}.items() for x in ("-s", f"{k}={v}")]
        proc = subprocess.run(
            [sys.executable, "-m", "crawler.cli.main", "crawl", "osce", "--full", "--db", str(tmp_path / "p.db"), *settings],
            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("osce: pages")]
    assert lines[-1].startswith("osce: pages 36/33, new 30")  # 3 listing pages x (10 + 1)
    assert "osce: ok pages=36 new=30 changed=0 unchanged=0 errors=0" in proc.stderr
