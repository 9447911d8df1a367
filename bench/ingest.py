"""Storage ingest: release items through ``storage`` vs a plain ``insert_all`` of the same rows.

The items look like the OSCE spider's (title, dateline body of three paragraphs, place,
issuers, fields of work) with bodies drawn word by word (Zipf) from the seed captures'
vocabulary and a tail of made-up names, so no two are near-duplicates by accident (the
site generator's 58-sentence pool would make thousands of LSH candidates at this scale,
which real releases do not).

- ``plain``: ``sqlite_utils`` ``insert_all`` of the rows into a table of the same columns,
  on a connection opened like the project's (WAL, ``synchronous=NORMAL``);
- ``first``: every item through ``store_release`` (one transaction) into an empty database;
- ``again``: the same items again: all known, nothing changes.
"""

from __future__ import annotations

import itertools
import random
import re
import tempfile
import time
from pathlib import Path

from bench.report import Report, check
from crawler.localsite import osce
from storage import open_db
from storage import releases as store

RATIO_GOAL = 0.5
AGAIN_GOAL = 2.0
ISSUERS = ["OSCE Secretariat", "OSCE Chairpersonship", "OSCE Parliamentary Assembly",
           "OSCE Office for Democratic Institutions and Human Rights", "OSCE Mission to Skopje"]
PLACES = ["VIENNA", "WARSAW", "THE HAGUE", "BISHKEK", "SKOPJE", "PRISTINA", "TIRANA"]


def vocabulary(extra: int = 20_000, seed: int = 5) -> list[str]:
    """The seed captures' words, most frequent first, then ``extra`` made-up names (the
    rare terms: places, people, projects) for a long tail."""
    rng = random.Random(seed)
    counts: dict[str, int] = {}
    for sentence in osce.sentence_pool():
        for word in re.findall(r"[A-Za-z][a-z'-]+", sentence):
            counts[word.lower()] = counts.get(word.lower(), 0) + 1
    words = sorted(counts, key=lambda w: (-counts[w], w))
    syllables = ["ka", "lo", "mir", "va", "sto", "ri", "an", "ze", "dor", "pol", "ush", "ten", "gra", "bel"]
    names = {"".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(extra * 2)}
    return words + sorted(names - set(words))[:extra]


def make_items(count: int, seed: int = 3) -> list[dict]:
    """``count`` distinct release items as the OSCE spider yields them; words follow a
    Zipf law over ``vocabulary()``, as words in real text do."""
    rng = random.Random(seed)
    words_by_rank = vocabulary()
    weights = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(words_by_rank))))
    menu = osce.seed_menu()
    items = []
    for n in range(count):
        words = rng.choices(words_by_rank, cum_weights=weights, k=240)
        paragraphs = [" ".join(words[i:i + 80]).capitalize() + "." for i in range(0, 240, 80)]
        day, month, year = 1 + n % 28, osce.MONTHS[n // 28 % 12], 2025 - n // 336
        place = PLACES[n % len(PLACES)]
        paragraphs[0] = f"{place}, {day} {month} {year} - {paragraphs[0]}"
        items.append({
            "source": "osce", "url": f"https://www.osce.org/pc/{700000 + n}",
            "title": f"OSCE statement {700000 + n}: {' '.join(words[:8])}",
            "published": f"{year}-{osce.MONTHS.index(month) + 1:02d}-{day:02d}", "place": place,
            "issuers": rng.sample(ISSUERS, rng.randint(1, 2)),
            "fields_of_work": rng.sample(menu.fields_of_work, 2),
            "body": "\n\n".join(paragraphs),
        })
    return items


def plain_rows(items: list[dict]) -> list[dict]:
    import json

    return [{**item, "issuers": json.dumps(item["issuers"]),
             "fields_of_work": json.dumps(item["fields_of_work"])} for item in items]


def run(report: Report, smoke: bool) -> None:
    count = 300 if smoke else 100_000
    items = make_items(count)
    rows = plain_rows(items)
    with tempfile.TemporaryDirectory(prefix="releasewatch-bench-") as tmp:
        plain_db = open_db(Path(tmp) / "plain.db")
        start = time.perf_counter()
        plain_db.table("plain_releases").insert_all(rows)
        plain = time.perf_counter() - start
        plain_db.close()

        db = open_db(Path(tmp) / "ours.db")
        start = time.perf_counter()
        first_results = _ingest(db, items)
        first = time.perf_counter() - start
        start = time.perf_counter()
        again_results = _ingest(db, items)
        again = time.perf_counter() - start
        db.close()
    statuses = {label: _tally(results) for label, results in (("first", first_results), ("again", again_results))}
    report.details["ingest"] = {"items": count, "plain_s": plain, "first_s": first, "again_s": again,
                                "api": "store_release (batched)", "statuses": statuses}
    report.add(
        check("ingest", f"plain insert_all, {count:,} rows", count / plain, "rows/s", "baseline"),
        check("ingest", "store_release (batched), first time", count / first, "items/s", "",
              note=", ".join(f"{k} {v}" for k, v in statuses["first"].items())),
        check("ingest", "first ingest / plain insert", plain / first, "x", f">= {RATIO_GOAL}x",
              lambda v: v >= RATIO_GOAL),
        check("ingest", "re-ingest (all known) speed-up", first / again, "x", f">= {AGAIN_GOAL:.0f}x",
              lambda v: v >= AGAIN_GOAL,
              note=", ".join(f"{k} {v}" for k, v in statuses["again"].items())),
    )


def _ingest(db, items: list[dict]) -> list:
    """Every item through ``store_release``, in one transaction (as the pipeline batches)."""
    with db.atomic():
        return [store.store_release(db, item) for item in items]


def _tally(results: list) -> dict[str, int]:
    counts: dict[str, int] = {}
    for result in results:
        counts[result.status] = counts.get(result.status, 0) + 1
    return counts
