"""Search through Datasette's in-process client on a database of many releases.

The database holds ``releases`` rows made by ``storage.releases.prepare`` from the
ingest benchmark's items (inserted with ``insert_all``: this benchmark is about reading).
Full-text search comes from the project (``storage.search.ensure_search`` or whatever
``open_db`` creates) when it has one, else sqlite-utils' ``enable_fts`` on title and body.

- (a) ``/releasewatch/releases.json?_search=TERM``, with the project's Datasette options
  (``crawler.web.serve.datasette_options``, else ``crawler/web/datasette/metadata.yaml``) and on
  bare Datasette (``datasette releasewatch.db``) on the same file;
- (b) the releases table page (HTML) with the configured facets (source, issuers and
  fields_of_work array facets; passed as ``_facet``/``_facet_array`` when there is no
  configuration), unfiltered and for each term;
- (c) every canned query in the configuration, each named parameter set to the term.

Median and p95 over 50 terms, from frequent words to rare names.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from bench.ingest import make_items, vocabulary
from bench.report import Report, check
from bench.timing import median, percentile
from storage import open_db
from storage.releases import prepare

ROOT = Path(__file__).resolve().parent.parent
METADATA_FILE = ROOT / "crawler" / "web" / "datasette" / "metadata.yaml"
DB_NAME = "releasewatch"
FACETS = [("_facet", "source"), ("_facet_array", "issuers"), ("_facet_array", "fields_of_work")]
RATIO_GOAL, FTS_P95_MS, PAGE_P95_MS, QUERY_P95_MS = 1.5, 15.0, 100.0, 50.0


def build_db(path: Path, count: int) -> str:
    """A database of ``count`` releases with a full-text index; says where the index came from."""
    db = open_db(path)
    try:
        rows = [{**prepare(item), "first_seen": "2025-01-01T00:00:00Z", "last_seen": "2025-01-01T00:00:00Z"}
                for item in make_items(count)]
        db.table("releases").insert_all(rows, batch_size=1000)
        if db.table("releases").detect_fts():
            how = "the project's (created by open_db)"
        else:
            try:
                from storage.search import ensure_search
            except ImportError:
                db.table("releases").enable_fts(["title", "body"], tokenize="porter", create_triggers=True)
                how = "sqlite-utils enable_fts(title, body), no project index yet"
            else:
                ensure_search(db)
                how = "storage.search.ensure_search"
        db.execute("ANALYZE")
        return how
    finally:
        db.close()


def terms(count: int = 50) -> list[str]:
    """``count`` search terms, log-spaced in frequency rank from common words to rare names."""
    words = [w for w in vocabulary() if len(w) > 3 and "'" not in w and "-" not in w]
    picked: list[str] = []
    for i in range(count):
        rank = int(10 * (len(words) / 10) ** (i / (count - 1))) - 1
        while words[rank] in picked:
            rank += 1
        picked.append(words[rank])
    return picked


def project_options(db_path: Path) -> tuple[dict, str]:
    """Keyword arguments for ``Datasette`` as the project serves it, and where they came from."""
    try:
        from crawler.web.serve import datasette_options
    except ImportError:
        datasette_options = None
    if datasette_options is not None:
        return datasette_options(str(db_path)), "crawler.web.serve.datasette_options"
    if METADATA_FILE.exists():
        from datasette.utils import parse_metadata

        metadata = parse_metadata(METADATA_FILE.read_text(encoding="utf-8"))
        options: dict = {"metadata": metadata}
        for key, folder in (("plugins_dir", "plugins"), ("template_dir", "templates")):
            if (METADATA_FILE.parent / folder).is_dir():
                options[key] = str(METADATA_FILE.parent / folder)
        return options, str(METADATA_FILE.relative_to(ROOT))
    return {}, ""


def canned_queries(options: dict) -> dict[str, list[str]]:
    """``{name: [named parameters]}`` of the canned queries in the configuration."""
    queries = (options.get("metadata") or {}).get("databases", {}).get(DB_NAME, {}).get("queries", {})
    out = {}
    for name, query in queries.items():
        sql = query if isinstance(query, str) else query.get("sql", "")
        if isinstance(query, dict) and query.get("write"):
            continue
        out[name] = sorted(set(re.findall(r"(?<![:\w]):(\w+)", sql)))
    return out


async def _times(ds, paths: list[str], warmup: int = 3) -> list[float]:
    for path in paths[:warmup]:
        await ds.client.get(path)
    samples = []
    for path in paths:
        start = time.perf_counter()
        response = await ds.client.get(path)
        samples.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path}: HTTP {response.status_code}: {response.text[:300]}")
    return samples


async def measure(db_path: Path, words: list[str]) -> dict:
    from datasette.app import Datasette

    options, config = project_options(db_path)
    bare = Datasette([str(db_path)])
    ours = Datasette([str(db_path)], **options)
    for ds in (bare, ours):
        await ds.invoke_startup()
    table = f"/{DB_NAME}/releases"
    search = [f"{table}.json?{urlencode({'_search': w})}" for w in words]
    facets = "" if config else "&" + urlencode(FACETS)
    results = {"config": config or None, "terms": words}
    # Term by term, bare and ours in turn (first one, then the other), so that load on
    # the machine hits both alike.
    await _times(bare, search[:3])
    await _times(ours, search[:3])
    results["fts_bare"], results["fts_ours"] = [], []
    for number, path in enumerate(search):
        pair = [("fts_bare", bare), ("fts_ours", ours)]
        for key, ds in pair if number % 2 else pair[::-1]:
            results[key] += await _times(ds, [path], warmup=0)
    results["table_page"] = await _times(ours, [f"{table}?_size=50{facets}"] * (len(words) // 2))
    results["search_page"] = await _times(ours, [f"{table}?{urlencode({'_search': w})}{facets}" for w in words])
    results["queries"] = {}
    for name, params in canned_queries(options).items():
        paths = [f"/{DB_NAME}/{name}.json?{urlencode({p: w for p in params})}" for w in words]
        results["queries"][name] = await _times(ours, paths)
    return results


def run(report: Report, smoke: bool) -> None:
    count = 500 if smoke else 100_000
    words = terms(6 if smoke else 50)
    with tempfile.TemporaryDirectory(prefix="releasewatch-bench-") as tmp:
        db_path = Path(tmp) / f"{DB_NAME}.db"
        fts = build_db(db_path, count)
        results = asyncio.run(measure(db_path, words))
    summary = {key: {"median_ms": round(median(v), 2), "p95_ms": round(percentile(v, 95), 2)}
               for key, v in results.items() if key in ("fts_bare", "fts_ours", "table_page", "search_page")}
    queries = {name: {"median_ms": round(median(v), 2), "p95_ms": round(percentile(v, 95), 2)}
               for name, v in results["queries"].items()}
    report.details["search"] = {"releases": count, "fts": fts, "config": results["config"],
                                "terms": words, **summary, "queries": queries}
    bare_med, ours_med = median(results["fts_bare"]), median(results["fts_ours"])
    ours_p95 = percentile(results["fts_ours"], 95)
    config = results["config"] or "none: bare Datasette"
    slowest = max(queries.items(), key=lambda kv: kv[1]["p95_ms"]) if queries else None
    report.add(
        check("search", f"(a) FTS, bare Datasette, {count:,} releases", bare_med, "ms median", "baseline",
              note=f"p95 {percentile(results['fts_bare'], 95):.1f} ms"),
        check("search", "(a) FTS with project config", ours_med, "ms median", "", note=f"config: {config}"),
        check("search", "(a) FTS ours / bare (median)", ours_med / bare_med, "x", f"<= {RATIO_GOAL}x",
              lambda v: v <= RATIO_GOAL),
        check("search", "(a) FTS with project config, p95", ours_p95, "ms", f"< {FTS_P95_MS:.0f} ms",
              lambda v: v < FTS_P95_MS),
        check("search", "(b) table page with facets, p95", percentile(results["table_page"], 95), "ms",
              f"< {PAGE_P95_MS:.0f} ms", lambda v: v < PAGE_P95_MS),
        check("search", "(b) search page with facets, p95", percentile(results["search_page"], 95), "ms",
              f"< {PAGE_P95_MS:.0f} ms", lambda v: v < PAGE_P95_MS),
        check("search", f"(c) slowest of {len(queries)} canned queries, p95",
              slowest[1]["p95_ms"] if slowest else None, "ms", f"< {QUERY_P95_MS:.0f} ms",
              lambda v: v < QUERY_P95_MS, note=slowest[0] if slowest else "no canned queries configured"),
    )
