"""Distributed mode: ``scrapy crawl`` workers on a real Redis, ``releasewatch ingest`` as
the one writer, a local OSCE site with 500 releases. Checked with the site's request log
and SQL."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import redis
from scrapy.settings import Settings
from scrapy.utils.misc import load_object
from scrapy.utils.project import get_project_settings

from crawler.distributed import handoff
from crawler.distributed.addon import DistributedAddon
from crawler.distributed.ingest import Ingester
from crawler.localsite import osce
from crawler.localsite.server import LocalSite
from crawler.web.screenshots import free_port
from storage import open_db
from tests.conftest import FAST, ROOT

RELEASEWATCH = Path(sys.executable).with_name("releasewatch")
needs_redis = pytest.mark.skipif(shutil.which("redis-server") is None,
                                 reason="redis-server is not installed (apt-get install redis-server)")


@pytest.fixture
def redis_url(tmp_path):
    """A throwaway redis-server on 127.0.0.1, random port, no persistence."""
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield url
    server.terminate()
    server.wait(timeout=10)


# --- the switch -----------------------------------------------------------------------
def addon_settings(**values) -> Settings:
    settings = get_project_settings()
    for name, value in values.items():
        settings.set(name, value, priority="cmdline")
    DistributedAddon().update_settings(settings)
    return settings


def test_without_redis_url_nothing_changes():
    settings = addon_settings(REDIS_URL="")
    assert settings["SCHEDULER"] == "scrapy.core.scheduler.Scheduler"
    assert settings["ITEM_PIPELINES"]["crawler.crawl.pipelines.StoragePipeline"] == 800
    assert settings["EXTENSIONS"]["crawler.crawl.health.CrawlHealth"] == 500
    assert "crawler.distributed.addon.HandoffPipeline" not in settings["ITEM_PIPELINES"]


def test_redis_url_switches_to_shared_scheduler_and_handoff():
    settings = addon_settings(REDIS_URL="redis://localhost:6379/0")
    assert settings["SCHEDULER"] == "crawler.distributed.queue.LeasedScheduler"
    assert settings["SCHEDULER_QUEUE_CLASS"] == "crawler.distributed.queue.LeasedQueue"
    assert settings["DUPEFILTER_CLASS"] == "crawler.distributed.queue.RunDupeFilter"
    assert settings.getbool("SCHEDULER_PERSIST")
    pipelines, extensions = settings["ITEM_PIPELINES"], settings["EXTENSIONS"]
    assert pipelines["crawler.crawl.pipelines.StoragePipeline"] is None  # workers never write SQLite
    assert pipelines["crawler.distributed.addon.HandoffPipeline"] == 800
    assert extensions["crawler.crawl.health.CrawlHealth"] is None
    assert extensions["crawler.distributed.addon.DistributedWorker"] == 500
    middlewares = settings["SPIDER_MIDDLEWARES"]
    assert middlewares["crawler.crawl.middlewares.StopAtKnownMiddleware"] is None
    assert middlewares["crawler.distributed.addon.DistributedStopAtKnownMiddleware"] == 950


def test_releasewatch_crawl_stays_single_process(monkeypatch):
    """run_crawl owns a crawl_runs row and waits for the crawl to close it."""
    monkeypatch.setenv("RELEASEWATCH_RUN_ID", "7")
    settings = addon_settings(REDIS_URL="redis://localhost:6379/0")
    assert settings["SCHEDULER"] == "scrapy.core.scheduler.Scheduler"


def test_a_worker_leases_no_more_than_it_may_fetch_at_once():
    settings = addon_settings(REDIS_URL="redis://localhost:6379/0")
    assert settings.getint("CONCURRENT_REQUESTS") == settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 2


def test_command_line_still_wins_over_the_addon():
    settings = addon_settings(REDIS_URL="redis://localhost:6379/0", SCHEDULER_PERSIST=False,
                              CONCURRENT_REQUESTS=16)
    assert settings.getbool("SCHEDULER_PERSIST") is False
    assert settings.getint("CONCURRENT_REQUESTS") == 16


# --- Redis handoff primitives ---------------------------------------------------------------

@pytest.mark.redis
@needs_redis
def test_seed_queues_the_run_start_and_one_token(redis_url):
    client = redis.Redis.from_url(redis_url)
    run = handoff.seed_run(redis_url, "osce", args={"full": "1"}, trigger="schedule")
    assert run == "osce-1" and handoff.seed_run(client, "osce") == "osce-2"
    started = json.loads(client.lindex(handoff.ITEMS_KEY, -1))
    assert (started["kind"], started["run"], started["trigger"]) == ("run_started", "osce-1", "schedule")
    token = json.loads(client.lindex("osce:start_urls", -1))
    assert (token["run"], token["args"]) == ("osce-1", {"full": "1"})
    assert client.hget(handoff.run_key(run), "pending") == b"1"


@pytest.mark.redis
@needs_redis
def test_acknowledging_the_last_lease_announces_the_end_once(redis_url):
    client = redis.Redis.from_url(redis_url)
    ack = client.register_script(handoff.ACK_SCRIPT)
    client.hset(handoff.run_key("osce-1"), "pending", 2)
    client.lpush("leased", b"a", b"b")
    keys = ["leased", handoff.run_key("osce-1"), handoff.ITEMS_KEY]
    assert ack(keys=keys, args=[b"a", "end"]) == 1
    assert ack(keys=keys, args=[b"a", "end"]) == -1  # taken back meanwhile: counts nothing
    assert client.llen(handoff.ITEMS_KEY) == 0
    assert ack(keys=keys, args=[b"b", "end"]) == 0
    assert client.lrange(handoff.ITEMS_KEY, 0, -1) == [b"end"]


def open_scheduler(redis_url: str):
    """A worker's scheduler (LeasedScheduler, LeasedQueue, RunDupeFilter) on ``redis_url``."""
    from scrapy import Spider
    from scrapy.utils.test import get_crawler

    settings = addon_settings(REDIS_URL=redis_url)
    crawler = get_crawler(Spider, settings_dict={name: settings[name] for name in (
        "REDIS_URL", "SCHEDULER", "SCHEDULER_QUEUE_CLASS", "DUPEFILTER_CLASS", "SCHEDULER_PERSIST")})
    crawler.spider = crawler._create_spider("osce")
    scheduler = load_object(settings["SCHEDULER"]).from_crawler(crawler)
    scheduler.open(crawler.spider)
    return scheduler


@pytest.mark.redis
@needs_redis
def test_a_request_is_marked_seen_in_the_same_step_that_queues_it(redis_url, monkeypatch):
    from scrapy import Request

    from crawler.distributed.queue import RUN

    client = redis.Redis.from_url(redis_url)
    scheduler = open_scheduler(redis_url)
    request = Request("http://127.0.0.1:8123/pc/1", meta={RUN: "osce-1"})
    # A worker that dies while queueing (here: before its push reaches Redis) ...
    monkeypatch.setattr(scheduler.queue, "_encode_request", lambda r: (_ for _ in ()).throw(SystemExit))
    with pytest.raises(SystemExit):
        scheduler.enqueue_request(request)
    monkeypatch.undo()
    # ... has not marked the request seen: the listing fetched again queues it.
    assert client.scard("osce:dupefilter:osce-1") == 0
    assert scheduler.enqueue_request(request.copy()) is True
    assert scheduler.enqueue_request(request.copy()) is False  # then it is a duplicate
    assert client.llen("osce:requests") == 1 and client.scard("osce:dupefilter:osce-1") == 1
    assert client.hget(handoff.run_key("osce-1"), "pending") == b"1"  # counted once
    assert scheduler.enqueue_request(request.replace(dont_filter=True)) is True
    assert client.llen("osce:requests") == 2


@pytest.mark.redis
@needs_redis
def test_stop_at_known_counts_only_releases_stored_before_the_run(redis_url):
    from scrapy import Request
    from scrapy.http import HtmlResponse

    from crawler.distributed.addon import DistributedStopAtKnownMiddleware
    from crawler.distributed.queue import RUN
    from storage.normalize import canonical_url

    scheduler = open_scheduler(redis_url)
    middleware = DistributedStopAtKnownMiddleware.from_crawler(scheduler.spider.crawler)
    middleware.spider_opened(scheduler.spider)
    releases = ["http://127.0.0.1:8123/pc/1", "http://127.0.0.1:8123/pc/2"]
    client = redis.Redis.from_url(redis_url)
    client.zadd(handoff.KNOWN_URLS_KEY, {canonical_url(releases[0]): 3, canonical_url(releases[1]): 5})

    def pages_on(run: str) -> bool:
        listing = "http://127.0.0.1:8123/press-releases?page=0"
        response = HtmlResponse(listing, body=b"<html></html>",
                                request=Request(listing, meta={"listing": True, RUN: run}))
        output = [Request(url, meta={"release": True}) for url in releases]
        output.append(Request(f"{listing[:-1]}1", meta={"next_page": True}))
        return any(r.meta.get("next_page") for r in middleware.process_spider_output(response, output))

    assert pages_on("osce-5")  # run 5 stored /pc/2 itself (a listing fetched again after a kill)
    assert not pages_on("osce-6")  # both were stored before run 6
    client.set(handoff.unhealthy_since_key("osce"), 5)  # ... but run 5 was degraded
    assert pages_on("osce-6")


@pytest.mark.redis
@needs_redis
def test_leases_of_a_dead_worker_go_back_to_the_queue(redis_url):
    client = redis.Redis.from_url(redis_url)
    keys = handoff.SpiderKeys("osce")
    client.lpush(keys.leased(keys.requests, "dead"), b"r1", b"r2")
    client.lpush(keys.leased(keys.requests, "alive"), b"r3")
    client.lpush(keys.leased(keys.seeds, "dead"), b"token")
    client.set(keys.heartbeat("alive"), "now", ex=60)
    assert handoff.requeue_orphans(client, keys) == 3
    assert sorted(client.lrange(keys.requests, 0, -1)) == [b"r1", b"r2"]
    assert client.lrange(keys.seeds, 0, -1) == [b"token"]
    assert client.lrange(keys.leased(keys.requests, "alive"), 0, -1) == [b"r3"]


# --- the ingester ---------------------------------------------------------------------------
def release_messages(run: str, count: int = 3) -> list[str]:
    out = []
    for rel in osce.generated_releases(count):
        item = {"source": "osce", "url": f"http://127.0.0.1:8123{rel.path}", "title": rel.title,
                "body": "\n\n".join(rel.paragraphs), "published": "2025-01-01", "place": rel.place}
        out.append(handoff.message("release", run=run, spider="osce", item=item))
    return out


def queue_a_run(client: redis.Redis) -> str:
    """A seeded run whose worker pushed three releases, a healthy list and the end."""
    run = handoff.seed_run(client, "osce")
    client.delete("osce:start_urls")
    client.hset(handoff.run_key(run), mapping={"pending": 0, "pages": 7})
    for raw in release_messages(run):
        client.lpush(handoff.ITEMS_KEY, raw)
    client.lpush(handoff.ITEMS_KEY, handoff.message(
        "list", run=run, spider="osce", item={"list": "field_operations", "url": "http://x/",
                                              "items": [{"name": "Mission to Skopje", "note": None}]}))
    client.lpush(handoff.ITEMS_KEY, handoff.run_finished_message(run, "osce"))
    return run


def run_rows(db_path) -> list[dict]:
    db = open_db(db_path)
    try:
        return list(db.query("SELECT status, pages, items_new, items_changed, items_unchanged, errors "
                             "FROM crawl_runs"))
    finally:
        db.close()


def count(db_path, table: str) -> int:
    db = open_db(db_path)
    try:
        return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        db.close()


@pytest.mark.redis
@needs_redis
def test_ingester_writes_items_and_the_run(redis_url, db_path):
    client = redis.Redis.from_url(redis_url)
    run = queue_a_run(client)
    ingester = Ingester(str(db_path), redis_url)
    stats = ingester.run(exit_when_idle=0.5)
    ingester.close()
    assert stats.runs_finished == [run] and stats.releases == {"new": 3}
    assert run_rows(db_path) == [{"status": "ok", "pages": 7, "items_new": 3, "items_changed": 0,
                                  "items_unchanged": 0, "errors": 0}]
    assert client.llen(handoff.ITEMS_KEY) == 0 and client.llen(f"{handoff.ITEMS_KEY}:ingesting") == 0
    assert client.zcard(handoff.KNOWN_URLS_KEY) == 3  # for the workers' stop-at-known
    assert {score for _, score in client.zrange(handoff.KNOWN_URLS_KEY, 0, -1, withscores=True)} == {
        handoff.run_number(run)}  # ... scored with the run that stored them
    assert not client.exists(handoff.run_key(run))


@pytest.mark.redis
@needs_redis
def test_ingester_marks_the_streak_of_runs_that_were_not_ok(redis_url, db_path):
    client = redis.Redis.from_url(redis_url)
    ingester = Ingester(str(db_path), redis_url)
    degraded = queue_a_run(client)
    client.rpush(handoff.run_problems_key(degraded), json.dumps({"url": "http://x/pc/1", "error": "HTTP 503"}))
    ingester.run(exit_when_idle=0.5)
    assert run_rows(db_path)[-1]["status"] == "degraded"
    assert client.get(handoff.unhealthy_since_key("osce")) == str(handoff.run_number(degraded)).encode()
    queue_a_run(client)
    ingester.run(exit_when_idle=0.5)
    ingester.close()
    assert run_rows(db_path)[-1]["status"] == "ok" and not client.exists(handoff.unhealthy_since_key("osce"))


@pytest.mark.redis
@needs_redis
def test_ingester_killed_after_commit_replays_without_counting_twice(redis_url, db_path, monkeypatch):
    client = redis.Redis.from_url(redis_url)
    queue_a_run(client)
    ingester = Ingester(str(db_path), redis_url)
    ingester.start()
    # Killed between the SQLite commit and the Redis acknowledgement:
    monkeypatch.setattr(ingester.client, "pipeline", lambda **kw: (_ for _ in ()).throw(SystemExit))
    with pytest.raises(SystemExit):
        ingester.step()
    ingester.close()
    assert client.llen(f"{handoff.ITEMS_KEY}:ingesting") == 6
    again = Ingester(str(db_path), redis_url)
    stats = again.run(exit_when_idle=0.5)
    again.close()
    assert (stats.skipped, stats.messages) == (6, 0)
    assert count(db_path, "releases") == 3 and count(db_path, "release_versions") == 3
    assert run_rows(db_path)[0]["items_new"] == 3 and run_rows(db_path)[0]["items_unchanged"] == 0
    assert client.llen(f"{handoff.ITEMS_KEY}:ingesting") == 0


@pytest.mark.redis
@needs_redis
def test_ingester_killed_mid_batch_loses_nothing(redis_url, db_path, monkeypatch):
    client = redis.Redis.from_url(redis_url)
    run = queue_a_run(client)
    ingester = Ingester(str(db_path), redis_url)
    ingester.start()
    calls = []

    def dies_on_the_second(db, kind, item, **kw):
        calls.append(item)
        if len(calls) == 2:
            raise SystemExit
        return original(db, kind, item, **kw)

    import crawler.distributed.ingest as ingest_module

    original = ingest_module.store_item
    monkeypatch.setattr(ingest_module, "store_item", dies_on_the_second)
    with pytest.raises(SystemExit):
        ingester.step()
    ingester.close()
    assert count(db_path, "releases") == 0  # the whole batch rolled back
    monkeypatch.setattr(ingest_module, "store_item", original)
    again = Ingester(str(db_path), redis_url)
    stats = again.run(exit_when_idle=0.5)
    again.close()
    assert stats.replayed == 6 and stats.runs_finished == [run]
    assert count(db_path, "releases") == 3
    assert run_rows(db_path)[0]["items_new"] == 3


@pytest.mark.redis
@needs_redis
def test_unreadable_messages_are_set_aside_not_lost(redis_url, db_path):
    client = redis.Redis.from_url(redis_url)
    client.lpush(handoff.ITEMS_KEY, b"{not json", json.dumps({"id": "x", "kind": "mystery"}))
    ingester = Ingester(str(db_path), redis_url)
    stats = ingester.run(exit_when_idle=0.3)
    ingester.close()
    assert stats.bad == 2 and client.llen(f"{handoff.ITEMS_KEY}:bad") == 2


# --- end to end: workers, ingester, local site --------------------------------------------
class Cluster:
    """Worker and ingester subprocesses for one Redis, one database and one site."""

    def __init__(self, tmp_path: Path, site: LocalSite, redis_url: str):
        self.tmp, self.site, self.redis_url = tmp_path, site, redis_url
        self.db_path = tmp_path / "releasewatch.db"
        self.worker_db = tmp_path / "workers" / "never-written.db"
        self.processes: list[subprocess.Popen] = []
        self.logs: list[Path] = []

    def _spawn(self, command: list[str], name: str) -> subprocess.Popen:
        log = self.tmp / f"{name}-{len(self.logs)}.log"
        self.logs.append(log)
        process = subprocess.Popen(command, cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT,
                                   env={**os.environ, "REDIS_URL": self.redis_url})
        self.processes.append(process)
        return process

    def worker(self) -> subprocess.Popen:
        settings = {**FAST, "OSCE_BASE_URL": self.site.url, "RELEASEWATCH_DB": self.worker_db,
                    "RELEASEWATCH_IDLE_CLOSE": 4, "RELEASEWATCH_WORKER_TTL": 2}
        command = [sys.executable, "-m", "scrapy", "crawl", "osce"]
        for key, value in settings.items():
            command += ["-s", f"{key}={value}"]
        return self._spawn(command, "worker")

    def ingester(self) -> subprocess.Popen:
        return self._spawn([str(RELEASEWATCH), "ingest", "--db", str(self.db_path), "--batch", "50"], "ingest")

    def wait_for(self, sql: str, done, timeout: float = 240) -> list[dict]:
        """Poll ``sql`` until ``done(rows)``; the database may not even exist yet."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                rows = self.rows(sql)
            except sqlite3.OperationalError:  # not created yet
                rows = None
            if rows is not None and done(rows):
                return rows
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting on {sql}:\n" + self.tail())

    def wait_for_run(self, after: int = 0) -> dict:
        """Wait until a crawl_runs row newer than ``after`` is closed; return it."""
        return self.wait_for(f"SELECT * FROM crawl_runs WHERE id > {after} ORDER BY id DESC LIMIT 1",
                             lambda rows: rows and rows[0]["status"] != "running")[0]

    def wait_workers(self, workers: list[subprocess.Popen], timeout: float = 120) -> None:
        for process in workers:
            process.wait(timeout=timeout)

    def rows(self, sql: str) -> list[dict]:
        """Read as Datasette does: a read-only connection beside the writer."""
        conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=30)
        conn.row_factory = sqlite3.Row
        try:
            return [dict(row) for row in conn.execute(sql)]
        finally:
            conn.close()

    def tail(self) -> str:
        return "\n".join(f"== {log.name}\n" + "".join(log.read_text().splitlines(True)[-15:]) for log in self.logs)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def big_site():
    with LocalSite(osce.build_site(osce.generated_releases(500), per_page=20)) as site:
        yield site


@pytest.fixture
def cluster(tmp_path, big_site, redis_url):
    cluster = Cluster(tmp_path, big_site, redis_url)
    yield cluster
    cluster.stop()


def pages_fetched(site: LocalSite) -> Counter:
    return Counter(hit.path for hit in site.log if hit.path != "/robots.txt")


def worker_acks(log: Path) -> int:
    line = next(line for line in log.read_text().splitlines() if "releasewatch worker" in line and "closed" in line)
    return int(line.split("acknowledged=")[1].split()[0])


@pytest.mark.slow
@pytest.mark.redis
@needs_redis
def test_three_workers_share_one_crawl_and_one_writer_stores_it(cluster, big_site):
    handoff.seed_run(cluster.redis_url, "osce")
    workers = [cluster.worker() for _ in range(3)]
    cluster.ingester()
    run = cluster.wait_for_run()
    cluster.wait_workers(workers)
    fetched = pages_fetched(big_site)
    assert len(fetched) == 500 + 25 + 2, cluster.tail()  # releases, listing pages, home, closed operations
    assert set(fetched.values()) == {1}, [p for p, n in fetched.items() if n > 1]  # no page twice
    assert (run["status"], run["items_new"], run["items_unchanged"]) == ("ok", 500, 0)
    assert run["pages"] == len(fetched)
    assert cluster.rows("SELECT count(*) AS n FROM releases")[0]["n"] == 500
    assert cluster.rows("SELECT count(*) AS n FROM release_versions")[0]["n"] == 500
    assert cluster.rows("SELECT count(*) AS n FROM list_snapshots")[0]["n"] == 5
    assert not cluster.worker_db.exists()  # workers never opened SQLite
    acks = [worker_acks(log) for log in cluster.logs if log.name.startswith("worker")]
    assert all(acks) and sum(acks) == len(fetched)  # every worker took part

    # A second run stops at the first listing page: its releases are all known.
    big_site.log.clear()
    handoff.seed_run(cluster.redis_url, "osce")
    cluster.wait_workers([cluster.worker()])
    second = cluster.wait_for_run(after=run["id"])
    listings = [hit for hit in big_site.log if hit.path.startswith("/press-releases")]
    assert [hit.path for hit in listings] == ["/press-releases?page=0"]
    releases = [hit for hit in big_site.log if hit.path.startswith("/pc/")]
    assert len(releases) == 20 and all(hit.status == 304 for hit in releases)
    assert (second["status"], second["items_new"], second["items_unchanged"]) == ("ok", 0, 20)
    assert cluster.rows("SELECT count(*) AS n FROM release_versions")[0]["n"] == 500


@pytest.mark.slow
@pytest.mark.redis
@needs_redis
def test_killed_worker_and_ingester_lose_nothing_and_duplicate_nothing(cluster, big_site):
    for path, page in big_site.pages.items():
        if path.startswith("/pc/"):
            page.delay = 0.02  # long enough a run to kill things in the middle of it
    handoff.seed_run(cluster.redis_url, "osce")
    workers = [cluster.worker() for _ in range(3)]
    ingester = cluster.ingester()
    cluster.wait_for("SELECT count(*) AS n FROM releases", lambda rows: rows[0]["n"] >= 150, timeout=120)
    workers[0].send_signal(signal.SIGKILL)
    ingester.send_signal(signal.SIGKILL)
    workers[0].wait()
    ingester.wait()
    stored_at_kill = cluster.rows("SELECT count(*) AS n FROM releases")[0]["n"]
    assert stored_at_kill < 500
    workers.append(cluster.worker())
    cluster.ingester()
    run = cluster.wait_for_run()
    cluster.wait_workers(workers[1:])
    fetched = pages_fetched(big_site)
    assert sum(1 for path in fetched if path.startswith("/pc/")) == 500  # nothing lost
    assert cluster.rows("SELECT count(*) AS n FROM releases")[0]["n"] == 500
    assert cluster.rows("SELECT count(*) AS n FROM release_urls")[0]["n"] == 500
    assert cluster.rows("SELECT count(*) AS n FROM release_versions")[0]["n"] == 500
    assert cluster.rows("SELECT count(*) AS n FROM crawl_runs")[0]["n"] == 1
    assert (run["status"], run["items_new"], run["items_changed"]) == ("ok", 500, 0), cluster.tail()
    # Pages the killed worker had leased were fetched again by the others: at-least-once.
    assert run["pages"] >= 527


@pytest.mark.redis
@needs_redis
def test_workers_pause_while_the_ingester_is_behind(redis_url):
    from scrapy.utils.test import get_crawler

    from crawler.distributed.addon import BackPressure

    class Engine:
        paused = False

        def pause(self):
            self.paused = True

        def unpause(self):
            self.paused = False

    crawler = get_crawler(settings_dict={"REDIS_URL": redis_url, "RELEASEWATCH_QUEUE_MAX": 4})
    crawler.engine = Engine()
    pressure = BackPressure(crawler)
    client = redis.Redis.from_url(redis_url)
    client.lpush(handoff.ITEMS_KEY, *[b"item"] * 5)
    pressure.check()
    assert crawler.engine.paused
    client.ltrim(handoff.ITEMS_KEY, 0, 2)  # 3 left: above half of 4, still paused
    pressure.check()
    assert crawler.engine.paused
    client.ltrim(handoff.ITEMS_KEY, 0, 1)
    pressure.check()
    assert not crawler.engine.paused


@pytest.mark.slow
@pytest.mark.redis
@needs_redis
def test_a_problem_on_any_worker_degrades_the_run(tmp_path, redis_url):
    with LocalSite(osce.build_site(osce.seed_releases())) as site:
        site.pages["/pc/49473"].body = "<html><body><h1>Site under maintenance</h1><p>Back soon.</p></body></html>"
        cluster = Cluster(tmp_path, site, redis_url)
        try:
            handoff.seed_run(redis_url, "osce")
            cluster.wait_workers([cluster.worker(), cluster.worker()])
            cluster.ingester()
            run = cluster.wait_for_run()
        finally:
            cluster.stop()
    assert (run["status"], run["items_new"], run["errors"]) == ("degraded", 2, 1)
    assert "no release found on the page" in run["reason"]
    errors = cluster.rows("SELECT url, error FROM crawl_errors")
    assert errors == [{"url": f"{site.url}/pc/49473",
                       "error": "no release found on the page (maintenance page or new layout?)"}]


@pytest.mark.redis
@needs_redis
def test_seed_and_ingest_commands(redis_url, db_path):
    from click.testing import CliRunner

    from crawler.cli.main import main

    runner = CliRunner()
    seeded = runner.invoke(main, ["seed", "osce", "--full", "--redis", redis_url])
    assert seeded.exit_code == 0 and seeded.output.startswith("seeded osce-1:"), seeded.output
    token = json.loads(redis.Redis.from_url(redis_url).lindex("osce:start_urls", -1))
    assert token["args"] == {"full": "1"}
    ingested = runner.invoke(main, ["ingest", "--redis", redis_url, "--db", str(db_path), "--exit-when-idle", "0.5"])
    assert ingested.exit_code == 0, ingested.output
    assert [row["status"] for row in run_rows(db_path)] == ["running"]  # started; no worker finished it yet


def test_seed_without_redis_is_a_clear_error():
    from click.testing import CliRunner

    from crawler.cli.main import main

    result = CliRunner().invoke(main, ["seed", "osce", "--redis", f"redis://127.0.0.1:{free_port()}/0"])
    assert result.exit_code == 1 and "cannot reach Redis" in result.output


@pytest.mark.redis
@needs_redis
def test_scheduler_seeds_runs_into_redis_instead_of_crawling(redis_url, tmp_path, monkeypatch):
    from dataclasses import replace

    from crawler.scheduler.config import parse_config
    from crawler.scheduler.daemon import Scheduler

    monkeypatch.setenv("REDIS_URL", redis_url)
    config = parse_config({})
    config = replace(config, db=str(tmp_path / "rw.db"), jobs=(replace(config.job("osce"), args={"full": "1"}),))
    outcome = Scheduler(config).run_job(config.job("osce"))
    assert (outcome.status, outcome.reason) == ("ok", "seeded osce-1")
    client = redis.Redis.from_url(redis_url)
    token = json.loads(client.lindex("osce:start_urls", -1))
    assert (token["run"], token["args"]) == ("osce-1", {"full": "1"})
    started = json.loads(client.lindex(handoff.ITEMS_KEY, -1))
    assert (started["kind"], started["trigger"]) == ("run_started", "schedule:osce")
    assert not (tmp_path / "rw.db.httpcache").exists()  # nothing crawled in the daemon's machine


def test_scheduler_with_redis_down_records_a_failed_seed(tmp_path, monkeypatch):
    from dataclasses import replace

    from crawler.scheduler.config import parse_config
    from crawler.scheduler.daemon import Scheduler

    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    config = replace(parse_config({}), db=str(tmp_path / "rw.db"))
    outcome = Scheduler(config).run_job(config.job("osce"))
    assert outcome.status == "failed" and "could not seed into Redis" in outcome.reason


def queue_list_run(client: redis.Redis, states: list[str]) -> str:
    """A finished run whose worker pushed one snapshot of the participating states."""
    run = handoff.seed_run(client, "osce")
    client.delete("osce:start_urls")
    client.hset(handoff.run_key(run), mapping={"pending": 0, "pages": 1})
    client.lpush(handoff.ITEMS_KEY, handoff.message(
        "list", run=run, spider="osce", item={"list": "participating_states", "url": "http://x/",
                                              "items": [{"name": name, "note": None} for name in states]}))
    client.lpush(handoff.ITEMS_KEY, handoff.run_finished_message(run, "osce"))
    return run


@pytest.mark.redis
@needs_redis
@pytest.mark.parametrize(("max_changes", "recorded"), [(None, 0), ("10", 5)])
def test_the_ingester_honours_list_max_changes_like_a_crawl(redis_url, db_path, max_changes, recorded):
    """Five states appear at once: more than the default 3, so the change waits for the
    next crawl to confirm it, unless RELEASEWATCH_LIST_MAX_CHANGES allows 10."""
    client = redis.Redis.from_url(redis_url)
    queue_list_run(client, ["Albania", "Andorra"])
    queue_list_run(client, ["Albania", "Andorra", "Armenia", "Austria", "Azerbaijan", "Belarus", "Belgium"])
    env = {k: v for k, v in os.environ.items() if k != "RELEASEWATCH_LIST_MAX_CHANGES"}
    if max_changes:
        env["RELEASEWATCH_LIST_MAX_CHANGES"] = max_changes
    subprocess.run([sys.executable, "-m", "crawler.cli", "ingest", "--redis", redis_url, "--db", str(db_path),
                    "--exit-when-idle", "0.5"], cwd=ROOT, env=env, check=True, capture_output=True, timeout=60)
    assert count(db_path, "list_changes") == recorded
