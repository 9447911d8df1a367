"""Progress output: plain lines off a terminal, counters from the crawl, an ETA from the pager."""

import io
import re
import subprocess
import sys

import pytest

from crawler.localsite import osce
from crawler.localsite.server import LocalSite
from crawler.progress import ProgressView, read_new_lines, snapshot
from tests.conftest import FAST, ROOT

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def counters(**kw):
    return {"pages": 0, "new": 0, "changed": 0, "unchanged": 0, "errors": 0, "expected": 0, **kw}


def test_plain_mode_prints_one_line_per_change_and_a_summary():
    out, summary = io.StringIO(), io.StringIO()
    view = ProgressView("osce", stream=out, rich=False)
    with view:
        view.update(counters(pages=2, new=1, expected=10))
        view.update(counters(pages=2, new=1, expected=10))  # unchanged: no line
        view.update(counters(pages=12, new=8, errors=1, expected=10))  # robots.txt and menus count too
        view.update(counters(pages=12, new=8, errors=1, expected=10, done=True))
    view.summary("degraded", out=summary)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("osce: pages 2/10, new 1 · changed 0 · unchanged 0 · errors 0, eta ")
    assert lines[1] == "osce: pages 12/12, new 8 · changed 0 · unchanged 0 · errors 1"  # never 12/10
    assert lines[2] == "osce: pages 12/12, new 8 · changed 0 · unchanged 0 · errors 1"
    assert len(lines) == 3
    assert summary.getvalue() == "osce: degraded pages=12 new=8 changed=0 unchanged=0 errors=1\n"


def rich_render(**kw) -> tuple[str, list[str]]:
    """The bar while the crawl runs (ANSI codes removed), and the closing table as a
    terminal shows it."""
    out = io.StringIO()
    view = ProgressView("osce", stream=out, rich=True)
    with view:
        view.update(counters(**kw))
        view._progress.refresh()
        bar = [line for line in re.split(r"[\r\n]", ANSI.sub("", out.getvalue())) if "pages" in line][-1]

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    summary = Terminal()
    view.summary("ok", out=summary)
    return bar, ANSI.sub("", summary.getvalue()).splitlines()


def test_rich_mode_renders_a_bar_and_a_table():
    bar, table = rich_render(pages=5, new=3, changed=1, expected=10)
    assert bar.startswith("osce ━") and "5/10 pages" in bar and "new 3 chg 1 same 0 err 0" in bar
    full, _ = rich_render(pages=10, new=3, changed=1, expected=10)
    assert " 50%" in bar and "100%" in full  # the bar follows pages/expected
    assert "osce: ok" in table[0] and "unchanged" in "".join(table)
    assert any(row.split("│")[1:6] == ["     5 ", "   3 ", "       1 ", "         0 ", "      0 "] for row in table)


def test_rich_bar_fits_80_columns_and_ends_full_at_the_real_total(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    out = io.StringIO()
    view = ProgressView("un_press", stream=out, rich=True)
    with view:
        view.update(counters(pages=25, new=20, unchanged=3, errors=1, expected=33))
        view.update(counters(pages=36, new=30, unchanged=3, errors=1, expected=33))
    text = ANSI.sub("", out.getvalue())
    last = [line for line in re.split(r"[\r\n]", text) if "pages" in line][-1]
    assert "100%" in last and "36/36 pages" in last and "err 1" in last
    assert "0:00:0" in last  # the elapsed time is not cut off
    assert all(len(line) <= 80 for line in re.split(r"[\r\n]", text))
    assert "36/33" not in text


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
    assert lines[-1].startswith("osce: pages 36/36, new 30")  # the end: every page fetched, of as many
    for line in lines:  # never more pages than the total (robots.txt and the menu are pages too)
        done, _, total = line.split()[2].rstrip(",").partition("/")
        assert not total or int(done) <= int(total)
    # the summary is on stdout (`releasewatch crawl osce > log` keeps it), progress on stderr
    assert proc.stdout.splitlines() == ["osce: ok pages=36 new=30 changed=0 unchanged=0 errors=0",
                                        "run 1 osce: ok"]
