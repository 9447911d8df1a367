"""Faults that used to get through (issue 17): each test drives a public entry point
(``scrapy crawl``, ``releasewatch``) and checks the result in SQL or on disk."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crawler.localsite import mirror
from crawler.localsite.server import LocalSite, Page
from tests.conftest import FAST, ROOT, local_un_news, scrapy_crawl


def releasewatch(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from crawler.cli.main import main; main()", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def fast_settings(**settings: str) -> list[str]:
    return [part for key, value in {**FAST, **settings}.items() for part in ("-s", f"{key}={value}")]


# --- 13a: another application's database is refused, unchanged ----------------------
def test_another_applications_database_is_refused_and_left_byte_for_byte(tmp_path: Path, osce_site):
    path = tmp_path / "theirs.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE releases (id INTEGER PRIMARY KEY, version TEXT, notes TEXT)")
    conn.execute("INSERT INTO releases VALUES (1, '1.0', 'first')")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    proc = releasewatch("crawl", "osce", "--db", str(path), *fast_settings(OSCE_BASE_URL=osce_site.url))
    assert proc.returncode != 0
    assert f"{path} is not a releasewatch database" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["theirs.db"]  # no -wal, no cache


# --- 6 and 10: article URLs: only http(s), only the hosts named ------------------------
def crawl_errors(result) -> list[str]:
    return [r["error"] for r in result.rows("SELECT error FROM crawl_errors ORDER BY id")]


@pytest.mark.parametrize("url", ["file:///{story}", "data:text/html,<h1>x</h1><p>{words}</p>",
                                 "127.0.0.1:9/story", "javascript:alert(1)"])
def test_an_article_url_that_is_not_http_is_a_clear_failure_and_stores_nothing(tmp_path, db_path, url):
    story = tmp_path / "story.html"
    story.write_bytes(mirror.build_site([mirror.seed_copy()])[mirror.KOSOVO_PATH].data)
    url = url.format(story=str(story).lstrip("/"), words="word " * 200)
    result = scrapy_crawl("article", db_path, args={"url": url})
    assert "Traceback" not in result.output
    assert result.scalar("SELECT count(*) FROM releases") == 0
    run = result.rows("SELECT status, reason FROM crawl_runs")[0]
    assert run["status"] == "failed" and "not an http(s) URL" in run["reason"]
    assert crawl_errors(result) == [f"not an http(s) URL: {url!r}" + (
        f" (did you mean https://{url}?)" if url.startswith("127.") else "")]


def test_an_article_that_redirects_to_a_host_not_named_is_refused(db_path, mirror_site):
    target = LocalSite(mirror.build_site([mirror.seed_copy()])).start()
    try:
        port = target.url.rsplit(":", 1)[1]
        mirror_site.pages["/to-localhost"] = Page("", status=302, headers={
            "Location": f"http://localhost:{port}{mirror.KOSOVO_PATH}"})
        mirror_site.pages["/to-metadata"] = Page("", status=302, headers={
            "Location": "http://169.254.169.254/latest/meta-data/"})
        mirror_site.pages["/to-file"] = Page("", status=302, headers={"Location": "file:///etc/passwd"})
        result = scrapy_crawl("article", db_path, args={"url": ",".join(
            mirror_site.url + path for path in ("/to-localhost", "/to-metadata", "/to-file"))})
        assert target.hits() == []  # localhost (loopback, but not the host named) got nothing
    finally:
        target.stop()
    assert result.scalar("SELECT count(*) FROM releases") == 0
    assert sorted(crawl_errors(result)) == sorted([
        f"could not fetch: IgnoreRequest: redirected off the site to http://localhost:{port}{mirror.KOSOVO_PATH}",
        "could not fetch: IgnoreRequest: redirected off the site to http://169.254.169.254/latest/meta-data/",
        "could not fetch: IgnoreRequest: redirected to a non-http(s) URL file:///etc/passwd"])


def test_a_named_loopback_article_is_still_crawled(db_path, mirror_site):
    result = scrapy_crawl("article", db_path, args={"url": mirror_site.url + mirror.KOSOVO_PATH})
    assert result.rows("SELECT status FROM crawl_runs") == [{"status": "ok"}], result.output
    assert result.scalar("SELECT count(*) FROM releases") == 1


def test_a_javascript_link_in_the_feed_skips_that_item_not_the_feed(db_path):
    from crawler.localsite import un_news

    stories = un_news.generated_stories(4)
    with local_un_news(stories) as site:
        feed = site.pages[un_news.ALL_FEED]
        second = f"<link>{site.url}{stories[1].path}</link>"
        feed.body = feed.body.replace(second, "<link>javascript:alert(1)</link>", 1)
        result = scrapy_crawl("un_news", db_path, {"UN_NEWS_BASE_URL": site.url})
    assert "Traceback" not in result.output
    stored = {r["url"] for r in result.rows("SELECT url FROM releases")}
    assert stored == {site.url + s.path for i, s in enumerate(stories) if i != 1}
    assert crawl_errors(result) == ["feed item skipped: not an http(s) URL: 'javascript:alert(1)'"]
    assert result.rows("SELECT status FROM crawl_runs") == [{"status": "degraded"}]


def test_crawl_health_reports_a_spider_error_without_a_response():
    from scrapy.utils.test import get_crawler
    from twisted.python.failure import Failure

    from crawler.crawl.health import CrawlHealth
    from crawler.verdict import PROBLEMS

    crawler = get_crawler()
    try:
        raise ValueError("Missing scheme in request url: example.org")
    except ValueError:
        failure = Failure()
    CrawlHealth(crawler).spider_error(failure, None, None)
    assert crawler.stats.get_value(PROBLEMS)[0]["error"] == \
        "spider error: Missing scheme in request url: example.org"


# --- 5: the listing cap is a degraded run, not a silent stop -----------------------------
def test_hitting_the_listing_page_cap_degrades_the_run_with_the_reason(db_path):
    from crawler.localsite import osce

    with LocalSite(osce.build_site(osce.generated_releases(30), per_page=10)) as site:
        capped = scrapy_crawl("osce", db_path, {"OSCE_BASE_URL": site.url, "RELEASEWATCH_MAX_LISTING_PAGES": "2"})
        run = capped.rows("SELECT status, reason FROM crawl_runs")[0]
        assert run["status"] == "degraded", capped.output
        assert "listing cap reached: stopped after 2 pages (RELEASEWATCH_MAX_LISTING_PAGES)" in run["reason"]
        assert capped.scalar("SELECT count(*) FROM releases") == 20
        assert not site.hits("/press-releases?page=2")
        # the next run (no cap in the way) back-fills, and a known page under the cap is a plain stop
        assert scrapy_crawl("osce", db_path, {"OSCE_BASE_URL": site.url}).returncode == 0
        again = scrapy_crawl("osce", db_path, {"OSCE_BASE_URL": site.url, "RELEASEWATCH_MAX_LISTING_PAGES": "1"})
    assert again.scalar("SELECT count(*) FROM releases") == 30
    assert [r["status"] for r in again.rows("SELECT status FROM crawl_runs ORDER BY id")] == ["degraded", "ok", "ok"], \
        again.rows("SELECT id, status, reason, started_at, finished_at, scope FROM crawl_runs ORDER BY id")


# --- 2: two crawls of one spider share the HTTP cache file ---------------------------------
@pytest.mark.slow
def test_two_crawls_of_one_spider_at_once_both_complete(db_path):
    from crawler.localsite import osce
    from crawler.runner import crawl_command

    releases = osce.generated_releases(40)
    pages = osce.build_site(releases, per_page=10)
    for rel in releases:
        pages[rel.path].delay = 0.5  # the first crawl runs for seconds after the probe
    with LocalSite(pages) as site:
        settings = {**FAST, "OSCE_BASE_URL": site.url}
        first = subprocess.Popen(crawl_command("osce", db=str(db_path), settings=settings), cwd=ROOT,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        cache = Path(f"{db_path.resolve()}.httpcache") / "osce.sqlite"
        deadline = time.monotonic() + 90
        while first.poll() is None and time.monotonic() < deadline and not stored(db_path, 5):
            time.sleep(0.05)
        assert first.poll() is None, "the first crawl ended before the test could look at its cache"
        # the running crawl holds no write lock on the cache between its writes ...
        probe = sqlite3.connect(cache, timeout=1, isolation_level=None)
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        probe.close()
        # ... so a second crawl of the spider runs beside it
        second = scrapy_crawl("osce", db_path, {"OSCE_BASE_URL": site.url, },
                              args={"full": "1"})
        output = first.communicate(timeout=120)[0]
    assert first.returncode == 0 and second.returncode == 0, output + second.output
    assert "database is locked" not in output + second.output
    assert [r["status"] for r in second.rows("SELECT status FROM crawl_runs ORDER BY id")] == ["ok", "ok"]
    assert second.scalar("SELECT count(*) FROM releases") == 40


def stored(db_path: Path, count: int) -> bool:
    """Whether the database holds ``count`` releases (a plain reader)."""
    if not db_path.exists():
        return False
    conn = sqlite3.connect(db_path, timeout=5)
    try:
        return conn.execute("SELECT count(*) FROM releases").fetchone()[0] >= count
    except sqlite3.OperationalError:  # the table is not there yet
        return False
    finally:
        conn.close()


# --- 4: a run's counts are what it committed ---------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("batch", ["100", "1"])
def test_after_a_full_disk_the_runs_counts_are_what_was_stored(db_path, osce_site, batch):
    import resource

    from crawler.localsite import osce

    scrapy_crawl("osce", db_path, {"OSCE_BASE_URL": osce_site.url})
    before = sql_count(db_path)
    osce_site.pages.update(osce.build_site(osce.generated_releases(60) + osce.seed_releases(), per_page=10))
    room = db_path.stat().st_size + 64 * 1024  # no file may grow past this: a disk that fills up

    def full_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (room, room))

    command = [sys.executable, "-c", "from crawler.cli.main import main; main()", "crawl", "osce", "--db", str(db_path),
               *fast_settings(OSCE_BASE_URL=osce_site.url, RELEASEWATCH_BATCH_SIZE=batch)]
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, preexec_fn=full_disk)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    added = sql_count(db_path) - before
    assert added < 60  # it did run out of room
    conn = sqlite3.connect(db_path)
    (new, status), = conn.execute("SELECT items_new, status FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchall()
    conn.close()
    assert (status, new) == ("failed", added)


def sql_count(db_path: Path) -> int:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute("SELECT count(*) FROM releases").fetchone()[0]
    finally:
        conn.close()


# --- 12: a listing's parse grows linearly with its links ------------------------------------
def python_steps(fn) -> int:
    """How many Python lines ``fn()`` executes (a count, not a time)."""
    steps = 0

    def tracer(frame, event, arg):
        nonlocal steps
        if event == "line":
            steps += 1
        return tracer

    sys.settrace(tracer)
    try:
        fn()
    finally:
        sys.settrace(None)
    return steps


def test_a_listing_with_four_times_the_links_costs_about_four_times_the_steps():
    """Linear, not quadratic (20,000 links took 47 s). The C side (libxml2's XPath) is in
    the benchmark: ``python -m bench --only listing``."""
    from bench.listing import RELEASE, listing_html
    from spiders.extract import listing_rows, parse_html

    def steps(links: int) -> int:
        root = parse_html(listing_html(links, dated=False), "utf-8")
        rows = []
        count = python_steps(lambda: rows.extend(listing_rows(root, "https://www.osce.org/x", RELEASE)))
        assert len(rows) == links
        return count

    assert steps(1600) < 5 * steps(400)


# --- 9: charsets libxml2 does not know, and 7-bit ISO-2022-JP -------------------------------
CHARSETS = {  # label sent by the server -> (Python codec, a title in that script)
    "euc-jp": ("euc_jp", "\u65e5\u672c\u306e\u9078\u6319\u76e3\u8996\u56e3\u304c\u5831\u544a\u66f8\u3092\u767a\u8868"),
    "euc-kr": ("euc_kr", "\ud55c\uad6d \uc120\uac70 \uac10\uc2dc\ub2e8 \ubcf4\uace0\uc11c \ubc1c\ud45c"),
    "utf-16le": ("utf-16-le", "\u041c\u0438\u0441\u0441\u0438\u044f \u0432 \u0422\u043e\u043a\u0438\u043e"),
    "iso-2022-jp": ("iso2022_jp", "\u6771\u4eac\u3067\u8a18\u8005\u4f1a\u898b\u3092\u958b\u304f"),
}


def test_pages_in_charsets_libxml2_does_not_know_are_stored_with_the_right_text(db_path):
    from dataclasses import replace

    from crawler.localsite import osce

    releases = [replace(rel, title=title) for rel, (_, title) in
                zip(osce.generated_releases(len(CHARSETS)), CHARSETS.values(), strict=True)]
    pages = osce.build_site(releases)
    for rel, (label, (codec, _)) in zip(releases, CHARSETS.items(), strict=True):
        page = pages[rel.path]
        html = page.body.replace('<meta charset="utf-8">', f'<meta charset="{label}">')
        page.body = html.encode(codec, "xmlcharrefreplace")
        page.content_type = f"text/html; charset={label}"
    with LocalSite(pages) as site:
        result = scrapy_crawl("osce", db_path, {"OSCE_BASE_URL": site.url})
    assert "Traceback" not in result.output and "LookupError" not in result.output
    stored = {r["url"].removeprefix(site.url): r["title"] for r in result.rows("SELECT url, title FROM releases")}
    assert stored == {rel.path: rel.title for rel in releases}
    assert result.rows("SELECT status FROM crawl_runs") == [{"status": "ok"}], result.output


def test_a_pager_that_goes_round_stops_when_its_pages_repeat_and_the_run_is_ok(db_path):
    from crawler.localsite import osce

    pages = osce.build_site(osce.generated_releases(30), per_page=10)
    last = pages["/press-releases?page=2"].body
    nav = '<li class="pager__item pager__item--next"><a href="?page={n}" rel="next">Next ›</a></li></ul></nav>'
    for n in range(2, 60):  # past the end, the site answers with its last page, and a Next link
        pages[f"/press-releases?page={n}"] = Page(last.replace("</ul></nav>", nav.format(n=n + 1), 1))
    with LocalSite(pages) as site:
        result = scrapy_crawl("osce", db_path, {"OSCE_BASE_URL": site.url})
        assert site.hits("/press-releases?page=3") and not site.hits("/press-releases?page=4")
    assert result.scalar("SELECT count(*) FROM releases") == 30
    assert result.rows("SELECT status FROM crawl_runs") == [{"status": "ok"}], result.output
