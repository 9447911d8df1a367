"""Storage ingest: release items through ``storage`` vs a plain ``insert_all`` of the same rows.

The items look like the OSCE spider's (title, dateline body of three paragraphs, place,
issuers, fields of work) with bodies drawn word by word (Zipf) from the seed captures'
vocabulary and a tail of made-up names, so no two are near-duplicates by accident (the
site generator's 58-sentence pool would make thousands of LSH candidates at this scale,
which real releases do not).

- ``plain``: ``sqlite_utils`` ``insert_all`` of the rows into a table of the same columns,
  on a connection opened like the project's (WAL, ``synchronous=NORMAL``);
- ``first``: every item through ``store_release``, one transaction per batch, into an empty database;
- ``again``: the same items again: all known, nothing changes;
- ``formulaic``: the formulaic corpus (``bench/corpus.py``: a third of the items share a
  template with a few words changed, one in a hundred a mirror of one of them) into
  another empty database; every mirror must be attached to its own original.

Times are CPU seconds of this process (SQLite runs in it), robust to other jobs on the
machine. The cost curve: CPU seconds per thousand releases at 1k, 10k, 50k and 100k
releases in, for both corpora; storing the 100th thousand should cost no more than 1.5x
the first.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import tempfile
import time
from pathlib import Path

from bench import corpus
from bench.report import Report, check
from bench.timing import median
from crawler.localsite import osce
from storage import neardup, open_db
from storage import releases as store
from storage.search import SEARCH_COLUMNS, TOKENIZE

RATIO_GOAL = 0.2
CURVE_GOAL = 1.5
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
    return [{**item, "issuers": json.dumps(item["issuers"]),
             "fields_of_work": json.dumps(item["fields_of_work"])} for item in items]


def run(report: Report, smoke: bool) -> None:
    count = 300 if smoke else 100_000
    batch = 100 if smoke else 1000
    neardup.load()  # datasketch and scipy: once per process, not part of the first batch
    items = make_items(count)
    rows = plain_rows(items)
    with tempfile.TemporaryDirectory(prefix="releasewatch-bench-") as tmp:
        plain_db = open_db(Path(tmp) / "plain.db")
        start = time.process_time()
        plain_db.table("plain_releases").insert_all(rows)
        plain = time.process_time() - start
        # The same, into a table with the full-text index the releases table has (kept by
        # triggers, as ours): how much of a release's cost is making it searchable at once.
        searchable = plain_db.table("searchable_releases")
        searchable.create({column: type(value) for column, value in rows[0].items()})
        searchable.enable_fts(SEARCH_COLUMNS, tokenize=TOKENIZE, create_triggers=True)
        start = time.process_time()
        searchable.insert_all(rows)
        plain_fts = time.process_time() - start
        plain_db.close()

        db = open_db(Path(tmp) / "ours.db")
        first_results, first_curve = _ingest(db, items, batch)
        first = sum(first_curve)
        again_results, again_curve = _ingest(db, items, batch)
        again = sum(again_curve)
        db.close()

        formulaic = corpus.formulaic_items(count, items)
        db = open_db(Path(tmp) / "formulaic.db")
        formulaic_results, formulaic_curve = _ingest(db, formulaic, batch)
        mirrors_found = _mirrors_found(db, formulaic)
        db.close()
    statuses = {label: _tally(results) for label, results in
                (("first", first_results), ("again", again_results), ("formulaic", formulaic_results))}
    report.details["ingest"] = {"items": count, "batch": batch, "plain_s": plain, "plain_fts_s": plain_fts,
                                "first_s": first,
                                "again_s": again, "api": "store_release (batched)", "statuses": statuses,
                                "cpu_s_per_batch": {"diverse": first_curve, "formulaic": formulaic_curve}}
    report.add(
        check("ingest", f"plain insert_all, {count:,} rows", count / plain, "rows/s", "baseline"),
        check("ingest", "store_release (batched), first time", count / first, "items/s", "",
              note=", ".join(f"{k} {v}" for k, v in statuses["first"].items())),
        check("ingest", "first ingest / plain insert", plain / first, "x", f">= {RATIO_GOAL}x",
              lambda v: v >= RATIO_GOAL),
        check("ingest", "plain insert + full-text index (FTS5 triggers)", count / plain_fts, "rows/s", ""),
        check("ingest", "first ingest / plain insert + full-text index", plain_fts / first, "x", ""),
        check("ingest", "re-ingest (all known) speed-up", first / again, "x", f">= {AGAIN_GOAL:.0f}x",
              lambda v: v >= AGAIN_GOAL,
              note=", ".join(f"{k} {v}" for k, v in statuses["again"].items())),
    )
    for name, curve in (("diverse", first_curve), ("formulaic", formulaic_curve)):
        report.add(*cost_curve(name, curve, batch))
    expected = corpus.mirrors_expected(formulaic)
    report.add(check("ingest", "formulaic: mirrors found as their original", mirrors_found, "",
                     f"{expected} of {expected}", lambda v: v == expected,
                     note=", ".join(f"{k} {v}" for k, v in statuses["formulaic"].items())))


def cost_curve(name: str, curve: list[float], batch: int) -> list:
    """CPU seconds per ``batch`` releases at 1, 10, 50 and 100 batches in (each the median of
    that batch and the two before it, or the first three), and the last against the first."""
    def at(n: int) -> float:
        return median(curve[max(0, n - 3):max(3, n)])

    points = sorted({n for n in (1, 10, 50, 100) if n <= len(curve)} | {len(curve)})
    figures = [check("ingest", f"{name}: CPU s per {batch:,} at {n * batch:,}", at(n), "s", "")
               for n in points]
    figures.append(check("ingest", f"{name}: last {batch:,} / first {batch:,}", at(len(curve)) / at(1),
                         "x", f"<= {CURVE_GOAL}x", lambda v: v <= CURVE_GOAL))
    return figures


def _mirrors_found(db, items: list[dict]) -> int:
    """Mirrors attached to the release of their original (same title), not to a sibling."""
    titles = [item["title"] for item in items if item["source"] == "article"]
    return db.execute(
        "SELECT count(*) FROM release_urls u JOIN releases r ON r.id = u.release_id "
        "WHERE u.source = 'article' AND u.url != r.url AND r.title IN (SELECT value FROM json_each(?))",
        [json.dumps(titles)]).fetchone()[0]


def _ingest(db, items: list[dict], batch: int) -> tuple[list, list[float]]:
    """Every item through ``store_release`` in batches of ``batch``, one transaction each
    (as the pipeline batches); the results and the CPU seconds of each batch (this
    process: robust to other jobs on the machine)."""
    results: list = []
    curve: list[float] = []
    for start in range(0, len(items), batch):
        cpu = time.process_time()
        with db.atomic():
            results += [store.store_release(db, item) for item in items[start:start + batch]]
        curve.append(time.process_time() - cpu)
    return results, curve


def _tally(results: list) -> dict[str, int]:
    counts: dict[str, int] = {}
    for result in results:
        counts[result.status] = counts.get(result.status, 0) + 1
    return counts
