"""Crawl benchmarks on a local copy of osce.org: throughput, incremental runs, peak RSS.

The sites hold 1,000 and 4,000 formulaic releases (``bench.corpus.formulaic_site``: one
Permanent Council template, each release with its own title, date, names and numbers),
what archives are full of and what near-duplicate search finds hardest; two rounds on
each. The cost of a page must not grow with the archive: the ratio to bare Scrapy at
4,000 is no lower than at 1,000.

Both spiders crawl the same site on the same local server in the same run, alternately:

- ``bare``: ``bench/bare_spider.py``, stock Scrapy following the same links;
- ``ours``: ``scrapy crawl osce`` with everything (extraction, dedupe, storage, HTTP
  cache for conditional GET, crawl health), into a fresh database.

Both get 16 concurrent requests (per domain too) with ``DOWNLOAD_DELAY=0``, AutoThrottle
off and robots.txt obeyed. Throughput is pages/s over Scrapy's own ``elapsed_time_seconds``
(process start-up is not crawling; the wait for the writer process to commit the last batch
is). CPU per page is reported too, the crawl's and its writer process's added. The server
runs in this process, so this process's CPU time during a crawl is the server's: reported
as its share of one core, to show the server is not the bottleneck.

Then, on the database of the last full crawl, two incremental runs: nothing changed,
and one new release; the server's request log says what was downloaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from bench import corpus
from bench.report import Report, check, sizes_from_env
from bench.timing import median
from crawler import settings as project
from crawler.localsite import osce
from crawler.localsite.server import Hit, LocalSite, Page

ROOT = Path(__file__).resolve().parent.parent
BARE_SPIDER = Path(__file__).with_name("bare_spider.py")
RATIO_GOAL = 0.8
CRAWL_RSS_GOAL_MB = 200
CONCURRENCY = 16  # a back-fill's setting: the local server answers at once


def shared_settings() -> dict[str, object]:
    """What both spiders run with: 16 concurrent requests, no delay, robots.txt on."""
    return {
        "CONCURRENT_REQUESTS": CONCURRENCY, "CONCURRENT_REQUESTS_PER_DOMAIN": CONCURRENCY,
        "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "ROBOTSTXT_OBEY": True,
        "USER_AGENT": project.USER_AGENT, "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False, "TWISTED_REACTOR": project.TWISTED_REACTOR,
        "LOG_LEVEL": "INFO", "STATS_CLASS": "bench.stats.JsonFileStatsCollector",
    }


def site_pages(releases: list[osce.Release]) -> dict[str, Page]:
    """The site, pre-rendered to bytes so the server only copies them out."""
    pages = osce.build_site(releases, per_page=20)
    for page in pages.values():
        page.body = page.data
    return pages


@dataclass
class Run:
    """One crawl subprocess: exit code, Scrapy stats, peak RSS, wall time, server CPU."""

    label: str
    returncode: int
    stats: dict
    maxrss_mb: float
    wall_s: float
    server_cpu_s: float
    log: Path
    hits: list[Hit] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return int(self.stats.get("response_received_count", 0))

    @property
    def pages_per_s(self) -> float:
        elapsed = float(self.stats.get("elapsed_time_seconds") or self.wall_s)
        return self.pages / elapsed if elapsed else 0.0

    @property
    def cpu_s(self) -> float:
        """The crawl's CPU and its writer process's (``storage/writer.py``)."""
        return float(self.stats.get("bench/cpu_s") or 0.0) + float(self.stats.get("releasewatch/writer/cpu_s") or 0.0)

    @property
    def pages_per_cpu_s(self) -> float:
        return self.pages / self.cpu_s if self.cpu_s else 0.0

    @property
    def server_share(self) -> float:
        elapsed = float(self.stats.get("elapsed_time_seconds") or self.wall_s)
        return self.server_cpu_s / elapsed if elapsed else 0.0

    def summary(self) -> dict:
        return {"label": self.label, "returncode": self.returncode, "pages": self.pages,
                "elapsed_s": self.stats.get("elapsed_time_seconds"), "pages_per_s": round(self.pages_per_s, 1),
                "cpu_s": round(self.cpu_s, 2), "pages_per_cpu_s": round(self.pages_per_cpu_s, 1),
                "maxrss_mb": round(self.maxrss_mb, 1), "server_cpu_share": round(self.server_share, 2),
                "items": self.stats.get("item_scraped_count", 0)}


def run_scrapy(label: str, command: list[str], *, cwd: Path, workdir: Path, site: LocalSite,
               env: dict[str, str] | None = None) -> Run:
    """Run one crawl to its end and measure it (peak RSS: the crawl's own ``VmHWM``)."""
    stats_file = workdir / f"{label}.stats.json"
    log_path = workdir / f"{label}.log"
    command = [*command, "-s", f"BENCH_STATS_FILE={stats_file}"]
    first_hit = len(site.log)
    wall, cpu = time.perf_counter(), time.process_time()
    with log_path.open("wb") as log:
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if not stats_file.exists():
        tail = log_path.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"{label}: crawl wrote no stats (exit {proc.returncode}):\n{tail}")
    stats = json.loads(stats_file.read_text())
    # The crawl's own VmHWM (ru_maxrss would be this larger process's size at the fork), plus
    # its writer process's: the two peaks added, an upper bound of what they held at once.
    rss = (stats.get("bench/peak_rss_mb") or usage.ru_maxrss / 1024) + (stats.get("releasewatch/writer/peak_rss_mb") or 0)
    return Run(label, proc.returncode, stats, rss, wall, cpu, log_path, list(site.log[first_hit:]))


def _setting_args(settings: dict[str, object]) -> list[str]:
    return [arg for key, value in settings.items() for arg in ("-s", f"{key}={value}")]


def crawl_ours(label: str, site: LocalSite, db: Path, workdir: Path) -> Run:
    command = [sys.executable, "-m", "scrapy", "crawl", "osce", "-s", f"RELEASEWATCH_DB={db}",
               "-s", f"OSCE_BASE_URL={site.url}", *_setting_args(shared_settings())]
    return run_scrapy(label, command, cwd=ROOT, workdir=workdir, site=site, env=_env())


def crawl_bare(label: str, site: LocalSite, workdir: Path, extra: dict[str, object] | None = None) -> Run:
    command = [sys.executable, "-m", "scrapy", "runspider", str(BARE_SPIDER), "-a", f"base={site.url}",
               *_setting_args({**shared_settings(), **(extra or {})})]
    # Outside the project directory: stock Scrapy, none of the project's components.
    env = _env()
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    return run_scrapy(label, command, cwd=workdir, workdir=workdir, site=site, env=env)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def traffic(hits: list[Hit]) -> dict[str, object]:
    """Requests and bytes of a run by kind of page, and how many bodies were sent in full."""
    kinds: dict[str, dict[str, int]] = {}
    for hit in hits:
        kind = ("listing" if hit.path.startswith("/press-releases") else
                "release" if hit.path.startswith("/pc/") else "other")
        entry = kinds.setdefault(kind, {"requests": 0, "full": 0, "not_modified": 0, "bytes": 0})
        entry["requests"] += 1
        entry["bytes"] += hit.size
        entry["full" if hit.status == 200 else "not_modified" if hit.status == 304 else "other"] = (
            entry.get("full" if hit.status == 200 else "not_modified" if hit.status == 304 else "other", 0) + 1)
    return {"requests": len(hits), "bytes": sum(h.size for h in hits), "by_kind": kinds}


def _count(hits: list[Hit], kind: str, status: int) -> int:
    prefix = "/press-releases" if kind == "listing" else "/pc/"
    return sum(1 for h in hits if h.path.startswith(prefix) and h.status == status)


def _listing_pages_until_known(db: Path, releases: list[osce.Release]) -> int:
    """Listing pages from the first to the first whose releases are all known (inclusive)."""
    from urllib.parse import urlsplit

    from storage import known_urls, open_db

    conn = open_db(db)
    try:
        known = {urlsplit(url).path for url in known_urls(conn)}
    finally:
        conn.close()
    for number, start in enumerate(range(0, len(releases), 20)):
        if all(r.path in known for r in releases[start:start + 20]):
            return number + 1
    return (len(releases) + 19) // 20


def crawl_sizes(smoke: bool) -> tuple[int, ...]:
    """1,000 and 4,000 releases; ``RELEASEWATCH_BENCH_CRAWL_SIZES=1000,100000`` (comma-separated)
    crawls other sites (two rounds each up to 4,000, one beyond; the last size gets the
    incremental runs and the RSS)."""
    return sizes_from_env("RELEASEWATCH_BENCH_CRAWL_SIZES", (1000, 4000), (60,), smoke)


def run(report: Report, smoke: bool) -> None:
    sizes = crawl_sizes(smoke)
    ratios: dict[int, float] = {}
    report.details["crawl"] = {"settings": shared_settings(), "sites": []}
    for size in sizes:
        releases = corpus.formulaic_site(size)
        with tempfile.TemporaryDirectory(prefix="releasewatch-bench-") as tmp, \
                LocalSite(site_pages(releases)) as site:
            workdir = Path(tmp)
            rounds = 1 if smoke or size > 4000 else 2  # wall clock: a round alone is noisy
            bare_runs, our_runs = _rounds(site, workdir, rounds, smoke)
            ratios[size] = _throughput(report, size, bare_runs, our_runs)
            _same_concurrent_items(report, size, site, workdir, our_runs)
            if size == sizes[-1]:
                _incremental(report, site, releases, workdir / f"ours{rounds - 1}.db", workdir, smoke)
                rss = max(r.maxrss_mb for r in our_runs)
                report.add(check("memory", f"peak RSS of a {size:,}-release crawl (crawl + writer)", rss, "MB",
                                 f"< {CRAWL_RSS_GOAL_MB} MB", lambda v: v < CRAWL_RSS_GOAL_MB,
                                 note=f"bare Scrapy {max(r.maxrss_mb for r in bare_runs):.0f} MB"))
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        report.add(check("crawl", f"throughput ratio at {large:,} / at {small:,} releases",
                         ratios[large] / ratios[small], "x", ">= 1x (no slower per page)",
                         lambda v: v >= 1.0))


def _rounds(site: LocalSite, workdir: Path, rounds: int, smoke: bool) -> tuple[list[Run], list[Run]]:
    """Alternating crawls of the site by bare Scrapy and by ``scrapy crawl osce``."""
    bare_runs, our_runs = [], []
    for number in range(rounds):
        db = workdir / f"ours{number}.db"
        if smoke:  # both at once: the smoke run checks that they work, not their speed
            with ThreadPoolExecutor(2) as pool:
                bare = pool.submit(crawl_bare, f"bare{number}", site, workdir)
                ours = pool.submit(crawl_ours, f"ours{number}", site, db, workdir)
                bare_runs.append(bare.result())
                our_runs.append(ours.result())
            continue
        bare_runs.append(crawl_bare(f"bare{number}", site, workdir))
        our_runs.append(crawl_ours(f"ours{number}", site, db, workdir))
    for run_ in bare_runs + our_runs:
        if run_.returncode != 0:
            raise RuntimeError(f"{run_.label} exited {run_.returncode}: see {run_.log}")
    return bare_runs, our_runs


def _same_concurrent_items(report: Report, size: int, site: LocalSite, workdir: Path, our_runs: list[Run]) -> None:
    """Ours against bare Scrapy given the project's ``CONCURRENT_ITEMS`` too (stock: 100).

    Scrapy starts that many tasks for every response; the project sets it low
    (``crawler/settings.py``), which any Scrapy project could: this ratio is what the
    crawl's own work costs, beside the goal's ratio against stock Scrapy.
    """
    tuned = crawl_bare("bare_items", site, workdir, {"CONCURRENT_ITEMS": project.CONCURRENT_ITEMS})
    if tuned.returncode != 0:
        raise RuntimeError(f"{tuned.label} exited {tuned.returncode}: see {tuned.log}")
    ratio = (sum(r.pages for r in our_runs) / sum(r.cpu_s for r in our_runs)) / tuned.pages_per_cpu_s
    report.details["crawl"]["sites"][-1]["bare_same_concurrent_items"] = tuned.summary()
    report.add(check("crawl", f"{size:,}: ours / bare with CONCURRENT_ITEMS={project.CONCURRENT_ITEMS}, "
                     "pages per CPU-second", ratio, "x", "", note="information: the goal is against stock Scrapy"))


def _throughput(report: Report, size: int, bare_runs: list[Run], our_runs: list[Run]) -> float:
    """Report one site's throughput figures; return the throughput ratio (the goal's)."""
    bare_wall = median([r.pages_per_s for r in bare_runs])
    ours_wall = median([r.pages_per_s for r in our_runs])
    wall_ratio = median([o.pages_per_s / b.pages_per_s for b, o in zip(bare_runs, our_runs, strict=True)])
    cpu_ratio = (sum(r.pages for r in our_runs) / sum(r.cpu_s for r in our_runs)) / (
        sum(r.pages for r in bare_runs) / sum(r.cpu_s for r in bare_runs))
    report.details["crawl"]["sites"].append({
        "releases": size, "rounds": len(our_runs),
        "bare": [r.summary() for r in bare_runs], "ours": [r.summary() for r in our_runs],
        "round_ratios": [round(o.pages_per_s / b.pages_per_s, 3) for b, o in zip(bare_runs, our_runs, strict=True)],
        "cpu_ratio": round(cpu_ratio, 3),
    })
    pages = our_runs[0].pages
    report.add(
        check("crawl", f"{size:,} formulaic releases: bare Scrapy, {pages} pages", bare_wall, "pages/s",
              "baseline", note=f"server CPU {median([r.server_share for r in bare_runs]):.0%} of a core"),
        check("crawl", f"{size:,} formulaic releases: scrapy crawl osce", ours_wall, "pages/s", "",
              note=f"server CPU {median([r.server_share for r in our_runs]):.0%} of a core"),
        check("crawl", f"{size:,}: ours / bare, pages/s (median of rounds)", wall_ratio, "x",
              f">= {RATIO_GOAL}x", lambda v: v >= RATIO_GOAL,
              note="throughput, the goal; wall clock: other load on the machine shows"),
        check("crawl", f"{size:,}: ours / bare, pages per CPU-second", cpu_ratio, "x", "",
              note="information: all the CPU, the crawl's and its writer process's"),
    )
    return wall_ratio


def _incremental(report: Report, site: LocalSite, releases: list[osce.Release], db: Path, workdir: Path,
                 smoke: bool) -> None:
    """On the database of the last full crawl: nothing changed, then one new release."""
    before = _listing_pages_until_known(db, releases)
    # The smoke run skips the unchanged run (the one-new run covers the same path).
    unchanged = None if smoke else crawl_ours("incremental", site, db, workdir)
    new_release = osce.generated_releases(1, start_id=990_000, seed=99)[0]
    site.pages = site_pages([new_release, *releases])
    one_new = crawl_ours("one_new", site, db, workdir)
    report.details["crawl"]["incremental_unchanged"] = (
        {**unchanged.summary(), **traffic(unchanged.hits)} if unchanged else None)
    report.details["crawl"]["incremental_one_new"] = {**one_new.summary(), **traffic(one_new.hits)}
    # Nothing changed: listing pages downloaded in full, release bodies re-downloaded.
    hits = unchanged.hits if unchanged else []
    report.add(
        check("incremental", "unchanged: listing pages sent in full",
              _count(hits, "listing", 200) if unchanged else None, "",
              f"<= {before} (pages to first known)", lambda v: v <= before),
        check("incremental", "unchanged: release bodies re-sent",
              _count(hits, "release", 200) if unchanged else None, "", "0", lambda v: v == 0,
              note=f"{_count(hits, 'release', 304)} x 304"),
        check("incremental", "unchanged: requests / bytes", unchanged.pages if unchanged else None,
              "requests", "", note=f"{traffic(hits)['bytes']:,} bytes"),
        check("incremental", "1 new: release bodies sent", _count(one_new.hits, "release", 200), "",
              "1", lambda v: v == 1,
              note=f"{one_new.stats.get('releasewatch/items_new', 0)} new in DB"),
        check("incremental", "1 new: requests / bytes", one_new.pages, "requests", "",
              note=f"{traffic(one_new.hits)['bytes']:,} bytes"),
    )
