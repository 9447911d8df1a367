"""Watch: the ten local press rooms crawled by the generic ``watch`` spider.

Per site, the release rows found (recall, precision), titles and dates right, and
bodies without menus, footers or related boxes; printed per site and added as figures.
Each site is crawled as the scheduler does (``run_crawl``, one subprocess) into a fresh
database. ``--smoke`` crawls one site and reads the other listings in memory.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.report import Report, check
from crawler.localsite.pressrooms import STYLES, press_room_site
from crawler.localsite.pressrooms.score import Score, score, score_listing
from crawler.runner import run_crawl
from storage import open_db

GOAL = 0.95
FAST = {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "0", "LOG_LEVEL": "WARNING"}


def crawl_site(name: str, workdir: Path) -> Score:
    """Crawl press room ``name`` with ``scrapy crawl watch`` and score the database."""
    db_path = workdir / f"{name}.db"
    with press_room_site(name) as (site, room):
        outcome = run_crawl("watch", db=str(db_path), settings=FAST, timeout=300,
                            args={"name": name, "url": site.url + room.listing})
        if outcome.status != "ok":
            raise RuntimeError(f"crawl of {name}: {outcome.status} ({outcome.reason})")
        db = open_db(db_path)
        try:
            found = list(db.query("SELECT url, title, published, body FROM releases WHERE source = ?", [name]))
            pages = db.execute("SELECT pages FROM crawl_runs WHERE id = ?", [outcome.run_id]).fetchone()[0]
        finally:
            db.close()
        return score(room, site.url, found, bodies=True, pages=pages)


def run(report: Report, smoke: bool) -> None:
    names = sorted(STYLES)
    scores: list[Score] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            result = crawl_site(name, Path(tmp)) if not smoke or name == names[0] else score_listing(name)
            scores.append(result)
            print(f"\n    {result.line()}", end="", flush=True)
    print()
    report.details["watch"] = [{"site": s.site, "releases": s.truth, "found": s.found, "correct": s.correct,
                                "titles": s.titles, "dates": s.dates, "clean": s.clean, "pages": s.pages}
                               for s in scores]
    goal = f">= {GOAL:.0%}"
    for s in scores:
        report.add(check("watch", f"{s.site}: recall", s.recall * 100, "%", goal, lambda v: v >= GOAL * 100),
                   check("watch", f"{s.site}: precision", s.precision * 100, "%", goal, lambda v: v >= GOAL * 100),
                   check("watch", f"{s.site}: titles / dates right", min(s.share(s.titles), s.share(s.dates)) * 100,
                         "%", goal, lambda v: v >= GOAL * 100))
    crawled = [s for s in scores if s.clean >= 0]
    clean = min(s.share(s.clean) for s in crawled) * 100 if crawled else None
    report.add(check("watch", "bodies without menus/footers (worst site)", clean, "%", goal,
                     lambda v: v >= GOAL * 100, note=f"{len(crawled)} site(s) crawled"))
