"""Distributed crawl throughput with 1, 2 and 3 workers on one local OSCE site.

    python -m bench.scaling              # 400 releases, 20 ms per page, 1/2/3 workers
    python -m bench.scaling --smoke      # 20 releases, 2 workers, one round: checks it runs

Each round starts a throwaway ``redis-server`` (no persistence), N ``scrapy crawl osce``
workers with ``REDIS_URL``, waits until they are up, seeds one run and times it until
its last request is acknowledged (the run's ``pending`` counter reaches zero). Pages per
second and the ratio to one worker are printed; then the one ingester drains the last
round's items, and its rate is printed too (it is the one writer).

Every page answers after ``--latency`` seconds, like a remote site: one worker keeps at
most ``CONCURRENT_REQUESTS_PER_DOMAIN`` (2) requests in flight, so more workers help
until the machine's cores are busy. On a 2-core machine the third worker mostly adds
contention: read the ratio, not the absolute figures.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

from crawler.distributed import handoff
from crawler.localsite import osce
from crawler.localsite.server import LocalSite

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """redis-server on 127.0.0.1, random port, nothing written to disk."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.client = redis.Redis.from_url(self.url)
        for _ in range(200):
            try:
                self.client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def start_workers(count: int, site: LocalSite, redis_url: str, workdir: Path) -> list[subprocess.Popen]:
    settings = {"OSCE_BASE_URL": site.url, "REDIS_URL": redis_url, "RELEASEWATCH_DB": workdir / "none.db",
                "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": 0, "LOG_LEVEL": "WARNING",
                "RELEASEWATCH_IDLE_CLOSE": 2}
    command = [sys.executable, "-m", "scrapy", "crawl", "osce"]
    for key, value in settings.items():
        command += ["-s", f"{key}={value}"]
    return [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(count)]


def wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.02)


def crawl_round(workers: int, releases: int, latency: float, workdir: Path) -> dict:
    """One timed distributed run; returns pages, seconds and the server for the ingester."""
    workdir.mkdir(parents=True, exist_ok=True)
    server = RedisServer(workdir)
    pages = osce.build_site(osce.generated_releases(releases), per_page=20)
    for page in pages.values():
        page.delay = latency
    site = LocalSite(pages).start()
    processes = start_workers(workers, site, server.url, workdir)
    try:
        wait(lambda: len(list(server.client.scan_iter("osce:workers:*"))) == workers, 120, "workers")
        started = time.perf_counter()
        run = handoff.seed_run(server.client, "osce")
        wait(lambda: server.client.hget(handoff.run_key(run), "pending") == b"0", 600, "the run")
        seconds = time.perf_counter() - started
        fetched = sum(1 for hit in site.log if hit.path != "/robots.txt")
    finally:
        for process in processes:
            process.send_signal(signal.SIGINT)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        site.stop()
    return {"workers": workers, "pages": fetched, "seconds": seconds, "pages_per_s": fetched / seconds,
            "server": server}


def ingest_rate(server: RedisServer, workdir: Path) -> tuple[int, float]:
    from crawler.distributed.ingest import Ingester

    ingester = Ingester(str(workdir / "bench.db"), server.client)
    ingester.start()
    started = time.perf_counter()
    while ingester.step(block=0.05):
        pass
    seconds = time.perf_counter() - started
    ingester.close()
    return ingester.stats.messages, max(seconds, 1e-6)


def measure(smoke: bool, releases: int | None = None, latency: float = 0.02,
            workers: tuple[int, ...] | None = None) -> dict:
    # http.server writes headers and body separately; with Nagle's algorithm on, each
    # keep-alive response then waits for a delayed ACK (~40 ms), which would be measured
    # instead of the workers. Real servers set TCP_NODELAY; so does the local site here.
    socketserver.StreamRequestHandler.disable_nagle_algorithm = True
    releases = releases or (20 if smoke else 400)
    workers = workers or ((2,) if smoke else (1, 2, 3))
    rounds = []
    with tempfile.TemporaryDirectory(prefix="releasewatch-scaling-") as tmp:
        for count in workers:
            result = crawl_round(count, releases, latency, Path(tmp) / f"w{count}")
            server = result.pop("server")
            if count == workers[-1]:
                result["ingested"], result["ingest_seconds"] = ingest_rate(server, Path(tmp))
            server.stop()
            rounds.append(result)
    base = rounds[0]["pages_per_s"] / rounds[0]["workers"] if rounds[0]["workers"] == 1 else None
    for result in rounds:
        result["ratio"] = result["pages_per_s"] / base if base else None
    return {"releases": releases, "latency_s": latency, "rounds": rounds}


def show(results: dict) -> str:
    lines = [f"distributed crawl: {results['releases']} releases, {results['latency_s'] * 1000:.0f} ms per page",
             "workers  pages  seconds  pages/s  vs 1 worker"]
    for r in results["rounds"]:
        ratio = f"{r['ratio']:>10.2f}x" if r["ratio"] else f"{'n/a':>11}"
        lines.append(f"{r['workers']:>7}  {r['pages']:>5}  {r['seconds']:>7.1f}  {r['pages_per_s']:>7.1f}  {ratio}")
    last = results["rounds"][-1]
    lines.append(f"ingester (one writer): {last['ingested']} messages in {last['ingest_seconds']:.1f} s"
                 f" = {last['ingested'] / last['ingest_seconds']:.0f} messages/s")
    return "\n".join(lines)


def run(report, smoke: bool) -> None:
    """Entry point for the ``python -m bench`` harness (figures without goals)."""
    results = measure(smoke)
    report.details["scaling"] = {"releases": results["releases"], "rounds": results["rounds"]}
    try:
        from bench.report import Figure
    except ImportError:
        return
    for r in results["rounds"]:
        report.add(Figure("scaling", f"pages/s with {r['workers']} worker(s)", round(r["pages_per_s"], 1),
                          "pages/s", note=f"{r['ratio']:.2f}x one worker" if r["ratio"] else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scaling", description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny site, one round of 2 workers: checks it runs")
    parser.add_argument("--releases", type=int, default=None, help="releases on the local site (400)")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds each page takes (0.02)")
    parser.add_argument("--workers", default=None, help="comma-separated worker counts (1,2,3)")
    args = parser.parse_args(argv)
    if shutil.which("redis-server") is None:
        print("bench.scaling: skipped, redis-server is not installed (apt-get install redis-server)")
        return 0
    workers = tuple(int(n) for n in args.workers.split(",")) if args.workers else None
    print(show(measure(args.smoke, args.releases, args.latency, workers)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
