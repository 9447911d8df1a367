"""List diff: two 10,000-entry lists through ``storage.lists``.

Uses ``storage.lists.diff_lists(before, after)`` when the module has it; otherwise
times ``record_list_snapshot`` of the changed list on an in-memory database that holds
the first one (which includes the diff, hashing and the write).
"""

from __future__ import annotations

import random

from bench.report import Report, check
from bench.timing import median, timed
from storage import lists, open_db

GOAL_MS = 50.0


def make_lists(size: int, seed: int = 11) -> tuple[list[dict], list[dict]]:
    """``before`` and an ``after`` with additions, removals, renames, note changes, reordering."""
    rng = random.Random(seed)
    before = [{"name": f"Entry {n:05d}", "note": "note" if n % 50 == 0 else None} for n in range(size)]
    after = [dict(entry) for entry in before]
    for index in rng.sample(range(size), size // 100):
        after[index]["name"] += " (renamed)"
    for index in rng.sample(range(size), size // 100):
        after[index]["note"] = "changed note"
    after = [e for n, e in enumerate(after) if n % 97 != 0]
    after += [{"name": f"New entry {n:05d}", "note": None} for n in range(size // 100)]
    rng.shuffle(after)
    return before, after[:size]


def run(report: Report, smoke: bool) -> None:
    size = 10_000
    before, after = make_lists(size)
    repeats = 3 if smoke else 9
    diff = getattr(lists, "diff_lists", None)
    if diff is not None:
        how = "diff_lists(before, after)"
        samples = [timed(lambda: diff(before, after)) for _ in range(repeats)]
    else:
        how = "record_list_snapshot (no diff_lists yet), in-memory DB"
        samples = []
        for _ in range(repeats):
            db = open_db(":memory:")
            lists.record_list_snapshot(db, "bench", before)
            samples.append(timed(lambda db=db: lists.record_list_snapshot(db, "bench", after)))
            db.close()
    ms = median(samples) * 1000
    report.details["listdiff"] = {"entries": size, "how": how, "samples_ms": [s * 1000 for s in samples]}
    report.add(check("list diff", f"diff of two {size:,}-entry lists", ms, "ms", f"< {GOAL_MS:.0f} ms",
                     lambda v: v < GOAL_MS, note=how))
