"""The gap rule (docs/reliability.md): whatever runs of one spider came before (full,
partial by argument, killed, concurrent, degraded), one plain healthy run leaves every
release the site lists stored.

A model of the site and of paging drives the real storage code (``store_release``,
``start_run``, ``close_run``, ``mark_abandoned_runs`` and the rule itself,
``trusted_known_urls``) on a frozen clock; hypothesis draws the sequences of runs. The
end-to-end test replays the sequence of issue 17 with real ``scrapy crawl`` processes.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import storage.runs
from crawler.localsite import un_press
from crawler.localsite.server import LocalSite
from crawler.runner import crawl_command
from storage import open_db, store_release
from storage.normalize import canonical_url, run_scope
from storage.runs import (
    close_run,
    distrusted_spans,
    mark_abandoned_runs,
    start_run,
    trusted_known_urls,
)
from tests.conftest import FAST, ROOT, scrapy_crawl

SPIDER = "un_press"
PER_PAGE = 2
SCOPES = {"": "security-council", run_scope({"body": "general-assembly"}): "general-assembly"}
PARTIAL = run_scope({"body": "general-assembly"})
WORDS = [f"w{n}" for n in range(400)]


class Clock:
    """A frozen clock that moves one second per event."""

    def __init__(self):
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> str:
        self.now += timedelta(seconds=1)
        return self.now.isoformat().replace("+00:00", "Z")


@dataclass
class Site:
    """Listings (newest first) of release numbers; a joint release is on both."""

    listings: dict[str, list[int]] = field(default_factory=lambda: {"": [], PARTIAL: []})
    next_number: int = 1

    def publish(self, where: str, count: int) -> None:
        for _ in range(count):
            for scope in ([*self.listings] if where == "both" else [where]):
                self.listings[scope].insert(0, self.next_number)
            self.next_number += 1


def url(number: int) -> str:
    return canonical_url(f"http://press.test/en/{number}.doc.htm")


@dataclass
class Run:
    """One crawl: pages its listing from a snapshot taken at its start, one store per step."""

    db: object
    clock: Clock
    site: Site
    scope: str = ""
    full: bool = False
    fail: int | None = None  # the release at this position is not fetched: degraded
    run_id: int = 0
    problems: int = 0
    steps: Iterator[None] | None = None

    def start(self) -> Run:
        mark_abandoned_runs(self.db)
        self.run_id = start_run(self.db, SPIDER, scope=self.scope, pid=os.getpid())
        known = trusted_known_urls(self.db, SPIDER, self.scope)
        self.steps = self._crawl(list(self.site.listings[self.scope]), known)
        return self

    def _crawl(self, listing: list[int], known: set[str]) -> Iterator[None]:
        position = 0
        for first in range(0, len(listing), PER_PAGE):
            page = listing[first:first + PER_PAGE]
            for number in page:
                position += 1
                if position == self.fail:
                    self.problems += 1
                    continue
                store_release(self.db, {"source": SPIDER, "url": url(number), "title": f"Release {number}",
                                        "body": " ".join(random.Random(number).sample(WORDS, 40))},
                              now=self.clock())
                yield
            if not self.full and all(url(n) in known for n in page):
                return

    def step(self) -> bool:
        """Store the next release; False when the run has nothing left to do."""
        return next(self.steps, StopIteration) is not StopIteration

    def finish(self) -> None:
        while self.step():
            pass
        status = "degraded" if self.problems else "ok"
        close_run(self.db, self.run_id, status=status, reason=status, finish_reason="finished")

    def kill(self) -> None:
        """``kill -9``: the row stays ``running`` and its process is gone."""
        self.db.table("crawl_runs").update(self.run_id, {"pid": None})


RUN = st.fixed_dictionaries({
    "scope": st.sampled_from(sorted(SCOPES)), "full": st.booleans(),
    "fault": st.sampled_from([None, None, "kill", "degraded"]), "at": st.integers(0, 6),
})
ACTION = st.one_of(
    st.tuples(st.just("publish"), st.sampled_from(["", PARTIAL, "both"]), st.integers(1, 5)),
    st.tuples(st.just("run"), RUN),
    st.tuples(st.just("concurrent"), RUN, RUN, st.lists(st.booleans(), max_size=12)),
)


def play(db, clock: Clock, site: Site, spec: dict) -> Run:
    fault, at = spec["fault"], spec["at"]
    return Run(db, clock, site, scope=spec["scope"], full=spec["full"],
               fail=at + 1 if fault == "degraded" else None)


def end(run: Run, spec: dict) -> None:
    if spec["fault"] == "kill":
        run.kill()
    else:
        run.finish()


def run_sequence(actions: list) -> tuple[Site, object]:
    clock = Clock()
    storage.runs.utcnow = clock  # frozen time for start_run, close_run, mark_abandoned_runs
    db = open_db(":memory:")
    site = Site()
    site.publish("both", 3)
    for action in actions:
        if action[0] == "publish":
            site.publish(action[1], action[2])
        elif action[0] == "run":
            spec = action[1]
            run = play(db, clock, site, spec).start()
            for _ in range(spec["at"] if spec["fault"] == "kill" else 0):
                run.step()
            end(run, spec)
        else:
            _, first_spec, second_spec, turns = action
            first = play(db, clock, site, first_spec).start()
            first.step()
            second = play(db, clock, site, second_spec).start()
            for turn in turns:
                (first if turn else second).step()
            for run, spec in ((first, first_spec), (second, second_spec)):
                if spec["fault"] == "kill":
                    run.kill()
            for run, spec in ((first, first_spec), (second, second_spec)):
                if spec["fault"] != "kill":
                    end(run, spec)
    return site, db


def stored(db) -> set[str]:
    return {u for (u,) in db.execute("SELECT url FROM release_urls")}


KILLED_THEN_PARTIAL = [  # issue 17: a killed plain run, then an ok run of another listing
    ("publish", "", 5),
    ("run", {"scope": "", "full": False, "fault": "kill", "at": 2}),
    ("run", {"scope": PARTIAL, "full": False, "fault": None, "at": 0}),
    ("run", {"scope": "", "full": False, "fault": None, "at": 0}),
]
CONCURRENT_KILLED = [  # a run killed while another run of the spider completed ok
    ("publish", "", 6),
    ("concurrent", {"scope": "", "full": False, "fault": "kill", "at": 0},
     {"scope": "", "full": False, "fault": None, "at": 0}, [True, True]),
    ("publish", "", 2),
]


@settings(deadline=None, max_examples=120)
@given(st.lists(ACTION, max_size=7))
@example(KILLED_THEN_PARTIAL)
@example(CONCURRENT_KILLED)
@pytest.mark.filterwarnings("ignore")
def test_one_plain_healthy_run_leaves_every_listed_release_stored(actions):
    saved = storage.runs.utcnow
    try:
        site, db = run_sequence(actions)
        clock = storage.runs.utcnow
        for scope in SCOPES:  # one healthy run per listing, each after whatever came before
            Run(db, clock, site, scope=scope).start().finish()
            assert {url(n) for n in site.listings[scope]} <= stored(db), (scope, actions)
        db.close()
    finally:
        storage.runs.utcnow = saved


@pytest.mark.parametrize("before", [
    [("run", {"scope": "", "full": False, "fault": None, "at": 0})],
    [("run", {"scope": "", "full": False, "fault": "kill", "at": 3}),
     ("run", {"scope": PARTIAL, "full": False, "fault": None, "at": 0}),
     ("run", {"scope": "", "full": False, "fault": None, "at": 0})],
], ids=["after-an-ok-run", "after-a-killed-run-healed-by-an-ok-run"])
def test_a_healthy_incremental_run_still_stops_at_what_a_healthy_run_stored(before):
    """The rule is no full crawl in disguise: once an ok run has paged past what a bad
    run stored, paging stops at page 0 again."""
    saved = storage.runs.utcnow
    try:
        site, db = run_sequence([("publish", "", 9), *before])
        run = Run(db, storage.runs.utcnow, site).start()
        steps = sum(1 for _ in iter(run.step, False))
        assert steps == PER_PAGE
    finally:
        storage.runs.utcnow = saved


def test_distrusted_spans_cover_every_run_that_was_not_ok_over_the_same_listings(db_path):
    db = open_db(db_path)
    plan = [("ok", ""), ("failed", ""), ("ok", PARTIAL), ("ok", ""), ("degraded", ""), ("running", "")]
    for number, (status, scope) in enumerate(plan, 1):
        run_id = start_run(db, "osce", scope=scope, pid=os.getpid())
        db.table("crawl_runs").update(run_id, {"status": status, "started_at": f"2025-01-0{number}T00:00:00Z",
                                               "finished_at": f"2025-01-0{number}T12:00:00Z"})
    # (the failed run and the partial run before the ok run of day 4 are healed by it)
    assert distrusted_spans(db, "osce", "") == [
        ("2025-01-05T00:00:00Z", "2025-01-05T12:00:00Z"), ("2025-01-06T00:00:00Z", "~")]
    assert distrusted_spans(db, "osce", PARTIAL) == [  # healed by the ok partial run of day 3
        ("2025-01-04T00:00:00Z", "2025-01-04T12:00:00Z"), ("2025-01-05T00:00:00Z", "2025-01-05T12:00:00Z"),
        ("2025-01-06T00:00:00Z", "~")]
    assert distrusted_spans(db, "un_news", "") == []
    db.close()


# --- end to end: the sequence of issue 17 with real crawls --------------------------------
@pytest.mark.slow
def test_a_killed_runs_gap_is_filled_after_an_ok_run_of_another_listing(db_path):
    releases = un_press.more_releases(40) + un_press.sample_releases()
    site = LocalSite()
    site.pages = un_press.build_site(releases, base=site.url)
    for rel in releases:
        site.pages[rel.path].delay = 0.05
    settings = {**FAST, "UN_PRESS_BASE_URL": site.url}
    with site:
        crawl = subprocess.Popen(crawl_command(SPIDER, db=str(db_path), settings=settings), cwd=ROOT,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while crawl.poll() is None and time.monotonic() < deadline:
            try:
                db = open_db(db_path, create=False)
                if db.execute("SELECT count(*) FROM releases").fetchone()[0] >= 14:
                    break
            except Exception:  # not created yet  # noqa: BLE001
                pass
            time.sleep(0.05)
        crawl.send_signal(signal.SIGKILL)
        crawl.wait()
        for rel in releases:
            site.pages[rel.path].delay = 0
        partial = scrapy_crawl(SPIDER, db_path, {"UN_PRESS_BASE_URL": site.url}, {"body": "general-assembly"})
        assert partial.rows("SELECT status FROM crawl_runs ORDER BY id DESC LIMIT 1") == [{"status": "ok"}]
        plain = scrapy_crawl(SPIDER, db_path, {"UN_PRESS_BASE_URL": site.url})
    assert plain.rows("SELECT status FROM crawl_runs ORDER BY id DESC LIMIT 1") == [{"status": "ok"}], plain.output
    assert plain.scalar("SELECT count(*) FROM releases") == len(releases)


def test_a_run_that_starts_in_the_second_the_last_one_stored_trusts_what_it_stored(tmp_path):
    """Timestamps are whole seconds: a scheduled run may start in the very second the run
    before it stored its last release. The asking run's own (open) span must not make
    that release unknown, or every incremental run right after another pages to the end."""
    db = open_db(tmp_path / "rw.db")
    at = "2026-01-01T00:00:10Z"
    db.table("crawl_runs").insert_all([
        {"id": 1, "spider": "osce", "status": "ok", "scope": "", "started_at": "2026-01-01T00:00:00Z",
         "finished_at": at},
        {"id": 2, "spider": "osce", "status": "running", "scope": "", "started_at": at},
    ])
    with db.conn:
        db.execute("PRAGMA foreign_keys = OFF")  # the release row itself does not matter here
        db.table("release_urls").insert({"url": "https://example.org/pc/1", "release_id": 1, "first_seen": at})
    assert trusted_known_urls(db, "osce", "", exclude_run=2) == {"https://example.org/pc/1"}
    # Another run still at work in that second is distrusted, as before.
    assert trusted_known_urls(db, "osce", "") == set()


def test_an_ok_run_that_started_in_the_second_a_bad_run_ended_heals_it(tmp_path):
    """Whole seconds again: a degraded run ends at :10 and the next run, ok, starts at :10.
    It paged past the degraded run (after it, or while its span was open), so what both
    stored is trusted; before, the degraded run's span stayed distrusted, and the next
    incremental run paged on (a capped one ended degraded: CI saw it)."""
    db = open_db(tmp_path / "rw.db")
    at = "2026-01-01T00:00:10Z"
    db.table("crawl_runs").insert_all([
        {"id": 1, "spider": "osce", "status": "degraded", "scope": "", "started_at": "2026-01-01T00:00:00Z",
         "finished_at": at},
        {"id": 2, "spider": "osce", "status": "ok", "scope": "", "started_at": at, "finished_at": at},
        {"id": 3, "spider": "osce", "status": "degraded", "scope": "", "started_at": at,
         "finished_at": "2026-01-01T00:00:20Z"},
    ])
    # run 3 began in the second run 2 started, and ended after it: still distrusted
    assert distrusted_spans(db, "osce", "") == [(at, "2026-01-01T00:00:20Z")]
