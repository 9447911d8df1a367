"""Browsing an archive: Datasette pages on 100,000 and 500,000 releases, one client, p95 over 32 terms.

The database is built here (``archive_rows``): three sources in equal parts, the un_press
third formulaic (one template, names and dates vary), one URL and one version per
release plus a second version for 1 in 100 (edits) and a second URL for another 1 in 100
(mirrors), dates over 2000-2026. It is written by plain inserts into the project's schema
(``open_db``: search index, triggers and indexes included), then ``ANALYZE``, as
``releasewatch serve`` would find it. ``RELEASEWATCH_BENCH_CACHE=DIR`` keeps the built
databases in ``DIR`` and reuses them (``cached_db``).

Measured through Datasette's in-process client with the project's options
(``crawler.web.serve.datasette_options``), each figure beside its goal:

- full-text search JSON (``/db/releases.json?_search=TERM``), also on bare Datasette;
- the search page (HTML, with the configured facets) and the unfiltered table page;
- every canned query (named parameters set to the term), the Atom feeds included;
- every dashboard chart query, without filters and filtered to one source.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import os
import random
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

from bench.ingest import vocabulary
from bench.report import Report, check, sizes_from_env
from bench.timing import median, percentile
from storage import open_db, sources

DB_NAME = "releasewatch"
SIZES, SMOKE_SIZES = (100_000, 500_000), (600,)
TERMS, SMOKE_TERMS = 32, 6
GOALS_MS = {"fts": 100, "search_page": 300, "table_page": 300, "query": 200, "chart": 500}
SOURCES = tuple(source.name for source in sources.SOURCES if source.primary)  # osce, un_news, un_press
ISSUERS = ["OSCE Secretariat", "OSCE Chairpersonship", "OSCE Parliamentary Assembly",
           "OSCE Office for Democratic Institutions and Human Rights", "OSCE Mission to Skopje"]
FIELDS = ["Elections", "Human rights", "Media freedom", "Border management", "Conflict prevention",
          "Gender equality", "Policing", "Democratization"]
TOPICS = ["Peace and Security", "Human Rights", "Climate Change", "Health", "UN Affairs"]
FORMULA = ("Secretary-General {name} Appoints {other} of {place} as Special Representative",
           "The Secretary-General today announced the appointment of {other} of {place} as his "
           "Special Representative and Head of the United Nations Mission. {other} succeeds {name}, "
           "to whom the Secretary-General is grateful for dedicated service and leadership. "
           "{other} brings to the position more than 25 years of experience in international "
           "affairs, peacekeeping and humanitarian work, most recently as Deputy Special Representative. "
           "{other} holds a degree in law and international relations.")


def archive_rows(count: int, seed: int = 11) -> Iterator[dict]:
    """``count`` releases as they are stored: a third per source, un_press formulaic."""
    rng = random.Random(seed)
    words = vocabulary()
    weights = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(words))))
    names = words[-20_000:]
    for n in range(count):
        source = SOURCES[n % 3]
        day = 1 + rng.randrange(9_800)  # 2000-01-01 .. 2026-10
        published = time.strftime("%Y-%m-%d", time.gmtime(946_684_800 + day * 86_400))
        seen = f"{published}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00Z"
        if source == "un_press":
            slots = {"name": rng.choice(names).title(), "other": rng.choice(names).title(),
                     "place": rng.choice(names).title()}
            title, body = (part.format(**slots) for part in FORMULA)
        else:
            text = rng.choices(words, cum_weights=weights, k=240)
            title = " ".join(text[:9]).capitalize()
            body = "\n\n".join(" ".join(text[i:i + 80]).capitalize() + "." for i in range(0, 240, 80))
        url = {"osce": f"https://www.osce.org/pc/{n}", "un_news": f"https://news.un.org/en/story/{n}",
               "un_press": f"https://press.un.org/en/sga{n}.doc.htm"}.get(source, f"https://{source}.example/{n}")
        yield {
            "source": source, "url": url, "title": title, "published": published, "body": body,
            "content_hash": hashlib.sha1(f"{title}\n{body}".encode()).hexdigest(),
            "issuers": json.dumps(rng.sample(ISSUERS, rng.randint(1, 2)) if source == "osce" else []),
            "fields_of_work": json.dumps(rng.sample(FIELDS, 2) if source == "osce" else []),
            "topics": json.dumps(rng.sample(TOPICS, 2) if source == "un_news" else []),
            "first_seen": seen, "last_seen": seen,
        }


def build_db(path: Path, count: int) -> None:
    """The archive database of ``count`` releases at ``path``."""
    db = open_db(path)
    columns = ("source", "url", "title", "published", "body", "content_hash", "issuers",
               "fields_of_work", "topics", "first_seen", "last_seen")
    insert = f"INSERT INTO releases ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    try:
        with db.atomic():
            for n, row in enumerate(archive_rows(count), 1):
                db.conn.execute(insert, [row[c] for c in columns])
                db.conn.execute("INSERT INTO release_urls VALUES (?, ?, ?, ?, ?, ?, 1.0)",
                                (row["url"], n, row["first_seen"], row["last_seen"], row["source"],
                                 row["content_hash"]))
                if n % 100 == 50:  # a mirror: the same release on another site
                    db.conn.execute("INSERT INTO release_urls VALUES (?, ?, ?, ?, 'article', ?, 1.0)",
                                    (f"https://mirror.example/{n}", n, row["first_seen"], row["last_seen"],
                                     row["content_hash"]))
                versions = [(row["title"], row["body"], row["first_seen"])]
                if n % 100 == 0:  # an edit, a month later
                    versions.append((row["title"], row["body"].replace(" the ", " a ", 1),
                                     row["first_seen"].replace(row["published"][:4], str(int(row["published"][:4]) + 1), 1)))
                for title, body, seen_at in versions:
                    db.conn.execute("INSERT INTO release_versions (release_id, content_hash, title, body, seen_at, url)"
                                    " VALUES (?, ?, ?, ?, ?, ?)", (n, row["content_hash"], title, body, seen_at, row["url"]))
        db.execute("ANALYZE")
    finally:
        db.close()


def terms(count: int) -> list[str]:
    """``count`` search terms, log-spaced in frequency rank from common words to rare names."""
    words = [w for w in vocabulary() if len(w) > 3 and "'" not in w and "-" not in w]
    picked: list[str] = []
    for i in range(count):
        rank = int(10 * (len(words) / 10) ** (i / (count - 1))) - 1
        while words[rank] in picked:
            rank += 1
        picked.append(words[rank])
    return picked


def canned_queries(metadata: dict) -> dict[str, list[str]]:
    """``{name: [named parameters]}`` of the canned queries."""
    queries = metadata.get("databases", {}).get(DB_NAME, {}).get("queries", {})
    return {name: sorted(set(re.findall(r"(?<![:\w]):(\w+)", q["sql"]))) for name, q in queries.items()}


def chart_paths(metadata: dict) -> dict[str, list[str]]:
    """Each dashboard chart's SQL as ``/db.json?sql=`` paths: no filter, then ``source=osce``."""
    out = {}
    for dashboard in metadata.get("plugins", {}).get("datasette-dashboards", {}).values():
        for name, chart in dashboard.get("charts", {}).items():
            variants = []
            for filters in ({}, {"source": "osce"}):
                sql = re.sub(r"\[\[(.*?)\]\]", lambda m, f=filters: m.group(1) if all(
                    p in f for p in re.findall(r":(\w+)", m.group(1))) else "", chart["query"], flags=re.S)
                variants.append(f"/{DB_NAME}.json?" + urlencode({"sql": sql, "_shape": "array", **filters}))
            out[name] = variants
    return out


class Samples(list):
    """Response times in ms; ``failed`` counts answers other than HTTP 200 (e.g. the SQL
    time limit), timed like the others."""

    failed = 0


async def _times(ds, paths: list[str], warmup: int = 2) -> Samples:
    for path in paths[:warmup]:
        await ds.client.get(path)
    samples = Samples()
    for path in paths:
        start = time.perf_counter()
        response = await ds.client.get(path)
        samples.append((time.perf_counter() - start) * 1000)
        samples.failed += response.status_code != 200
    return samples


async def measure(db_path: Path, words: list[str]) -> dict:
    from datasette.app import Datasette

    from crawler.web.serve import datasette_options

    options = datasette_options(db_path)
    bare, ours = Datasette([str(db_path)]), Datasette([str(db_path)], **options)
    for ds in (bare, ours):
        await ds.invoke_startup()
    table = f"/{DB_NAME}/releases"
    search = [f"{table}.json?{urlencode({'_search': w})}" for w in words]
    results: dict = {"fts_bare": Samples(), "fts": Samples()}
    await _times(bare, search[:2])
    await _times(ours, search[:2])
    for number, path in enumerate(search):  # bare and ours in turn, so load hits both alike
        pair = [("fts_bare", bare), ("fts", ours)]
        for key, ds in pair if number % 2 else pair[::-1]:
            samples = await _times(ds, [path], warmup=0)
            results[key] += samples
            results[key].failed += samples.failed
    results["table_page"] = await _times(ours, [table] * len(words))
    results["search_page"] = await _times(ours, [f"{table}?{urlencode({'_search': w})}" for w in words])
    results["queries"] = {}
    for name, params in canned_queries(options["metadata"]).items():
        # Every named parameter set to the term; an "order" also measured as "relevance".
        orders = [("", None), (" (by relevance)", "relevance")] if "order" in params else [("", None)]
        for suffix, order in orders:
            paths = [f"/{DB_NAME}/{name}.json?" + urlencode({p: order if p == "order" and order else w for p in params})
                     for w in words]
            results["queries"][name + suffix] = await _times(
                ours, paths if params else paths[: max(8, len(words) // 4)])
    results["charts"] = {name: await _times(ours, paths * 3, warmup=1)
                         for name, paths in chart_paths(options["metadata"]).items()}
    return results


def _p95(values: list[float]) -> float:
    return percentile(values, 95)


def _ok(goal: float):
    """Within ``goal`` ms, and no request failed."""
    return lambda samples: lambda value: value < goal and not getattr(samples, "failed", 0)


def _note(samples, text: str = "") -> str:
    failed = getattr(samples, "failed", 0)
    return "; ".join(filter(None, [text, f"{failed} of {len(samples)} requests failed" if failed else ""]))


def report_size(report: Report, count: int, results: dict) -> None:
    label = f"{count // 1000:,}k" if count >= 10_000 else f"{count:,}"
    queries, charts = results["queries"], results["charts"]
    report.details.setdefault("search", {})[label] = {
        key: {"median_ms": round(median(v), 2), "p95_ms": round(_p95(v), 2)}
        for key, v in [*((k, results[k]) for k in ("fts_bare", "fts", "table_page", "search_page")),
                       *((f"query {k}", v) for k, v in queries.items()),
                       *((f"chart {k}", v) for k, v in charts.items())]}
    bare, fts = results["fts_bare"], results["fts"]
    report.add(
        check("search", f"{label}: FTS JSON, bare Datasette, p95", _p95(bare), "ms", "baseline",
              note=_note(bare, f"median {median(bare):.0f} ms")),
        check("search", f"{label}: FTS JSON, p95", _p95(fts), "ms", f"< {GOALS_MS['fts']} ms",
              _ok(GOALS_MS["fts"])(fts), note=_note(fts, f"median {median(fts):.0f} ms")),
        *(check("search", f"{label}: {title}, p95", _p95(results[key]), "ms", f"< {GOALS_MS[key]} ms",
                _ok(GOALS_MS[key])(results[key]), note=_note(results[key]))
          for key, title in (("search_page", "search page with facets"), ("table_page", "unfiltered table page"))),
        *(check("search", f"{label}: query {name}, p95", _p95(v), "ms", f"< {GOALS_MS['query']} ms",
                _ok(GOALS_MS["query"])(v), note=_note(v)) for name, v in queries.items()),
        *(check("search", f"{label}: chart {name}, slowest", max(v), "ms", f"< {GOALS_MS['chart']} ms",
                _ok(GOALS_MS["chart"])(v), note=_note(v)) for name, v in charts.items()),
    )


def sizes(smoke: bool) -> tuple[int, ...]:
    """The archive sizes to measure; ``RELEASEWATCH_BENCH_SIZES=100000`` (comma-separated)
    measures only those (e.g. the 100,000 run alone, in about two minutes)."""
    return sizes_from_env("RELEASEWATCH_BENCH_SIZES", SIZES, SMOKE_SIZES, smoke)


def cached_db(cache: Path, count: int) -> Path:
    """The archive of ``count`` releases kept in ``cache`` (``RELEASEWATCH_BENCH_CACHE``):
    built on first use, then reused as an existing database is, opened with ``open_db``
    (which migrates it) and analysed again. Delete the folder when ``archive_rows`` changes."""
    db_path = cache / str(count) / f"{DB_NAME}.db"
    if not db_path.exists():
        db_path.parent.mkdir(parents=True, exist_ok=True)
        partial = db_path.with_name(f"building-{DB_NAME}.db")
        partial.unlink(missing_ok=True)
        build_db(partial, count)
        partial.rename(db_path)
    db = open_db(db_path)
    try:
        db.execute("ANALYZE")
    finally:
        db.close()
    return db_path


def run(report: Report, smoke: bool) -> None:
    words = terms(SMOKE_TERMS if smoke else TERMS)
    report.details.setdefault("search", {})["terms"] = words
    cache = os.environ.get("RELEASEWATCH_BENCH_CACHE", "").strip()
    for count in sizes(smoke):
        if cache and not smoke:
            report_size(report, count, asyncio.run(measure(cached_db(Path(cache), count), words)))
            continue
        with tempfile.TemporaryDirectory(prefix="releasewatch-bench-") as tmp:
            db_path = Path(tmp) / f"{DB_NAME}.db"
            build_db(db_path, count)
            report_size(report, count, asyncio.run(measure(db_path, words)))
